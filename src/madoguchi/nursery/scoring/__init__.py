"""Scoring tables (基準指数 + 調整指数) shipped as data; a package only so that the YAML files are installed."""

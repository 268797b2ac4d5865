"""The pure rule engine: rule files, CEL conditions, event topics, planning and examples (no Django)."""

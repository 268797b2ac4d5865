"""Registry files as data: the column layout, code lists, row checks and CSV reading — no Django.

``residents.importer`` and ``residents.exporter`` use this package to read and write the files; the
database work stays there. See docs/registry.md for the layout and the rules.
"""

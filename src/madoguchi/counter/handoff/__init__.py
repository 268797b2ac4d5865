"""Core-system hand-off (中核システムへの連携): accepted cases as files the municipality's core systems import.

Madoguchi is a peripheral system, not a second master: what a resident notified and staff accepted goes back
to the core 住民記録 system (and the others) through their standard inputs, CSV files. Shaped like Open Forms'
plugin registries: `base.py` (the abstract `HandoffFormat`), `registry.py` (where formats register),
`contrib/<format>.py` (the formats shipped: `juki-ido` 住民異動届, `case-csv` any procedure). The columns of
each file come from `handoff.yaml` (or `MADOGUCHI_HANDOFF_CONFIG`), read by `config.py`. Exports are recorded
(`models.HandoffExport`) and audited (`services.export_cases`). See docs/handoff.md.
"""

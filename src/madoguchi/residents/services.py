"""Writes to the registry read-model, through registry files only. The demo town みどり市 is loaded through
these too (``madoguchi.demo.services.load_demo_town``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from madoguchi.residents import importer
from madoguchi.residents.importer import ImportReport

# --- registry files ----------------------------------------------------------------------------------


def import_registry_csv(
    *,
    source: str | Path | BinaryIO,
    kind: str,
    source_name: str = "",
    encoding: str | None = None,
    reference_date: dt.date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Apply a full (全件) or difference (差分) registry file, all or nothing (docs/registry.md).

    Problems do not raise: they are in ``report.problems`` (row, column, message in Japanese and English)
    and nothing was changed. ``dry_run`` checks and applies, then rolls back, to show what would change.
    """
    return importer.import_registry_csv(
        source=source,
        kind=kind,
        source_name=source_name,
        encoding=encoding,
        reference_date=reference_date,
        dry_run=dry_run,
    )


def import_registry_rows(
    *,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    kind: str,
    source_name: str,
    reference_date: dt.date | None = None,
) -> ImportReport:
    """Apply rows that are already split into values, with the same checks as a file."""
    return importer.import_registry_rows(
        header=header, rows=rows, kind=kind, source_name=source_name, reference_date=reference_date
    )

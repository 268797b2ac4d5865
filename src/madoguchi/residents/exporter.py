"""Writing the registry read-model as a full file in the import layout, now or as of a date.

The export is a bulk read of personal data: it is written to the audit log (one row, with the purpose).
Persons at a protected address (支援措置: the protected person, their household and everyone at the same
dwelling) are exported without their address and 世帯番号 unless the caller is authorised to include them
(``include_protected_addresses``; only an audited, permitted path may pass True).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from madoguchi.core.audit import record_access
from madoguchi.residents.models import Person, ResidentChange
from madoguchi.residents.registry.csvfile import write_registry_csv
from madoguchi.residents.registry.layout import (
    ADDRESS_FIELDS,
    BOOLEAN_FIELDS,
    EXPORT_COLUMNS,
    HEADERS,
    STATE_FIELDS,
)
from madoguchi.residents.registry.snapshots import restore
from madoguchi.residents.selectors import protected_addresses

CHUNK = 2_000
ENCODINGS = ("utf-8", "cp932")
_STATE_INDEX = {name: i for i, name in enumerate(STATE_FIELDS)}
# What a protected address withholds: the address columns and the 世帯番号 that leads to it.
_ADDRESS_INDEXES = [_STATE_INDEX[name] for name in (*ADDRESS_FIELDS, "household_number")]


class RegistryExportError(Exception):
    """The export cannot be made (unknown encoding, unwritable path); nothing was written."""


@dataclass
class ExportReport:
    rows: int = 0
    protected: int = (
        0  # rows of persons at a protected address (address and 世帯番号 empty unless authorised)
    )
    as_of: dt.date | None = None
    encoding: str = "utf-8"
    unencodable: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, character)


def _text(name: str, value) -> str:
    if value is None:
        return ""
    if name in BOOLEAN_FIELDS:
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _people(as_of: dt.date | None, report: ExportReport, include_protected_addresses: bool):
    """Rows in the layout, person by person in 宛名番号 order, CHUNK persons per query."""
    protected = protected_addresses()
    last = ""
    while True:
        persons = list(
            Person.objects.filter(atena_number__gt=last)
            .select_related("household")
            .order_by("atena_number")[:CHUNK]
        )
        if not persons:
            return
        last = persons[-1].atena_number
        states = {
            p.pk: [
                p.household.number if name == "household_number" else getattr(p, name)
                for name in STATE_FIELDS
            ]
            for p in persons
        }
        lasts = {p.pk: (p.last_change_reason, p.last_changed_on, p.last_notified_on) for p in persons}
        if as_of is not None:
            _rewind(persons, states, lasts, as_of)
        for person in persons:
            state = states.get(person.pk)
            if state is None:
                continue  # not yet in the read-model on that day
            if protected.covers(person):
                report.protected += 1
                if not include_protected_addresses:
                    for index in _ADDRESS_INDEXES:
                        state[index] = ""
            reason, moved_on, notified_on = lasts[person.pk]
            values = dict(zip(STATE_FIELDS, state, strict=True))
            values.update(
                atena_number=person.atena_number, reason=reason, moved_on=moved_on, notified_on=notified_on
            )
            report.rows += 1
            yield [_text(column.field, values[column.field]) for column in EXPORT_COLUMNS]


def _rewind(persons: list[Person], states: dict[int, list], lasts: dict[int, tuple], day: dt.date) -> None:
    """Turn the states back to ``day``: undo later changes, drop persons first known after it."""
    for person in persons:
        known_from = person.known_from or person.resident_since
        if known_from is not None and known_from > day:
            states.pop(person.pk, None)
    later: dict[int, list[dict]] = defaultdict(list)
    rows = (
        ResidentChange.objects.filter(person_id__in=list(states), moved_on__gt=day, is_first=False)
        .order_by("-moved_on", "-id")
        .values_list("person_id", "before")
    )
    for person_id, before in rows:
        later[person_id].append(before)
    for person_id, befores in later.items():
        for before in befores:
            restore(states[person_id], before)
    stale = [p.pk for p in persons if p.pk in states and (p.pk in later or (p.last_changed_on or day) > day)]
    if not stale:
        return
    latest: dict[int, tuple] = {}
    for person_id, reason, moved_on, notified_on in (
        ResidentChange.objects.filter(person_id__in=stale, moved_on__lte=day)
        .order_by("person_id", "-moved_on", "-id")
        .values_list("person_id", "reason", "moved_on", "notified_on")
    ):
        latest.setdefault(person_id, (reason, moved_on, notified_on))
    for person_id in stale:
        lasts[person_id] = latest.get(person_id, ("", None, None))


def export_registry_csv(
    *,
    target: str | Path | BinaryIO,
    actor,
    purpose: str,
    as_of: dt.date | None = None,
    encoding: str = "utf-8",
    include_protected_addresses: bool = False,
    channel: str = "cli",
) -> ExportReport:
    """Write every person as a full file (docs/registry.md), as the registry stands now or on ``as_of``.

    The export is recorded in the audit log (who, purpose, which columns). In CP932 a character outside
    the code page becomes 〓 and is listed in ``report.unencodable``.
    """
    if encoding not in ENCODINGS:
        raise RegistryExportError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    if isinstance(target, (str, Path)):
        path = Path(target)
        try:
            stream = path.open("wb")
        except OSError as exc:
            raise RegistryExportError(f"{path}: {exc.strerror}") from exc
        with stream:
            return export_registry_csv(
                target=stream,
                actor=actor,
                purpose=purpose,
                as_of=as_of,
                encoding=encoding,
                include_protected_addresses=include_protected_addresses,
                channel=channel,
            )
    report = ExportReport(as_of=as_of, encoding=encoding)
    report.unencodable = write_registry_csv(
        target, HEADERS, _people(as_of, report, include_protected_addresses), encoding
    )
    record_access(
        actor=actor,
        action="export",
        object_type="registry",
        object_id=f"as_of:{as_of.isoformat()}" if as_of else "current",
        fields=[column.header for column in EXPORT_COLUMNS],
        purpose=purpose,
        channel=channel,
    )
    return report

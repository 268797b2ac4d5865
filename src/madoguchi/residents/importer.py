"""Applying registry files to the read-model: every row checked, then all of the file or nothing.

One pass over the file, in one transaction:

1. Each row is checked (``registry.validate``); a few columns of every row go to a narrow temporary table
   (COPY on PostgreSQL) for the checks that need the whole file.
2. Good rows are applied 2,000 at a time against the persons they name: a row equal to the person's
   record changes nothing; otherwise one ``ResidentChange``, the person row, and the ``PersonPeriod``
   intervals. New rows get their ids up front, so they are written with COPY as well. Later rows of a
   person whose row had a problem are checked but not applied, so one mistake does not cascade.
3. In SQL over the temporary table: duplicates, one 世帯主 per household (full files).
4. Any problem, at any step, rolls everything back; the report lists them all. Memory stays flat: rows
   are not kept, and problems beyond the first thousand go to a spooled temporary file.

Difference files emit one domain event per change (topic from the 異動事由); a full file emits one
``resident.registry_loaded`` event with its counts (docs/registry.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import operator
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from madoguchi.core import events
from madoguchi.residents.models import Household, Person, PersonPeriod, RegistryImport, ResidentChange
from madoguchi.residents.registry import codes
from madoguchi.residents.registry.csvfile import read_registry_csv
from madoguchi.residents.registry.layout import (
    DIFFERENCE,
    FULL,
    KINDS,
    PERIOD_FIELDS,
    STATE_FIELDS,
    address_key,
)
from madoguchi.residents.registry.problems import Problem, problem
from madoguchi.residents.registry.snapshots import restore, snapshot_value
from madoguchi.residents.registry.validate import STATE_INDEX, RegistryRecord, RowValidator, check_header

CHUNK_ROWS = 2_000
KEYS_BATCH = 10_000
HOUSEHOLD_MEMORY = 300_000  # 世帯番号 remembered between chunks (about 30 MB)
ADDRESS_MEMORY = 50_000  # address keys remembered (a household's members share one)
REGISTRY_CHECK_LIMIT = 100_000  # beyond this many problems, rows are no longer checked against the registry
REGISTRY_LOADED = "resident.registry_loaded"
_I = STATE_INDEX
_HOUSEHOLD, _RELATIONSHIP, _ADDRESS_CODE = _I["household_number"], _I["relationship"], _I["address_code"]
_ADDRESS = operator.itemgetter(*(_I[f] for f in ("prefecture", "city", "town", "banchi", "building")))
_PERIOD_INDEXES = tuple(sorted(_I[f] for f in PERIOD_FIELDS))


class RegistryImportError(Exception):
    """The call itself is wrong (unknown kind, unreadable path); problems in a file are in the report."""


# --- problems and the report -------------------------------------------------------------------------


class ProblemLog:
    """Every problem of one import: the first thousand in memory, the rest in a spooled temporary file."""

    KEEP = 1_000

    def __init__(self) -> None:
        self.count = 0
        self.first: list[Problem] = []
        self._spool = None
        self._writer = None

    def add(self, item: Problem) -> None:
        self.count += 1
        if len(self.first) < self.KEEP:
            self.first.append(item)
            return
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - lives as long as the log
                max_size=1 << 20, mode="w+", encoding="utf-8", newline=""
            )
            self._writer = csv.writer(self._spool)
        self._writer.writerow([item.row, item.column, item.code, item.message_ja, item.message_en])

    def __iter__(self) -> Iterator[Problem]:
        yield from self.first
        if self._spool is not None:
            self._spool.seek(0)
            for row, column, code, ja, en in csv.reader(self._spool):
                yield Problem(int(row), column, code, ja, en)
            self._spool.seek(0, 2)

    def __len__(self) -> int:
        return self.count


@dataclass
class ImportReport:
    kind: str
    source_name: str
    applied: bool  # False: rejected, or a dry run
    dry_run: bool
    encoding: str = ""
    sha256: str = ""
    size: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: int = 0
    events: int = 0
    missing: int = 0  # full files: residents in the read-model that the file does not list
    ignored_columns: list[str] = field(default_factory=list)
    problems: ProblemLog = field(default_factory=ProblemLog)
    registry_import_id: int | None = None
    seconds: float = 0.0
    # Where the time went: read_and_check, lookup, apply, write, events, commit (incl. on-commit hooks).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problems.count == 0


class _Rollback(Exception):
    """Raised to roll the import back (problems found, or a dry run)."""


# --- entry points ----------------------------------------------------------------------------------


def import_registry_csv(
    *,
    source: str | Path | BinaryIO,
    kind: str,
    source_name: str = "",
    encoding: str | None = None,
    reference_date: dt.date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Apply a registry CSV file (path or seekable binary stream); see the module docstring."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise RegistryImportError(f"{path}: {exc.strerror}") from exc
        with stream:
            return import_registry_csv(
                source=stream,
                kind=kind,
                source_name=source_name or path.name,
                encoding=encoding,
                reference_date=reference_date,
                dry_run=dry_run,
            )
    reading = read_registry_csv(source, encoding)
    return _import(
        header=reading.header,
        rows=reading.rows(),
        kind=kind,
        source_name=source_name or getattr(source, "name", "") or "stream",
        encoding=reading.encoding,
        file_problems=reading.problems,
        reading=reading,
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
    dry_run: bool = False,
) -> ImportReport:
    """Apply rows already split into values (the demo town), exactly as a file with that header."""
    numbered = ((number, list(values), None) for number, values in enumerate(rows, start=2))
    return _import(
        header=list(header),
        rows=numbered,
        kind=kind,
        source_name=source_name,
        encoding="",
        file_problems=[],
        reading=None,
        reference_date=reference_date,
        dry_run=dry_run,
    )


def _import(*, header, rows, kind, source_name, encoding, file_problems, reading, reference_date, dry_run):
    if kind not in KINDS:
        raise RegistryImportError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    started, clock = timezone.now(), time.perf_counter()
    reference_date = reference_date or timezone.localdate()
    report = ImportReport(
        kind=kind, source_name=source_name[:255], applied=False, dry_run=dry_run, encoding=encoding
    )
    for item in file_problems:
        report.problems.add(item)
    try:
        with transaction.atomic():
            batch = RegistryImport.objects.create(
                kind=kind,
                source_name=report.source_name,
                outcome=RegistryImport.Outcome.APPLIED,
                reference_date=reference_date,
                started_at=started,
                finished_at=started,
            )
            if not file_problems:
                _check_and_apply(header, rows, kind, batch, reference_date, report)
            if reading is not None:
                report.sha256, report.size = reading.sha256, reading.size
            if report.problems.count or dry_run:
                raise _Rollback
            batch.sha256, batch.encoding, batch.size = report.sha256, encoding, report.size
            _finish(batch, report)
            if kind == FULL and (report.created or report.updated):
                events.emit(
                    REGISTRY_LOADED,
                    {
                        "registry_import_id": batch.pk,
                        "source_name": report.source_name,
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "changes": report.changes,
                    },
                )
                report.events += 1
            report.applied = True
            report.registry_import_id = batch.pk
            body_done = time.perf_counter()
        report.timings["commit"] = time.perf_counter() - body_done
    except _Rollback:
        report.events = 0
        if report.problems.count and not dry_run:
            rejected = RegistryImport(
                kind=kind,
                source_name=report.source_name,
                sha256=report.sha256,
                encoding=encoding,
                size=report.size,
                outcome=RegistryImport.Outcome.REJECTED,
                reference_date=reference_date,
                started_at=started,
            )
            _finish(rejected, report)
            report.registry_import_id = rejected.pk
    report.seconds = time.perf_counter() - clock
    return report


def _finish(batch: RegistryImport, report: ImportReport) -> None:
    batch.rows, batch.created, batch.updated = report.rows, report.created, report.updated
    batch.unchanged, batch.changes, batch.problems = report.unchanged, report.changes, report.problems.count
    batch.finished_at = timezone.now()
    batch.save()


def _check_and_apply(header, rows, kind, batch, reference_date, report: ImportReport) -> None:
    """One pass: check each row, and apply the good ones chunk by chunk (rolled back if any problem)."""
    header_check = check_header(header)
    report.ignored_columns = header_check.ignored
    for item in header_check.problems:
        report.problems.add(item)
    if header_check.problems:
        return
    keys = _Keys.create()
    started = time.perf_counter()
    validator = RowValidator(header_check.positions, kind, len(header))
    applier = _Applier(batch=batch, kind=kind, reference_date=reference_date, report=report)
    atena_at = header_check.positions["atena_number"]
    chunk: list[RegistryRecord] = []
    for number, values, row_problem in rows:
        report.rows += 1
        if row_problem is not None:
            report.problems.add(row_problem)
            continue
        record, problems = validator.validate(number, values)
        if record is None:
            for item in problems:
                report.problems.add(item)
            atena_number = values[atena_at].strip() if atena_at < len(values) else ""
            keys.add_invalid(number, atena_number)
            applier.skip(atena_number)
            continue
        keys.add(record)
        chunk.append(record)
        if len(chunk) >= CHUNK_ROWS:
            applier.apply(chunk)
            chunk = []
    applier.apply(chunk)
    keys.finish()
    keys.check_duplicates(kind, report.problems)
    if kind == FULL:
        keys.check_household_heads(report.problems)
        if not applier.registry_empty:
            report.missing = keys.count_missing_residents()
    if applier.gave_up:
        report.problems.add(problem(0, "", "too_many_problems"))
    keys.drop()  # after an error the rollback removes it with everything else
    report.timings["read_and_check"] = time.perf_counter() - started - sum(report.timings.values())


# --- the keys table ----------------------------------------------------------------------------------

_KEYS = "residents_import_keys"
_KEY_COLUMNS = (
    "row_no",
    "atena_number",
    "household_number",
    "relationship",
    "status",
    "reason",
    "moved_on",
    "digest",
)


def _adapt(value):
    """Values as SQLite's driver needs them (PostgreSQL's COPY takes Python values as they are)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Keys:
    """A temporary table with a few columns of every row: for duplicates, 世帯主 counts and missing persons.

    The rows themselves are applied as they are read; this narrow table is what keeps the checks that
    need the whole file in the database rather than in memory.
    """

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.pending: list[tuple] = []

    @classmethod
    def create(cls) -> _Keys:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_KEYS}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_KEYS} (row_no integer, atena_number text, household_number text, "
                "relationship text, status text, reason text, moved_on date, digest bigint)"
            )
        return cls()

    def add(self, record: RegistryRecord) -> None:
        state = record.state
        self.pending.append(
            (
                record.row,
                record.atena_number,
                state[_I["household_number"]],
                state[_I["relationship"]],
                state[_I["status"]],
                record.reason,
                record.moved_on,
                hash(record.state),  # the same within one import: tells a doubled row from another change
            )
        )
        if len(self.pending) >= KEYS_BATCH:
            self._write()

    def add_invalid(self, row: int, atena_number: str) -> None:
        """A bad row still counts for duplicates when its 宛名番号 can be read."""
        if atena_number.isdigit():
            self.pending.append((row, atena_number, None, None, None, None, None, None))
            if len(self.pending) >= KEYS_BATCH:
                self._write()

    def _write(self) -> None:
        if not self.pending:
            return
        columns = ", ".join(_KEY_COLUMNS)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {_KEYS} ({columns}) FROM STDIN") as copy:
                    for row in self.pending:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(_KEY_COLUMNS))
                cursor.executemany(
                    f"INSERT INTO {_KEYS} ({columns}) VALUES ({marks})",  # noqa: S608 - fixed names
                    [tuple(_adapt(v) for v in row) for row in self.pending],
                )
        self.pending.clear()

    def finish(self) -> None:
        self._write()
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {_KEYS}_atena ON {_KEYS} (atena_number)")
            if self.postgres:
                cursor.execute(f"ANALYZE {_KEYS}")

    def check_duplicates(self, kind: str, log: ProblemLog) -> None:
        """Rows whose 宛名番号 (full files), or whose whole content (difference files: the same 異動 twice),
        came earlier in the file."""
        key = "atena_number" if kind == FULL else "atena_number, reason, moved_on, digest"
        code = "duplicate_atena_number" if kind == FULL else "duplicate_change"
        where = "" if kind == FULL else "WHERE status IS NOT NULL"
        sql = (
            f"SELECT row_no, atena_number, first FROM (SELECT row_no, atena_number, MIN(row_no) OVER "  # noqa: S608
            f"(PARTITION BY {key}) AS first FROM {_KEYS} {where}) t WHERE row_no <> first ORDER BY row_no"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            for row, atena_number, first in cursor.fetchall():
                log.add(problem(row, "宛名番号", code, value=atena_number, first=first))

    def check_household_heads(self, log: ProblemLog) -> None:
        """Full files: each household with residents has exactly one 世帯主 among them."""
        heads = "SUM(CASE WHEN relationship = %s THEN 1 ELSE 0 END)"
        sql = (
            f"SELECT household_number, MIN(row_no), {heads} FROM {_KEYS} "  # noqa: S608
            f"WHERE status = %s GROUP BY household_number HAVING {heads} <> 1 ORDER BY MIN(row_no)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ["世帯主", codes.ACTIVE_STATUS, "世帯主"])
            for household, row, count in cursor.fetchall():
                log.add(problem(row, "続柄", "household_heads", household=household, count=count))

    def count_missing_residents(self) -> int:
        person = Person._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {person} p WHERE p.is_active AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {_KEYS} s WHERE s.atena_number = p.atena_number)"
            )
            return cursor.fetchone()[0]

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_KEYS}")


# --- applying rows -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Current:
    """A person as the registry holds them while a chunk is applied."""

    person_id: int
    state: tuple
    is_active: bool
    last_changed_on: dt.date | None
    open_period: int | None  # id of the period in the database that holds now, if any
    pending_period: list | None = None  # or the one opened in this chunk, written when the chunk is


def emit_all(pending: list[tuple[str, dict]]) -> None:
    """The domain events of one chunk, in order, into the outbox of the import's transaction (bulk insert,
    one broker message per batch of events)."""
    events.emit_many(pending)


class _Ids:
    """Ids handed out before rows are written, so that related rows can be written with COPY too.

    Only persons and households need this (other rows refer to them). PostgreSQL: blocks of ``nextval``
    from the table's sequence, growing from 100 to 10,000 (unused ones are gaps, as after any rollback).
    SQLite: counting on from the highest id the table or its AUTOINCREMENT ever had — the import holds the
    database's write lock, so nobody else takes one.
    """

    FIRST_BLOCK, LAST_BLOCK = 100, 10_000

    def __init__(self, model) -> None:
        self.table = model._meta.db_table
        self.postgres = connection.vendor == "postgresql"
        self.pool: list[int] = []
        self.block = self.FIRST_BLOCK
        self.next: int | None = None
        self.sequence: str | None = None

    def take(self) -> int:
        if not self.pool:
            self.pool = self._block(self.block)
            self.block = min(self.block * 10, self.LAST_BLOCK)
        return self.pool.pop()

    def _block(self, size: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                if self.sequence is None:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
                    self.sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, size]
                )
                return sorted((row[0] for row in cursor.fetchall()), reverse=True)
            if self.next is None:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608 - model table
                highest = cursor.fetchone()[0]
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
                used = cursor.fetchone()
                self.next = max(highest, used[0] if used else 0) + 1
        first, self.next = self.next, self.next + size
        return list(range(first + size - 1, first - 1, -1))


def _columns(model, names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


_PERSON_FIELDS = (
    "id",
    "atena_number",
    "household",
    *[f for f in STATE_FIELDS if f != "household_number"],
    "is_active",
    "last_change_reason",
    "last_changed_on",
    "last_notified_on",
    "known_from",
    "registry_import",
    "source_row",
)
_PERSON_UPDATED = _PERSON_FIELDS[2:-3]  # a change never rewrites where the person first came from
_PERSON_STATE = operator.itemgetter(*(i for i, name in enumerate(STATE_FIELDS) if name != "household_number"))
_CHANGE_FIELDS = (
    "person",
    "reason",
    "moved_on",
    "notified_on",
    "before",
    "after",
    "is_first",
    "registry_import",
    "source_row",
    "created_at",
)
_PERIOD_COLUMNS = (
    "person",
    "household",
    "relationship",
    "address_code",
    "address_key",
    "valid_from",
    "valid_to",
)


class _Writer:
    """Writes new rows (COPY on PostgreSQL, executemany elsewhere) and updates (executemany)."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def insert(self, model, names: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        columns = ", ".join(_columns(model, names))
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model tables
                    [tuple(_adapt(v) for v in row) for row in rows],
                )

    def update(self, model, names: Sequence[str], rows: list[tuple]) -> None:
        """Rows are (values…, id). PostgreSQL: COPY into a temporary table, then one UPDATE … FROM."""
        if not rows:
            return
        table = model._meta.db_table
        columns = _columns(model, names)
        with connection.cursor() as cursor:
            if not self.postgres:
                assignments = ", ".join(f"{column} = %s" for column in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - model tables
                    [tuple(_adapt(v) for v in row) for row in rows],
                )
                return
            staged = f"{table}_import_update"
            listed = ", ".join([*columns, "id"])
            cursor.execute(f"DROP TABLE IF EXISTS {staged}")
            cursor.execute(f"CREATE TEMPORARY TABLE {staged} AS SELECT {listed} FROM {table} WITH NO DATA")  # noqa: S608
            with cursor.copy(f"COPY {staged} ({listed}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{column} = u.{column}" for column in columns)
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {staged} u WHERE {table}.id = u.id")  # noqa: S608
            cursor.execute(f"DROP TABLE {staged}")


class _Applier:
    """Applies checked rows chunk by chunk: compares each with the person's record, and buffers the rows
    to write (persons, changes, periods) and the events to emit until the chunk is flushed."""

    def __init__(
        self, *, batch: RegistryImport, kind: str, reference_date: dt.date, report: ImportReport
    ) -> None:
        self.batch_id = batch.pk
        self.kind = kind
        self.reference_date = reference_date
        self.report = report
        self.reasons = codes.change_reasons().by_code
        self.statuses = codes.resident_statuses().by_code
        self.now = timezone.now()
        self.writer = _Writer()
        self.household_ids, self.person_ids = _Ids(Household), _Ids(Person)
        self.registry_empty = not Person.objects.exists()  # then a full file has no missing persons
        self.households_complete = not Household.objects.exists()  # every household is one we made
        self.known_households: dict[str, int] = {}
        self.histories: dict[int, list[tuple]] = {}
        self.address_keys: dict[tuple, str] = {}
        self.skipped: set[str] = set()  # 宛名番号 with a problem: their later rows are checked, not applied
        self.gave_up = False  # too many problems: rows are only checked from here on
        self.written = self.analyzed = 0  # persons written by this import, and when it last ran ANALYZE
        self._reset()

    def skip(self, atena_number: str) -> None:
        if self.gave_up:
            return
        self.skipped.add(atena_number)
        if len(self.skipped) > REGISTRY_CHECK_LIMIT or self.report.problems.count > REGISTRY_CHECK_LIMIT:
            self.gave_up, self.skipped = True, set()

    def _reset(self) -> None:
        self.new_households: list[tuple] = []
        self.new_persons: list[tuple] = []
        self.updated_persons: dict[int, tuple] = {}
        self.new_changes: list[tuple] = []
        self.new_periods: list[list] = []  # still to be written
        self.closed_periods: list[tuple] = []
        self.pending_events: list[tuple[str, dict]] = []  # emitted once their rows are written

    # -- loading --

    def _households(self, records: list[RegistryRecord]) -> dict[str, int]:
        """世帯番号 → id for the chunk, creating the new ones. Members of a household mostly follow each
        other in a file, so recent numbers are remembered; the rest is looked up."""
        numbers = {r.state[_HOUSEHOLD] for r in records}
        known = self.known_households
        households = {number: known[number] for number in numbers if number in known}
        missing = numbers - households.keys()
        if missing and not (self.registry_empty and self.households_complete):
            households.update(self._lookup("number", Household, list(missing)))
        for number in sorted(numbers - households.keys()):
            households[number] = pk = self.household_ids.take()
            self.new_households.append((pk, number))
        if len(known) > HOUSEHOLD_MEMORY:
            known.clear()
            self.households_complete = False  # from here on, a number not remembered may be in the table
        known.update(households)
        return households

    def _lookup(self, column: str, model, values: list) -> list[tuple]:
        """(value, id) of the rows whose ``column`` is one of ``values`` (ANY(array) on PostgreSQL)."""
        table = model._meta.db_table
        if self.writer.postgres:
            sql, params = f"SELECT {column}, id FROM {table} WHERE {column} = ANY(%s)", [values]  # noqa: S608
        else:
            marks = ", ".join(["%s"] * len(values))
            sql, params = f"SELECT {column}, id FROM {table} WHERE {column} IN ({marks})", values  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _load(self, records: list[RegistryRecord]) -> dict[str, _Current]:
        person, household, period = (m._meta.db_table for m in (Person, Household, PersonPeriod))
        # The 世帯番号 by a subquery per person: a join lets the planner scan every household.
        number = f"(SELECT h.number FROM {household} h WHERE h.id = p.household_id)"  # noqa: S608
        state_columns = [
            number if name == "household_number" else f"p.{Person._meta.get_field(name).column}"
            for name in STATE_FIELDS
        ]
        atena_numbers = list({r.atena_number for r in records})
        if self.writer.postgres:
            where, params = "p.atena_number = ANY(%s)", [atena_numbers]
        else:
            where, params = f"p.atena_number IN ({', '.join(['%s'] * len(atena_numbers))})", atena_numbers
        sql = (
            f"SELECT p.atena_number, p.id, p.is_active, p.last_changed_on, per.id, {', '.join(state_columns)} "  # noqa: S608
            f"FROM {person} p LEFT JOIN {period} per ON per.person_id = p.id AND per.valid_to IS NULL WHERE {where}"
        )
        current = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for atena_number, pk, active, last, open_period, *state in cursor.fetchall():
                current[atena_number] = _Current(pk, tuple(state), bool(active), last, open_period)
        self._prefetch_history(records, current)
        return current

    def _prefetch_history(self, records: list[RegistryRecord], current: dict[str, _Current]) -> None:
        """The histories that rows dated on or before their person's last 異動 will be compared with, in one
        query per chunk (a stale or overlapping file has many such rows)."""
        self.histories = {}
        wanted = {
            person.person_id
            for record in records
            if (person := current.get(record.atena_number)) is not None
            and person.last_changed_on is not None
            and record.state != person.state
            and (record.moved_on or self.reference_date) <= person.last_changed_on
        }
        if not wanted:
            return
        rows = (
            ResidentChange.objects.filter(person_id__in=wanted)
            .order_by("person_id", "-moved_on", "-id")
            .values_list("person_id", "moved_on", "before", "is_first")
        )
        for person_id, moved_on, before, is_first in rows:
            self.histories.setdefault(person_id, []).append((moved_on, before, is_first))

    # -- one chunk --

    def _time(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.report.timings[name] = self.report.timings.get(name, 0.0) + now - since
        return now

    def apply(self, records: list[RegistryRecord]) -> None:
        if self.gave_up or not records:
            return
        if self.skipped:
            records = [r for r in records if r.atena_number not in self.skipped]
        started = time.perf_counter()
        households = self._households(records)
        current = self._load(records)
        started = self._time("lookup", started)
        nested = ("events", "write", "lookup")  # timed on their own when they happen inside the loop
        nested_before = sum(self.report.timings.get(name, 0.0) for name in nested)
        for record in records:
            if record.atena_number in self.skipped:
                continue
            person = current.get(record.atena_number)
            if person is None:
                created = self._create(record, households)
                if created is not None:
                    current[record.atena_number] = created
            else:
                self._change(record, person, households)
        self._time("apply", started)
        self.report.timings["apply"] -= (
            sum(self.report.timings.get(name, 0.0) for name in nested) - nested_before
        )
        self._flush()

    def _reject(self, record: RegistryRecord, column: str, code: str, **params) -> None:
        self.report.problems.add(problem(record.row, column, code, **params))
        self.skip(record.atena_number)

    def _create(self, record: RegistryRecord, households: dict[str, int]) -> _Current | None:
        reason = self.reasons[record.reason] if record.reason else None
        if self.kind == DIFFERENCE and reason.effect != "register":
            self._reject(record, "宛名番号", "unknown_person", value=record.atena_number, reason=reason.name)
            return None
        if reason is not None and reason.effect == "register":
            code, moved_on = reason.code, record.moved_on
        else:
            code, moved_on = codes.INITIAL_LOAD, record.value("resident_since") or self.reference_date
        person_id = self.person_ids.take()
        active = self.statuses[record.value("status")].flag
        row = self._person_row(person_id, record, households, active, code, moved_on)
        self.new_persons.append((*row, moved_on, self.batch_id, record.row))
        if self.kind == DIFFERENCE:  # a 転入 or 出生: the 異動 that brought the person
            self._add_change(person_id, record, code, moved_on, {}, {}, first=True)
        person = _Current(person_id, record.state, active, row[-2], None)
        if active:
            starts = moved_on if self.kind == DIFFERENCE else (record.value("address_since") or moved_on)
            self._open_period(person, households, starts)
        self.report.created += 1
        if self.kind == DIFFERENCE:
            self._emit(reason, person, record, moved_on, list(STATE_FIELDS), None)
        return person

    def _change(self, record: RegistryRecord, person: _Current, households: dict[str, int]) -> None:
        old, new = person.state, record.state
        if old == new:
            self.report.unchanged += 1
            return
        reason = self.reasons[record.reason or codes.FULL_FILE_UPDATE]
        moved_on = record.moved_on or self.reference_date
        last = person.last_changed_on
        if last is not None and moved_on <= last:
            if self._already_reflected(person, new, moved_on):
                self.report.unchanged += 1
                return
            if moved_on < last:
                self._reject(
                    record, "異動日", "out_of_order", moved_on=moved_on.isoformat(), last=last.isoformat()
                )
                return
        active = self.statuses[new[_I["status"]]].flag
        if self.kind == DIFFERENCE and not self._allowed(record, reason, person, active):
            return
        changed = [i for i in range(len(new)) if old[i] != new[i]]
        before = {STATE_FIELDS[i]: snapshot_value(old[i]) for i in changed}
        after = {STATE_FIELDS[i]: snapshot_value(new[i]) for i in changed}
        self._add_change(person.person_id, record, reason.code, moved_on, before, after, first=False)
        row = self._person_row(person.person_id, record, households, active, reason.code, moved_on)
        self.updated_persons[person.person_id] = (*row[2:], person.person_id)  # the fields of _PERSON_UPDATED
        moves = any(old[i] != new[i] for i in _PERIOD_INDEXES)
        if person.is_active and (moves or not active):
            self._close_period(person, moved_on)
        previous_household = old[_I["household_number"]] if "household_number" in before else None
        person.state, person.is_active, person.last_changed_on = new, active, row[-2]
        if active and (moves or (person.open_period is None and person.pending_period is None)):
            self._open_period(person, households, moved_on)
        self.report.updated += 1
        if self.kind == DIFFERENCE:
            self._emit(
                reason, person, record, moved_on, [STATE_FIELDS[i] for i in changed], previous_household
            )

    def _allowed(
        self, record: RegistryRecord, reason: codes.ChangeReason, person: _Current, active: bool
    ) -> bool:
        """Difference files: the 異動事由 fits the person's state before the row."""
        status = person.state[_I["status"]]
        if reason.effect == "register" and person.is_active:
            self._reject(
                record, "異動事由", "already_resident", value=record.atena_number, reason=reason.name
            )
            return False
        needs_resident = reason.effect == "remove" or (reason.effect == "update" and reason.requires_active)
        if needs_resident and not person.is_active:
            self._reject(
                record,
                "異動事由",
                "not_resident",
                value=record.atena_number,
                status=status,
                reason=reason.name,
            )
            return False
        if reason.effect == "update" and active != person.is_active:
            self._reject(
                record, "住民状態", "status_change_reason", before=status, after=record.value("status")
            )
            return False
        return True

    def _already_reflected(self, person: _Current, state: tuple, day: dt.date) -> bool:
        """True when ``state`` is one the person had on ``day`` or just before it: a row applied earlier."""
        started = time.perf_counter()
        history = [  # this chunk's changes of the person, not yet written, newest first
            (change[2], json.loads(change[4]), change[6])
            for change in reversed(self.new_changes)
            if change[0] == person.person_id
        ]
        stored = self.histories.get(person.person_id)
        if stored is None:
            stored = list(
                ResidentChange.objects.filter(person_id=person.person_id)
                .order_by("-moved_on", "-id")
                .values_list("moved_on", "before", "is_first")
            )
        history = [entry for entry in (*history, *stored) if entry[0] >= day]
        candidates = []
        walked = list(person.state)
        for moved_on, before, is_first in history:
            if moved_on == day:
                candidates.append(tuple(walked))
            if is_first:
                break
            restore(walked, before)
        else:
            candidates.append(tuple(walked))
        self._time("lookup", started)
        return state in candidates

    # -- rows to write --

    def _person_row(self, person_id, record, households, active, code, moved_on) -> tuple:
        """Person row; 最終異動事由/日/届出日 are the row's own when it has them (a full file's last 異動)."""
        state = record.state
        if record.reason:
            last = (record.reason, record.moved_on, record.notified_on)
        else:
            last = (code, moved_on, None)
        return (
            person_id,
            record.atena_number,
            households[state[_HOUSEHOLD]],
            *_PERSON_STATE(state),
            active,
            *last,
        )

    def _add_change(self, person_id, record, code, moved_on, before, after, *, first: bool) -> None:
        self.new_changes.append(
            (
                person_id,
                code,
                moved_on,
                record.notified_on,
                json.dumps(before, ensure_ascii=False) if before else "{}",
                json.dumps(after, ensure_ascii=False) if after else "{}",
                first,
                self.batch_id,
                record.row,
                self.now,
            )
        )
        self.report.changes += 1

    def _open_period(self, person: _Current, households, valid_from: dt.date) -> None:
        state = person.state
        address = _ADDRESS(state)
        key = self.address_keys.get(address)
        if key is None:
            if len(self.address_keys) > ADDRESS_MEMORY:
                self.address_keys.clear()
            key = self.address_keys[address] = address_key(*address)
        period = [
            person.person_id,
            households[state[_HOUSEHOLD]],
            state[_RELATIONSHIP],
            state[_ADDRESS_CODE],
            key,
            valid_from,
            None,
        ]
        self.new_periods.append(period)
        person.open_period, person.pending_period = None, period

    def _close_period(self, person: _Current, day: dt.date) -> None:
        """Close the period that holds now: one opened in this chunk is still a row to write."""
        if person.pending_period is not None:
            person.pending_period[6] = max(day, person.pending_period[5])
        elif person.open_period is not None:
            self.closed_periods.append((day, person.open_period))
        person.open_period = person.pending_period = None

    def _emit(
        self, reason, person: _Current, record: RegistryRecord, moved_on, changed, previous_household
    ) -> None:
        """One domain event per change of a difference file; ids, codes and dates only, never names or addresses."""
        payload = {
            "person_id": person.person_id,
            "atena_number": record.atena_number,
            "household_number": record.value("household_number"),
            "reason": reason.code,
            "reason_name": reason.name,
            "moved_on": moved_on.isoformat(),
            "notified_on": record.notified_on.isoformat() if record.notified_on else None,
            "birth_date": record.value("birth_date").isoformat(),
            "is_active": person.is_active,
            "changed": changed,
            "registry_import_id": self.batch_id,
            "source_row": record.row,
        }
        if previous_household is not None:
            payload["previous_household_number"] = previous_household
        self.pending_events.append((reason.event, payload))
        self.report.events += 1

    def _refresh_statistics(self, written: int) -> None:
        """PostgreSQL: ANALYZE the tables each time they have doubled in this import (from 10,000 rows on).
        Without it the planner still sees the tables as they were before a large first load, and looks
        persons up by scanning them: quadratic time."""
        if not self.writer.postgres:
            return
        self.written += written
        if self.written < max(10_000, 2 * self.analyzed):
            return
        with connection.cursor() as cursor:
            for model in (Person, Household, PersonPeriod):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.analyzed = self.written

    def _flush(self) -> None:
        started = time.perf_counter()
        write = self.writer
        write.insert(Household, ("id", "number"), self.new_households)
        write.insert(Person, _PERSON_FIELDS, self.new_persons)
        write.update(Person, _PERSON_UPDATED, list(self.updated_persons.values()))
        write.insert(ResidentChange, _CHANGE_FIELDS, self.new_changes)
        write.update(PersonPeriod, ("valid_to",), self.closed_periods)
        write.insert(PersonPeriod, _PERIOD_COLUMNS, [tuple(p) for p in self.new_periods])
        self._refresh_statistics(len(self.new_persons))
        pending_events = self.pending_events
        self._reset()
        started = self._time("write", started)
        emit_all(pending_events)
        self._time("events", started)

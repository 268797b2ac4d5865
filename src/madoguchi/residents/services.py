"""Writes to the registry read-model, and the demo town みどり市 with its departments and accounts."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.residents import demo
from madoguchi.residents.models import Household, Person

DEMO_PASSWORD = "midori-demo-2026"  # noqa: S105 - the documented password of every demo account
DEMO_RESIDENT_EMAIL = "taro@example.jp"
DEMO_RESIDENT_NAME = "緑川　太郎"
# A fixed salt makes the demo password's hash comparable without hashing it again for every account.
_DEMO_PASSWORD_SALT = "madoguchidemo2026"  # noqa: S105 - not a secret either
HOUSEHOLDS_PER_BATCH = 2_000  # about 4,400 persons: memory stays flat even for 500,000 residents


class DemoTownError(Exception):
    """The demo town cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class DemoTownReport:
    residents: int
    households: int
    seed: int
    created: bool  # False: the same town was already there, nothing was written
    replaced: int  # residents of a different demo town that were removed first
    seconds: float


class DemoLogin(NamedTuple):
    email: str
    password: str
    department: str  # department code, "" for the auditor and the resident
    role: str  # a staff Role value, or "resident"


def _demo_range() -> tuple[str, str]:
    return demo.atena_number(1), demo.atena_number(demo.MAX_RESIDENTS)


def _demo_persons():
    first, last = _demo_range()
    return Person.objects.filter(atena_number__gte=first, atena_number__lte=last)


def _is_loaded(*, residents: int, seed: int, existing: int) -> bool:
    """The demo range holds exactly this town: same count, and its first household matches the seed's."""
    if existing != residents:
        return False
    first = next(demo.generate_town(residents=residents, seed=seed))
    stored = {
        p.atena_number: (p.name, p.birth_date, p.household.number)
        for p in Person.objects.filter(
            atena_number__in=[m.atena_number for m in first.members]
        ).select_related("household")
    }
    return all(stored.get(m.atena_number) == (m.name, m.birth_date, first.number) for m in first.members)


def _batches(households: Iterator[demo.DemoHousehold], size: int) -> Iterator[list[demo.DemoHousehold]]:
    while batch := list(islice(households, size)):
        yield batch


def load_demo_town(*, residents: int = demo.DEFAULT_RESIDENTS, seed: int = 1) -> DemoTownReport:
    """Load the demo town (all or nothing). Does nothing when the same town is already loaded.

    Demo residents have 宛名番号 0000000001 … and 世帯番号 0000000001 …; a demo town loaded with other
    parameters is replaced. Loading emits no domain events: it stands for the initial migration of the
    core system's data, not for 異動.
    """
    if not 1 <= residents <= demo.MAX_RESIDENTS:
        raise DemoTownError(f"--residents must be between 1 and {demo.MAX_RESIDENTS:,} (got {residents:,}).")
    started = time.perf_counter()
    existing = _demo_persons().count()
    if existing and _is_loaded(residents=residents, seed=seed, existing=existing):
        first, last = _demo_range()
        households = Household.objects.filter(number__gte=first, number__lte=last).count()
        return DemoTownReport(residents, households, seed, False, 0, time.perf_counter() - started)

    household_count = 0
    try:
        with transaction.atomic():
            if existing:
                _remove_demo_town()
            write = _copy_households if connection.vendor == "postgresql" else _insert_households
            for batch in _batches(demo.generate_town(residents=residents, seed=seed), HOUSEHOLDS_PER_BATCH):
                household_count += write(batch)
    except IntegrityError as exc:  # foreign keys are checked when the transaction commits
        raise DemoTownError(
            "A demo town with other parameters is loaded and other records (such as cases) refer to its "
            "residents, so it cannot be replaced; nothing was changed. Load it with the same --residents and "
            "--seed, or start from an empty database (delete var/madoguchi.sqlite3 and run `make run` again)."
        ) from exc
    return DemoTownReport(residents, household_count, seed, True, existing, time.perf_counter() - started)


# Columns written for each demo person, in order (see _person_row).
PERSON_COLUMNS = (
    "atena_number",
    "household_id",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "relationship",
    "postal_code",
    "prefecture",
    "city",
    "town",
    "banchi",
    "building",
    "resident_since",
    "is_active",
    "support_measure",
)


def _person_row(p: demo.DemoPerson, household_id: int) -> tuple:
    return (
        p.atena_number,
        household_id,
        p.name,
        p.name_kana,
        p.birth_date,
        p.sex,
        p.relationship,
        p.postal_code,
        p.prefecture,
        p.city,
        p.town,
        p.banchi,
        p.building,
        p.resident_since,
        True,
        p.support_measure,
    )


def _tables() -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(Person._meta.get_field(name.removesuffix("_id")).column) for name in PERSON_COLUMNS
    )
    return quote(Household._meta.db_table), quote(Person._meta.db_table), columns


def _remove_demo_town() -> None:
    """Delete the demo range in two statements. Rows that refer to these residents (cases, …) make the
    commit fail on its foreign keys, which load_demo_town reports."""
    first, last = _demo_range()
    households, persons, _columns = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {persons} WHERE atena_number >= %s AND atena_number <= %s",  # noqa: S608 - model tables
            [first, last],
        )
        cursor.execute(
            f"DELETE FROM {households} WHERE number >= %s AND number <= %s"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM {persons} p WHERE p.household_id = {households}.id)",
            [first, last],
        )


def _insert_households(batch: list[demo.DemoHousehold]) -> int:
    """Any database: bulk_create, which returns the new households' ids on SQLite and PostgreSQL."""
    households = Household.objects.bulk_create([Household(number=h.number) for h in batch])
    Person.objects.bulk_create(
        [
            Person(**dict(zip(PERSON_COLUMNS, _person_row(p, household.pk), strict=True)))
            for household, source in zip(households, batch, strict=True)
            for p in source.members
        ],
        batch_size=1_000,
    )
    return len(households)


def _copy_households(batch: list[demo.DemoHousehold]) -> int:
    """PostgreSQL: COPY loads 500,000 residents about four times faster than bulk_create (docs/demo-town.md)."""
    households, persons, columns = _tables()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {households} (number) FROM STDIN") as copy:
            for household in batch:
                copy.write_row((household.number,))
        cursor.execute(
            f"SELECT number, id FROM {households} WHERE number >= %s AND number <= %s",  # noqa: S608
            [batch[0].number, batch[-1].number],
        )
        ids = dict(cursor.fetchall())
        with cursor.copy(f"COPY {persons} ({columns}) FROM STDIN") as copy:
            for household in batch:
                household_id = ids[household.number]
                for person in household.members:
                    copy.write_row(_person_row(person, household_id))
    return len(batch)


# --- departments and accounts ----------------------------------------------------------------------


def _demo_rows(name: str) -> list[dict[str, str]]:
    with (demo.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ensure_departments() -> dict[str, Department]:
    """The seven departments of みどり市 (demo_data/departments.csv), created or renamed as needed."""
    departments = {}
    for row in _demo_rows("departments.csv"):
        department, created = Department.objects.get_or_create(
            code=row["code"], defaults={"name_ja": row["name_ja"], "name_en": row["name_en"]}
        )
        if not created and (department.name_ja, department.name_en) != (row["name_ja"], row["name_en"]):
            department.name_ja, department.name_en = row["name_ja"], row["name_en"]
            department.save(update_fields=["name_ja", "name_en"])
        departments[department.code] = department
    return departments


def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD, salt=_DEMO_PASSWORD_SALT)


def _ensure_account(*, email: str, password_hash: str, **attributes) -> User:
    """Create the account, or bring an existing one back to its demo state (and the demo password)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create(email=email, password=password_hash, **attributes)
    changed = [name for name, value in attributes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, attributes[name])
    if user.password != password_hash:
        user.password = password_hash
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user


@transaction.atomic
def ensure_demo_staff() -> list[DemoLogin]:
    """Per department a reviewer, an approver and a department admin, plus one auditor (demo_data/staff.csv).

    All share DEMO_PASSWORD. The auditor belongs to no department: the audit log spans all of them.
    """
    departments = ensure_departments()
    password_hash = _demo_password_hash()
    logins = []
    for row in _demo_rows("staff.csv"):
        _ensure_account(
            email=row["email"],
            password_hash=password_hash,
            display_name=row["display_name"],
            kind=UserKind.STAFF,
            department_id=departments[row["department"]].pk if row["department"] else None,
            role=Role(row["role"]),
            is_active=True,
        )
        logins.append(DemoLogin(row["email"], DEMO_PASSWORD, row["department"], row["role"]))
    return logins


def ensure_demo_resident() -> DemoLogin:
    """The demo resident account taro@example.jp, with a verified email address."""
    user = User.objects.filter(email=DEMO_RESIDENT_EMAIL).first()
    verified_at = user.email_verified_at if user is not None and user.email_verified_at else timezone.now()
    _ensure_account(
        email=DEMO_RESIDENT_EMAIL,
        password_hash=_demo_password_hash(),
        display_name=DEMO_RESIDENT_NAME,
        kind=UserKind.RESIDENT,
        department_id=None,
        role="",
        email_verified_at=verified_at,
        is_active=True,
    )
    return DemoLogin(DEMO_RESIDENT_EMAIL, DEMO_PASSWORD, "", "resident")

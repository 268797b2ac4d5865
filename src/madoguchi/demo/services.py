"""Every write of the demo: the demo town みどり市 loaded into the registry through its import, the town's
departments and demo accounts, and the demo FAQ. `madoguchi demo` calls these; no other room may.

The demo plays the municipality's core 住民記録 system (docs/architecture.md, principle 4) and its first administrator: it uses
the services of residents, accounts and faq like any installation would, and is the only code that writes
the fixed demo range (宛名番号 0000000001 …) directly, to replace its own town.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from madoguchi.accounts.models import Department, Role, User, UserKind
from madoguchi.demo import town as demo
from madoguchi.faq.services import DEMO_DATA as FAQ_DEMO_DATA
from madoguchi.faq.services import DEMO_FILES as FAQ_DEMO_FILES
from madoguchi.faq.services import ImportReport as FaqImportReport
from madoguchi.faq.services import import_faq_csv
from madoguchi.residents.models import Household, Person, PersonPeriod, ResidentChange
from madoguchi.residents.registry.layout import FULL
from madoguchi.residents.services import import_registry_rows

DEMO_PASSWORD = "midori-demo-2026"  # noqa: S105 - the documented password of every demo account
DEMO_RESIDENT_EMAIL = "taro@example.jp"
DEMO_RESIDENT_NAME = "緑川　太郎"
# A fixed salt makes the demo password's hash comparable without hashing it again for every account.
_DEMO_PASSWORD_SALT = "madoguchidemo2026"  # noqa: S105 - not a secret either


# --- the demo town -----------------------------------------------------------------------------------


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


class _Counted:
    """Passes households through and counts them."""

    def __init__(self, households: Iterator[demo.DemoHousehold]) -> None:
        self.households = households
        self.count = 0

    def __iter__(self) -> Iterator[demo.DemoHousehold]:
        for household in self.households:
            self.count += 1
            yield household


def load_demo_town(*, residents: int = demo.DEFAULT_RESIDENTS, seed: int = 1) -> DemoTownReport:
    """Load the demo town (all or nothing) through the registry import. Does nothing when the same town
    is already loaded.

    The demo plays the core system: it writes its town as the rows of a full registry file and applies
    them with ``import_registry_rows``, like any municipality's first load (one ``resident.registry_loaded``
    event). Demo residents have 宛名番号 0000000001 … and 世帯番号 0000000001 …; a demo town loaded with
    other parameters is replaced.
    """
    if not 1 <= residents <= demo.MAX_RESIDENTS:
        raise DemoTownError(f"--residents must be between 1 and {demo.MAX_RESIDENTS:,} (got {residents:,}).")
    started = time.perf_counter()
    existing = _demo_persons().count()
    if existing and _is_loaded(residents=residents, seed=seed, existing=existing):
        first, last = _demo_range()
        households = Household.objects.filter(number__gte=first, number__lte=last).count()
        return DemoTownReport(residents, households, seed, False, 0, time.perf_counter() - started)

    town = _Counted(demo.generate_town(residents=residents, seed=seed))
    try:
        with transaction.atomic():
            if existing:
                _remove_demo_town()
            report = import_registry_rows(
                header=demo.REGISTRY_HEADER,
                rows=demo.registry_rows(town),
                kind=FULL,
                source_name=f"demo:residents={residents},seed={seed}",
                reference_date=demo.REFERENCE_DATE,
            )
            if not report.applied:
                shown = "\n".join(item.format() for item, _ in zip(report.problems, range(10), strict=False))
                raise DemoTownError(
                    f"The demo town did not pass the registry checks ({report.problems.count:,} problems):\n{shown}"
                )
    except IntegrityError as exc:  # foreign keys are checked when the transaction commits
        raise DemoTownError(
            "A demo town with other parameters is loaded and other records (such as cases) refer to its "
            "residents, so it cannot be replaced; nothing was changed. Load it with the same --residents and "
            "--seed, or start from an empty database (delete var/madoguchi.sqlite3 and run `make run` again)."
        ) from exc
    return DemoTownReport(residents, town.count, seed, True, existing, time.perf_counter() - started)


def _remove_demo_town() -> None:
    """Delete the demo range with its history, in a few statements. Only the demo may do this: its town is
    replaced as a whole. Rows that refer to these residents (cases, …) make the commit fail on its foreign
    keys, which load_demo_town reports."""
    first, last = _demo_range()
    quote = connection.ops.quote_name
    households, persons = quote(Household._meta.db_table), quote(Person._meta.db_table)
    in_range = f"SELECT id FROM {persons} WHERE atena_number >= %s AND atena_number <= %s"  # noqa: S608
    with connection.cursor() as cursor:
        for model in (PersonPeriod, ResidentChange):
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE person_id IN ({in_range})",  # noqa: S608
                [first, last],
            )
        cursor.execute(
            f"DELETE FROM {persons} WHERE atena_number >= %s AND atena_number <= %s",  # noqa: S608 - model tables
            [first, last],
        )
        cursor.execute(
            f"DELETE FROM {households} WHERE number >= %s AND number <= %s"  # noqa: S608
            f" AND NOT EXISTS (SELECT 1 FROM {persons} p WHERE p.household_id = {households}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM {quote(PersonPeriod._meta.db_table)} pp WHERE pp.household_id = {households}.id)",
            [first, last],
        )


# --- departments and accounts ----------------------------------------------------------------------


def _demo_rows(name: str) -> list[dict[str, str]]:
    with (demo.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ensure_departments() -> dict[str, Department]:
    """The seven departments of みどり市 (data/departments.csv), created or renamed as needed."""
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
    """Per department a reviewer, an approver and a department admin, plus one auditor (data/staff.csv).

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


# --- the demo FAQ ----------------------------------------------------------------------------------


@dataclass
class DemoImportReport:
    reports: list[FaqImportReport] = field(default_factory=list)

    def __str__(self) -> str:
        by_lang = {r.lang: r for r in self.reports}
        ja, en = by_lang.get("ja"), by_lang.get("en")
        versions = sum(r.new_versions for r in self.reports)
        unchanged = sum(r.unchanged for r in self.reports)
        return (
            f"日本語 {ja.entries if ja else 0} 件・英語 {en.entries if en else 0} 件"
            f"（新しい版 {versions}・変更なし {unchanged}）"
        )


def import_demo_faq() -> DemoImportReport:
    """The みどり市 demo FAQ (Japanese, then English); `madoguchi demo` calls this. Running it again changes nothing.

    The CSV files belong to the faq room (``faq.services.DEMO_DATA``: its engine, tests and benchmarks use
    them too); the demo adds the departments their categories are assigned to.
    """
    ensure_departments()
    result = DemoImportReport()
    for name, lang in FAQ_DEMO_FILES:
        result.reports.append(import_faq_csv(path=FAQ_DEMO_DATA / name, lang=lang))
    return result


# The demo's booking windows and appointment types (docs/booking.md): code, window, names, minutes, seats.
DEMO_WINDOWS = (
    ("shimin", "shimin", "市民課窓口", "Residents Division counter", "A"),
    ("kosodate", "kosodate", "子育て支援課窓口", "Child Support counter", "B"),
)
DEMO_APPOINTMENT_TYPES = (
    ("tennyu", "shimin", "転入・転出の届出", "Moving in or out", 30, 3),
    ("mynumber-card", "shimin", "マイナンバーカード受け取り", "Picking up a My Number Card", 15, 2),
    ("soudan", "shimin", "相談", "Consultation", 30, 1),
    ("hoiku-soudan", "kosodate", "保育の入園相談", "Nursery admission consultation", 30, 2),
)


def ensure_demo_booking() -> int:
    """The demo town's booking windows and appointment types (created once; staff may change them after)."""
    from madoguchi.booking.models import AppointmentType, Window

    departments = ensure_departments()
    windows = {}
    for code, department, name_ja, name_en, prefix in DEMO_WINDOWS:
        windows[code], _ = Window.objects.get_or_create(
            code=code,
            defaults={
                "department": departments[department],
                "name_ja": name_ja,
                "name_en": name_en,
                "ticket_prefix": prefix,
            },
        )
    created = 0
    for code, window, name_ja, name_en, minutes, capacity in DEMO_APPOINTMENT_TYPES:
        _, made = AppointmentType.objects.get_or_create(
            code=code,
            defaults={
                "window": windows[window],
                "name_ja": name_ja,
                "name_en": name_en,
                "slot_minutes": minutes,
                "capacity": capacity,
            },
        )
        created += made
    return created

"""Reads of the registry read-model, now and as of a date (基準日), answered from the history.

Household and address questions use ``PersonPeriod`` (an index lookup); the other items of a person as of
a date are the person row with every later ``ResidentChange`` undone. These selectors do not check who
asks: staff pages call them through the access layer (residents/access.py), which records the access and
applies 支援措置 protection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from madoguchi.residents.models import Household, Person, PersonPeriod, ResidentChange
from madoguchi.residents.registry import codes
from madoguchi.residents.registry.layout import STATE_FIELDS, address_key
from madoguchi.residents.registry.snapshots import restore

_HEAD = "世帯主"


@dataclass(frozen=True, slots=True)
class PersonAsOf:
    """A person's registry items as they stood on ``day`` (STATE_FIELDS, plus the keys)."""

    person_id: int
    atena_number: str
    day: dt.date
    known_from: dt.date | None  # where the read-model's record of the person begins (Person.known_from)
    items: dict  # STATE_FIELDS name → value on that day

    def __getattr__(self, name: str):
        try:
            return self.items[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def is_active(self) -> bool:
        return codes.is_active_status(self.items["status"])


@dataclass(frozen=True, slots=True)
class ResidentAsOf:
    """Someone who lived in a household or at an address on a day, with the items of that day."""

    person_id: int
    atena_number: str
    name: str
    name_kana: str
    birth_date: dt.date
    sex: str
    household_number: str
    relationship: str
    valid_from: dt.date
    valid_to: dt.date | None  # exclusive; None: still there
    support_measure: bool  # now: protection applies whatever the day asked about
    address_key: str = ""  # the dwelling of the period (layout.address_key)


# ----------------------------------------------------------------------------------------------------------
# 支援措置: which addresses are protected


@dataclass(frozen=True)
class ProtectedAddresses:
    """The households and dwellings of the active persons under 支援措置 (DV and stalking protection).

    Protection covers every person at a protected address, not only the flagged person: the members of a
    flagged person's household (世帯, by its id) and everyone registered at the same dwelling (the address
    with its 方書, as `layout.address_key` normalises it: another household in the same flat). Their address,
    postal code and 世帯番号 are withheld like the flagged person's own, since any of them leads there. A
    flagged person who is no longer a resident (転出, 死亡) protects only their own record: the address they
    left is no longer theirs.
    """

    households: frozenset[int]
    dwellings: frozenset[str]

    def covers(self, person) -> bool:
        """True when `person` (a Person row with its address fields) is at a protected address."""
        return (
            bool(person.support_measure)
            or person.household_id in self.households
            or dwelling_of(person) in self.dwellings
        )

    def reason(self, person) -> str:
        """ "self" (flagged), "household" (at a flagged person's address), or "" (not protected)."""
        if person.support_measure:
            return "self"
        return "household" if self.covers(person) else ""


PROTECTED_PERSON_FIELDS = ("household_id", "prefecture", "city", "town", "banchi", "building")


def dwelling_of(person) -> str:
    return address_key(person.prefecture, person.city, person.town, person.banchi, person.building)


def protected_addresses() -> ProtectedAddresses:
    """Every protected household and dwelling now: one query over the flagged persons (a partial index)."""
    rows = Person.objects.filter(support_measure=True, is_active=True).values_list(*PROTECTED_PERSON_FIELDS)
    households, dwellings = set(), set()
    for household_id, *address in rows:
        households.add(household_id)
        dwellings.add(address_key(*address))
    return ProtectedAddresses(frozenset(households), frozenset(dwellings))


def protected_household_ids(household_ids: Iterable[int]) -> set[int]:
    """Which of `household_ids` are at a protected address now (a member flagged, in a flagged person's
    household, or registered at a protected dwelling): their 世帯番号 is withheld like the address."""
    wanted = set(household_ids)
    if not wanted:
        return set()
    index = protected_addresses()
    found = wanted & index.households
    found.update(
        PersonPeriod.objects.filter(
            valid_to__isnull=True, household_id__in=wanted - found, address_key__in=index.dwellings
        ).values_list("household_id", flat=True)
    )
    return found


def protected_person_ids(index: ProtectedAddresses | None = None) -> set[int]:
    """Ids of every person at a protected address now: flagged, in a protected household, or registered
    (an open period) at a protected dwelling. For lists by household or address."""
    index = index or protected_addresses()
    ids = set(
        Person.objects.filter(Q(support_measure=True) | Q(household_id__in=index.households)).values_list(
            "id", flat=True
        )
    )
    ids.update(
        PersonPeriod.objects.filter(valid_to__isnull=True, address_key__in=index.dwellings).values_list(
            "person_id", flat=True
        )
    )
    return ids


def _current_state(person: Person) -> list:
    return [
        person.household.number if name == "household_number" else getattr(person, name)
        for name in STATE_FIELDS
    ]


def _undo(state_by_person: dict[int, list], changes: Iterable[tuple[int, dict]]) -> None:
    """Undo changes (newest first) on the states: each ``before`` snapshot puts the older values back."""
    for person_id, before in changes:
        state = state_by_person.get(person_id)
        if state is not None:
            restore(state, before)


def person_as_of(atena_number: str, day: dt.date) -> PersonAsOf | None:
    """The person's items on ``day``; None when the person is unknown, or not yet in the read-model then."""
    person = Person.objects.select_related("household").filter(atena_number=atena_number).first()
    if person is None:
        return None
    known_from = person.known_from or person.resident_since
    if known_from is not None and day < known_from:
        return None
    later = (
        ResidentChange.objects.filter(person_id=person.pk, moved_on__gt=day, is_first=False)
        .order_by("-moved_on", "-id")
        .values_list("before", flat=True)
    )
    state = {person.pk: _current_state(person)}
    _undo(state, ((person.pk, before) for before in later))
    items = dict(zip(STATE_FIELDS, state[person.pk], strict=True))
    return PersonAsOf(person.pk, person.atena_number, day, known_from, items)


@dataclass(frozen=True, slots=True)
class NamedPerson:
    """A person's name, reading and birth date: what matching a paper form against the registry compares."""

    person_id: int
    name: str
    name_kana: str
    birth_date: dt.date


def persons_born_on(day: dt.date, *, limit: int = 200) -> list[NamedPerson]:
    """Every person of the read-model born on `day` (at most `limit`), for matching a read name against the
    registry (madoguchi.intake). No access check: the caller audits the look."""
    rows = (
        Person.objects.filter(birth_date=day)
        .order_by("id")
        .values_list("id", "name", "name_kana", "birth_date")
    )
    return [NamedPerson(*row) for row in rows[:limit]]


_NAME_ITEMS = ("name", "name_kana", "birth_date", "sex")


def _periods_sql(where: str) -> str:
    person, household, period = (m._meta.db_table for m in (Person, Household, PersonPeriod))
    return (
        "SELECT per.person_id, p.atena_number, p.name, p.name_kana, p.birth_date, p.sex, p.support_measure, "  # noqa: S608
        "p.last_changed_on, h.number, per.relationship, per.valid_from, per.valid_to, per.address_key "
        f"FROM {period} per JOIN {person} p ON p.id = per.person_id JOIN {household} h ON h.id = per.household_id "
        f"WHERE {where} AND per.valid_from <= %s AND (per.valid_to IS NULL OR per.valid_to > %s)"
    )


def _residents(sql: str, params: list, day: dt.date) -> list[ResidentAsOf]:
    """Periods that hold on ``day``, with their persons' names and dates of birth as of that day.

    One query; a second only for persons whose record changed after ``day`` (their old names come back
    from the history).
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, day, day])
        rows = cursor.fetchall()
    names = {row[0]: list(row[2:6]) for row in rows}
    changed_later = [row[0] for row in rows if row[7] is not None and row[7] > day]
    if changed_later:
        later = (
            ResidentChange.objects.filter(person_id__in=changed_later, moved_on__gt=day, is_first=False)
            .order_by("-moved_on", "-id")
            .values_list("person_id", "before")
        )
        for person_id, before in later:
            for index, item in enumerate(_NAME_ITEMS):
                if item in before:
                    value = before[item]
                    names[person_id][index] = dt.date.fromisoformat(value) if item == "birth_date" else value
    residents = [
        ResidentAsOf(
            person_id=row[0],
            atena_number=row[1],
            name=names[row[0]][0],
            name_kana=names[row[0]][1],
            birth_date=names[row[0]][2],
            sex=names[row[0]][3],
            support_measure=bool(row[6]),
            household_number=row[8],
            relationship=row[9],
            valid_from=row[10],
            valid_to=row[11],
            address_key=row[12],
        )
        for row in rows
    ]
    return sorted(
        residents, key=lambda r: (r.household_number, r.relationship != _HEAD, r.birth_date, r.atena_number)
    )


def household_members_as_of(household_number: str, day: dt.date) -> list[ResidentAsOf]:
    """Who lived in the household (世帯) on ``day``: the head first, then by date of birth."""
    return _residents(_periods_sql("h.number = %s"), [household_number], day)


def residents_at_address_as_of(
    day: dt.date,
    *,
    address_code: str = "",
    prefecture: str = "",
    city: str = "",
    town: str = "",
    banchi: str = "",
    building: str | None = None,
    include_protected: bool = False,
) -> list[ResidentAsOf]:
    """Who lived at an address on ``day``.

    Give the address parts for one dwelling (``building`` "" means no 方書; None means any 方書 at that
    番地), or a 住所コード for everyone in that 町字, or both. Persons under 支援措置, the members of their
    households and everyone at their dwellings are left out unless ``include_protected``: a list by address
    must not reveal where they live.
    """
    conditions, params = [], []
    if address_code:
        conditions.append("per.address_code = %s")
        params.append(address_code)
    if prefecture or city or town or banchi:
        key = address_key(prefecture, city, town, banchi, building or "")
        if building is not None:
            conditions.append("per.address_key = %s")
            params.append(key)
        else:
            conditions.append("per.address_key LIKE %s ESCAPE '!'")
            params.append(key.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%")
    if not conditions:
        raise ValueError("give an address_code or the address parts")
    if not include_protected:
        conditions.append("NOT p.support_measure")
    residents = _residents(_periods_sql(" AND ".join(conditions)), params, day)
    if include_protected:
        return residents
    # Nor anyone at a protected address (a flagged person's household or dwelling): listing them would
    # confirm where the protected person lives.
    index = protected_addresses()
    hidden = protected_person_ids(index)
    return [r for r in residents if r.person_id not in hidden and r.address_key not in index.dwellings]


def changes_of_person(atena_number: str) -> list[ResidentChange]:
    """The person's 異動, oldest first (for history screens; read through the access layer)."""
    return list(
        ResidentChange.objects.filter(person__atena_number=atena_number)
        .select_related("registry_import")
        .order_by("moved_on", "id")
    )


def changes_of_import(registry_import_id: int):
    """The changes one import made, in file order: what a ``resident.registry_loaded`` subscriber reads."""
    return (
        ResidentChange.objects.filter(registry_import_id=registry_import_id)
        .order_by("source_row", "id")
        .iterator(chunk_size=2_000)
    )

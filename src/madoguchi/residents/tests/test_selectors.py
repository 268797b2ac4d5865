"""Registry reads as of a date (基準日), answered from the history, checked against a replay of the changes."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.residents import selectors
from madoguchi.residents.registry.layout import DIFFERENCE, FULL
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db


def load(rows, kind=FULL):
    report = import_registry_csv(source=io.BytesIO(registry_csv(rows)), kind=kind, source_name="t.csv")
    assert report.applied, [p.format() for p in report.problems]
    return report


def moved(base: dict, reason: str, day: dt.date, **items: str) -> dict:
    return {**base, **items, "異動事由": reason, "異動日": day.isoformat(), "届出日": day.isoformat()}


HEAD = registry_row(住民となった日="2000-01-01", 住所を定めた日="2000-01-01", 異動日="2000-01-01")
SON = registry_row(
    宛名番号="9100000002",
    氏名="緑川\u3000翔",
    氏名フリガナ="ミドリカワ\u3000ショウ",
    性別="1",
    続柄="子",
    生年月日="2001-02-03",
    住民となった日="2001-02-03",
    住所を定めた日="2001-02-03",
    異動事由="03",
    異動日="2001-02-03",
)


def atena_numbers(residents) -> list[str]:
    return [r.atena_number for r in residents]


def test_household_members_as_of_follow_births_splits_and_moves():
    load([HEAD, SON])
    married = dt.date(2025, 4, 1)
    load(
        [
            moved(
                SON,
                "21",
                married,
                世帯番号="9100000090",
                続柄="世帯主",
                番地="5番5号",
                住所を定めた日="2025-04-01",
            )
        ],
        DIFFERENCE,
    )
    assert atena_numbers(selectors.household_members_as_of("9100000001", dt.date(2000, 6, 1))) == [
        "9100000001"
    ]
    both = selectors.household_members_as_of("9100000001", dt.date(2010, 1, 1))
    assert [(r.atena_number, r.relationship) for r in both] == [
        ("9100000001", "世帯主"),
        ("9100000002", "子"),
    ]
    assert atena_numbers(selectors.household_members_as_of("9100000001", married)) == ["9100000001"]
    assert (
        atena_numbers(selectors.household_members_as_of("9100000090", married - dt.timedelta(days=1))) == []
    )
    [son] = selectors.household_members_as_of("9100000090", married)
    assert (son.relationship, son.valid_from, son.valid_to, son.name) == (
        "世帯主",
        married,
        None,
        "緑川\u3000翔",
    )
    assert selectors.household_members_as_of("9100000001", dt.date(1999, 12, 31)) == []


def test_names_are_those_of_the_day_asked_about():
    load([HEAD])
    load(
        [
            moved(
                HEAD,
                "42",
                dt.date(2020, 6, 1),
                氏名="青木\u3000花子",
                氏名フリガナ="アオキ\u3000ハナコ",
                旧氏="緑川",
            )
        ],
        DIFFERENCE,
    )
    [before] = selectors.household_members_as_of("9100000001", dt.date(2020, 5, 31))
    [after] = selectors.household_members_as_of("9100000001", dt.date(2020, 6, 1))
    assert (before.name, after.name) == ("緑川\u3000花子", "青木\u3000花子")
    old = selectors.person_as_of("9100000001", dt.date(2020, 5, 31))
    new = selectors.person_as_of("9100000001", dt.date(2020, 6, 1))
    assert (old.name, old.former_surname, new.name, new.former_surname) == (
        "緑川\u3000花子",
        "",
        "青木\u3000花子",
        "緑川",
    )
    assert old.known_from == dt.date(2000, 1, 1) and old.is_active


def test_person_as_of_is_none_before_the_person_is_known_and_shows_removal_after():
    load([HEAD])
    load([moved(HEAD, "33", dt.date(2024, 8, 1), 住民状態="3")], DIFFERENCE)
    assert selectors.person_as_of("9100000001", dt.date(1999, 1, 1)) is None
    assert selectors.person_as_of("9999999999", dt.date(2024, 1, 1)) is None
    assert selectors.person_as_of("9100000001", dt.date(2024, 7, 31)).is_active
    gone = selectors.person_as_of("9100000001", dt.date(2024, 8, 1))
    assert (gone.status, gone.is_active) == ("3", False)
    assert selectors.household_members_as_of("9100000001", dt.date(2024, 8, 1)) == []


def test_residents_at_an_address_by_parts_or_by_code_without_protected_persons():
    flat = registry_row(
        宛名番号="9100000003",
        世帯番号="9100000003",
        方書="メゾンみどり101号室",
        住民となった日="2000-01-01",
        住所を定めた日="2000-01-01",
        異動日="2000-01-01",
    )
    hidden = registry_row(
        宛名番号="9100000004",
        世帯番号="9100000004",
        番地="4番4号",
        支援措置="1",
        住民となった日="2000-01-01",
        住所を定めた日="2000-01-01",
        異動日="2000-01-01",
    )
    load([HEAD, flat, hidden])
    day = dt.date(2020, 1, 1)
    address = {"prefecture": "みどり県", "city": "みどり市", "town": "緑町", "banchi": "3番12号"}
    assert atena_numbers(selectors.residents_at_address_as_of(day, **address, building="")) == ["9100000001"]
    assert atena_numbers(
        selectors.residents_at_address_as_of(day, **address, building="メゾンみどり101号室")
    ) == ["9100000003"]
    assert atena_numbers(selectors.residents_at_address_as_of(day, **address)) == ["9100000001", "9100000003"]
    assert atena_numbers(
        selectors.residents_at_address_as_of(day, **{**address, "banchi": "３番１２号"}, building="")
    ) == ["9100000001"]
    assert atena_numbers(selectors.residents_at_address_as_of(day, address_code="9920110002000")) == [
        "9100000001",
        "9100000003",
    ]
    with_protected = selectors.residents_at_address_as_of(
        day, address_code="9920110002000", include_protected=True
    )
    assert atena_numbers(with_protected) == ["9100000001", "9100000003", "9100000004"]
    assert with_protected[-1].support_measure
    with pytest.raises(ValueError, match="address"):
        selectors.residents_at_address_as_of(day)


def test_history_reads():
    load([HEAD])
    report = load(
        [
            moved(HEAD, "11", dt.date(2021, 1, 1), 番地="1番1号"),
            moved(HEAD, "41", dt.date(2021, 2, 1), 番地="1番1号", 旧氏="青木"),
        ],
        DIFFERENCE,
    )
    assert [c.reason for c in selectors.changes_of_person("9100000001")] == ["11", "41"]
    assert [c.source_row for c in selectors.changes_of_import(report.registry_import_id)] == [2, 3]


# --- property: the as-of answers equal a replay of the changes --------------------------------------

START = dt.date(2000, 1, 1)
PEOPLE = [f"91000000{i:02d}" for i in range(1, 5)]


@dataclass
class Town:
    """The reference: every person's state after each change, replayed in plain Python."""

    states: dict[str, dict] = field(default_factory=dict)
    history: dict[str, list[tuple[dt.date, dict]]] = field(default_factory=dict)
    counter: int = 0

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def on(self, atena_number: str, day: dt.date) -> dict | None:
        known = [state for when, state in self.history[atena_number] if when <= day]
        return known[-1] if known else None


def _initial() -> tuple[Town, list[dict]]:
    town, rows = Town(), []
    for i, atena_number in enumerate(PEOPLE):
        household = PEOPLE[0] if i < 2 else PEOPLE[2]
        row = registry_row(
            宛名番号=atena_number,
            世帯番号=household,
            続柄="世帯主" if atena_number == household else "子",
            氏名=f"住民\u3000{i}",
            番地=f"{100 + i // 2}番1号",
            住民となった日=START.isoformat(),
            住所を定めた日=START.isoformat(),
            異動日=START.isoformat(),
            生年月日="1990-01-01",
        )
        rows.append(row)
        town.states[atena_number] = row
        town.history[atena_number] = [(START, row)]
    return town, rows


ACTIONS = ("move", "split", "join", "rename", "out", "back")


def _difference(town: Town, ops) -> list[dict]:
    rows, day = [], START
    for person, action, gap in ops:
        day += dt.timedelta(days=gap)
        atena_number = PEOPLE[person]
        state = town.states[atena_number]
        active = state["住民状態"] == "1"
        if (action == "back") == active:
            continue
        n = town.fresh()
        if action == "move":
            new = moved(state, "11", day, 番地=f"{n}番2号", 住所を定めた日=day.isoformat())
        elif action == "split":
            new = moved(state, "21", day, 世帯番号=f"92000000{n:02d}", 続柄="世帯主", 番地=f"{n}番3号")
        elif action == "join":
            target = town.states[PEOPLE[(person + 1) % len(PEOPLE)]]["世帯番号"]
            new = moved(state, "22", day, 世帯番号=target, 続柄="同居人", 番地=f"{n}番4号")
        elif action == "rename":
            new = moved(state, "42", day, 氏名=f"改名\u3000{n}")
        elif action == "out":
            new = moved(state, "31", day, 住民状態="2")
        else:
            new = moved(state, "01", day, 住民状態="1", 番地=f"{n}番5号", 住所を定めた日=day.isoformat())
        town.states[atena_number] = new
        town.history[atena_number].append((day, new))
        rows.append(new)
    return rows


@settings(max_examples=30, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(PEOPLE) - 1),
            st.sampled_from(ACTIONS),
            st.integers(min_value=0, max_value=3),
        ),
        min_size=1,
        max_size=14,
    )
)
def test_as_of_answers_replay_the_changes_and_imports_are_idempotent(ops):
    with transaction.atomic():
        town, rows = _initial()
        load(rows)
        changes = _difference(town, ops)
        if changes:
            report = load(changes, DIFFERENCE)
            assert report.changes == report.events == len(changes)
            again = load(changes, DIFFERENCE)
            assert again.changes == 0 and again.unchanged == len(changes)
            assert load(changes[: len(changes) // 2], DIFFERENCE).changes == 0
        days = sorted(
            {START - dt.timedelta(days=1), START}
            | {dt.date.fromisoformat(r["異動日"]) + dt.timedelta(days=k) for r in changes for k in (-1, 0)}
        )
        households = {state["世帯番号"] for atena in PEOPLE for _, state in town.history[atena]}
        for day in days:
            for household in households:
                expected = sorted(
                    a
                    for a in PEOPLE
                    if (s := town.on(a, day)) and s["住民状態"] == "1" and s["世帯番号"] == household
                )
                assert sorted(atena_numbers(selectors.household_members_as_of(household, day))) == expected, (
                    household,
                    day,
                )
            for atena_number in PEOPLE:
                expected = town.on(atena_number, day)
                found = selectors.person_as_of(atena_number, day)
                if expected is None:
                    assert found is None
                    continue
                assert (found.name, found.household_number, found.status, found.banchi) == (
                    expected["氏名"],
                    expected["世帯番号"],
                    expected["住民状態"],
                    expected["番地"],
                ), (atena_number, day)
                if expected["住民状態"] == "1":
                    here = selectors.residents_at_address_as_of(
                        day,
                        prefecture="みどり県",
                        city="みどり市",
                        town="緑町",
                        banchi=expected["番地"],
                        building="",
                    )
                    assert atena_number in atena_numbers(here)
        transaction.set_rollback(True)


def test_protected_households_are_the_flagged_ones_and_those_at_the_same_dwelling():
    from madoguchi.residents.models import Household

    common = {"住民となった日": "2000-01-01", "住所を定めた日": "2000-01-01", "異動日": "2000-01-01"}
    load(
        [
            registry_row(宛名番号="9200000001", 世帯番号="9200000001", 番地="5番5号", 支援措置="1", **common),
            registry_row(宛名番号="9200000002", 世帯番号="9200000002", 番地="5番5号", **common),
            registry_row(宛名番号="9200000003", 世帯番号="9200000003", 番地="6番6号", **common),
        ]
    )
    ids = dict(Household.objects.values_list("number", "id"))
    flagged, neighbour, elsewhere = ids["9200000001"], ids["9200000002"], ids["9200000003"]
    assert selectors.protected_household_ids([flagged, neighbour, elsewhere]) == {flagged, neighbour}
    assert selectors.protected_household_ids([elsewhere]) == set()
    assert selectors.protected_household_ids([]) == set()

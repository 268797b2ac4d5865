"""Importing registry files: all or nothing, every bad row reported, idempotent, one event per change."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from madoguchi.core.models import OutboxEvent
from madoguchi.residents import importer
from madoguchi.residents.models import Household, Person, PersonPeriod, RegistryImport, ResidentChange
from madoguchi.residents.registry.layout import DIFFERENCE, FULL, HEADERS
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import PersonFactory, registry_csv, registry_row

pytestmark = pytest.mark.django_db

HEAD = registry_row()
WIFE = registry_row(
    宛名番号="9100000002",
    氏名="緑川\u3000美咲",
    氏名フリガナ="ミドリカワ\u3000ミサキ",
    続柄="妻",
    生年月日="1987-06-01",
)
CHILD = registry_row(
    宛名番号="9100000003",
    氏名="緑川\u3000陽太",
    氏名フリガナ="ミドリカワ\u3000ヒナタ",
    続柄="子",
    性別="1",
    生年月日="2012-05-05",
    住民となった日="2012-05-05",
    住所を定めた日="2012-05-05",
    異動事由="03",
    異動日="2012-05-05",
    届出日="2012-05-10",
)
FAMILY = [HEAD, WIFE, CHILD]


def load(rows, kind=FULL, *, encoding="utf-8", header=None, **options):
    data = registry_csv(rows, encoding=encoding, header=header)
    return import_registry_csv(source=io.BytesIO(data), kind=kind, source_name="test.csv", **options)


def change(base: dict, reason: str, day: str, **items: str) -> dict:
    """A difference row: ``base`` after a 異動 on ``day``."""
    return {**base, **items, "異動事由": reason, "異動日": day, "届出日": day}


def codes(report) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in report.problems]


def snapshot() -> tuple:
    return (
        sorted(
            Person.objects.values_list(
                "atena_number", "name", "household__number", "relationship", "status", "town", "banchi"
            )
        ),
        ResidentChange.objects.count(),
        sorted(
            PersonPeriod.objects.values_list(
                "person__atena_number", "household__number", "valid_from", "valid_to"
            )
        ),
        OutboxEvent.objects.count(),
    )


def test_a_full_file_creates_persons_with_where_they_came_from_and_a_period():
    report = load(FAMILY)
    assert report.applied and report.ok
    assert (report.rows, report.created, report.updated, report.unchanged, report.changes) == (3, 3, 0, 0, 0)
    child = Person.objects.select_related("household").get(atena_number="9100000003")
    assert (child.name, child.relationship, child.household.number, child.status, child.is_active) == (
        "緑川\u3000陽太",
        "子",
        "9100000001",
        "1",
        True,
    )
    assert (child.last_change_reason, child.last_changed_on, child.last_notified_on) == (
        "03",
        dt.date(2012, 5, 5),
        dt.date(2012, 5, 10),
    )
    assert (child.known_from, child.registry_import_id, child.source_row) == (
        dt.date(2012, 5, 5),
        report.registry_import_id,
        4,
    )
    assert child.registry_import.source_name == "test.csv"
    assert not ResidentChange.objects.exists()  # a full file states who is registered, not their 異動
    period = PersonPeriod.objects.get(person=child)
    assert (period.valid_from, period.valid_to, period.relationship) == (dt.date(2012, 5, 5), None, "子")
    assert period.address_key == "みどり県みどり市緑町3番12号|"
    assert Household.objects.count() == 1


def test_a_person_who_moves_in_by_a_difference_file_starts_with_that_change():
    load(FAMILY)
    newcomer = change(
        registry_row(
            宛名番号="9100000020",
            世帯番号="9100000020",
            住民となった日="2026-04-01",
            住所を定めた日="2026-04-01",
        ),
        "01",
        "2026-04-01",
    )
    report = load([newcomer], DIFFERENCE)
    first = ResidentChange.objects.get(person__atena_number="9100000020")
    assert (first.reason, first.moved_on, first.is_first, first.before, first.after, first.source_row) == (
        "01",
        dt.date(2026, 4, 1),
        True,
        {},
        {},
        2,
    )
    assert first.registry_import_id == report.registry_import_id
    assert Person.objects.get(atena_number="9100000020").known_from == dt.date(2026, 4, 1)
    [event] = OutboxEvent.objects.filter(topic="resident.moved_in")
    assert event.payload["atena_number"] == "9100000020" and event.payload["is_active"]


def test_a_full_file_emits_one_registry_loaded_event():
    report = load(FAMILY)
    [event] = OutboxEvent.objects.all()
    assert event.topic == "resident.registry_loaded"
    assert event.payload["created"] == 3 and event.payload["registry_import_id"] == report.registry_import_id
    assert report.events == 1


def test_importing_the_same_full_file_again_changes_nothing():
    load(FAMILY)
    before = snapshot()
    report = load(FAMILY)
    assert report.applied and (
        report.created,
        report.updated,
        report.unchanged,
        report.changes,
        report.events,
    ) == (
        0,
        0,
        3,
        0,
        0,
    )
    assert snapshot() == before


def test_a_full_file_row_without_a_reason_is_a_change_on_the_reference_date():
    load(FAMILY)
    report = load(
        [{**HEAD, "氏名フリガナ確認フラグ": "0", "異動事由": "", "異動日": "", "届出日": ""}],
        reference_date=dt.date(2026, 4, 1),
    )
    assert (report.updated, report.unchanged, report.missing) == (1, 0, 2)
    last = ResidentChange.objects.filter(person__atena_number=HEAD["宛名番号"]).latest("id")
    assert (last.reason, last.moved_on, last.before, last.after) == (
        "90",
        dt.date(2026, 4, 1),
        {"name_kana_confirmed": True},
        {"name_kana_confirmed": False},
    )
    assert Person.objects.filter(is_active=True).count() == 3  # the others are counted, not removed


def test_a_difference_file_applies_each_change_with_one_event():
    load(FAMILY)
    baby = registry_row(
        宛名番号="9100000004",
        氏名="緑川\u3000結衣",
        氏名フリガナ="ミドリカワ\u3000ユイ",
        続柄="子",
        生年月日="2026-04-10",
        住民となった日="2026-04-10",
        住所を定めた日="2026-04-10",
    )
    rows = [
        change(
            HEAD,
            "11",
            "2026-04-05",
            町字="東町",
            番地="1番1号",
            郵便番号="0000022",
            住所コード="9920110003000",
            住所を定めた日="2026-04-05",
        ),
        change(
            WIFE,
            "11",
            "2026-04-05",
            町字="東町",
            番地="1番1号",
            郵便番号="0000022",
            住所コード="9920110003000",
            住所を定めた日="2026-04-05",
        ),
        change(
            baby,
            "03",
            "2026-04-10",
            町字="東町",
            番地="1番1号",
            郵便番号="0000022",
            住所コード="9920110003000",
        ),
        change(CHILD, "21", "2026-04-20", 世帯番号="9100000099", 続柄="世帯主"),
        change(
            HEAD,
            "33",
            "2026-05-01",
            町字="東町",
            番地="1番1号",
            郵便番号="0000022",
            住所コード="9920110003000",
            住所を定めた日="2026-04-05",
            住民状態="3",
        ),
        change(
            WIFE,
            "23",
            "2026-05-02",
            町字="東町",
            番地="1番1号",
            郵便番号="0000022",
            住所コード="9920110003000",
            住所を定めた日="2026-04-05",
            続柄="世帯主",
        ),
    ]
    report = load(rows, DIFFERENCE)
    assert report.applied, codes(report)
    assert (report.created, report.updated, report.changes, report.events) == (1, 5, 6, 6)
    topics = list(
        OutboxEvent.objects.exclude(topic="resident.registry_loaded")
        .order_by("id")
        .values_list("topic", flat=True)
    )
    assert topics == [
        "resident.moved_within",
        "resident.moved_within",
        "resident.born",
        "resident.household_changed",
        "resident.died",
        "resident.household_changed",
    ]
    split = OutboxEvent.objects.get(
        topic="resident.household_changed", payload__atena_number=CHILD["宛名番号"]
    )
    assert split.payload["previous_household_number"] == "9100000001"
    assert split.payload["household_number"] == "9100000099" and split.payload["changed"] == [
        "household_number",
        "relationship",
    ]
    assert (
        not {"name", "name_kana", "address", "town", "banchi", "building", "postal_code"}
        & split.payload.keys()
    )
    head = Person.objects.get(atena_number=HEAD["宛名番号"])
    assert (head.status, head.is_active, head.last_change_reason) == ("3", False, "33")
    moved = ResidentChange.objects.filter(person=head, reason="11").get()
    assert moved.before == {
        "postal_code": "0000021",
        "town": "緑町",
        "banchi": "3番12号",
        "address_code": "9920110002000",
        "address_since": "2010-04-01",
    }
    assert moved.after["town"] == "東町" and moved.after["address_since"] == "2026-04-05"
    assert list(
        PersonPeriod.objects.filter(person=head).order_by("valid_from").values_list("valid_from", "valid_to")
    ) == [
        (dt.date(2010, 4, 1), dt.date(2026, 4, 5)),
        (dt.date(2026, 4, 5), dt.date(2026, 5, 1)),
    ]


def test_importing_the_same_difference_file_again_changes_nothing():
    load(FAMILY)
    rows = [
        change(CHILD, "11", "2026-04-05", 番地="9番9号", 住所を定めた日="2026-04-05"),
        change(
            CHILD,
            "21",
            "2026-04-05",
            番地="9番9号",
            住所を定めた日="2026-04-05",
            世帯番号="9100000050",
            続柄="世帯主",
        ),
        change(
            CHILD,
            "41",
            "2026-04-20",
            番地="9番9号",
            住所を定めた日="2026-04-05",
            世帯番号="9100000050",
            続柄="世帯主",
            旧氏="青木",
        ),
        change(WIFE, "33", "2026-05-01", 住民状態="3"),
    ]
    first = load(rows, DIFFERENCE)
    assert first.applied and first.changes == 4
    before = snapshot()
    again = load(rows, DIFFERENCE)
    assert again.applied and (again.changes, again.events, again.unchanged) == (0, 0, 4)
    assert snapshot() == before
    overlapping = load(
        [*rows[:2], change(HEAD, "11", "2026-06-01", 番地="7番7号", 住所を定めた日="2026-06-01")], DIFFERENCE
    )
    assert (overlapping.changes, overlapping.unchanged) == (1, 2)


def test_a_malformed_file_imports_nothing_and_reports_every_bad_row():
    load(FAMILY)
    before = snapshot()
    rows = [
        registry_row(宛名番号="9100000010", 世帯番号="9100000010"),
        registry_row(宛名番号="9100000011", 世帯番号="9100000011", 生年月日="1990-02-30"),
        registry_row(宛名番号="9100000012", 世帯番号="9100000012", 異動事由="77"),
        registry_row(宛名番号="9100000010", 世帯番号="9100000013"),
        registry_row(宛名番号="9100000014", 世帯番号="9100000014", 住所コード="9920150002000"),
        registry_row(宛名番号="9100000015", 世帯番号="9100000015", 続柄="孫"),
    ]
    report = load(rows)
    assert not report.applied
    assert codes(report) == [
        (3, "生年月日", "date"),
        (4, "異動事由", "unknown_code"),
        (6, "住所コード", "address_code_check_digit"),
        (7, "続柄", "relationship_not_standard"),
        (5, "宛名番号", "duplicate_atena_number"),
    ]
    assert snapshot() == before
    rejected = RegistryImport.objects.get(pk=report.registry_import_id)
    assert (rejected.outcome, rejected.problems, rejected.rows) == ("rejected", 5, 6)


def test_missing_columns_are_reported_on_the_header_row_and_nothing_else_is_read():
    header = [h for h in HEADERS if h not in ("生年月日", "続柄")]
    report = load([HEAD], header=header)
    assert codes(report) == [(1, "生年月日", "missing_column"), (1, "続柄", "missing_column")]
    assert not Person.objects.exists()


def test_a_file_in_an_unknown_encoding_imports_nothing():
    report = import_registry_csv(source=io.BytesIO(b"\x81\x00\xfe\x80" * 200), kind=FULL, source_name="x.csv")
    assert codes(report) == [(0, "", "encoding_unknown")] and not Person.objects.exists()
    assert report.problems.first[0].format("en").startswith("file: The character encoding")


def test_a_cp932_file_imports_like_utf8():
    report = load(FAMILY, encoding="cp932")
    assert report.applied and report.encoding == "cp932" and report.created == 3
    assert load(FAMILY).unchanged == 3


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (change(registry_row(宛名番号="9100000077"), "11", "2026-04-05"), (2, "宛名番号", "unknown_person")),
        (change(HEAD, "01", "2026-04-05", 番地="1番1号"), (2, "異動事由", "already_resident")),
        (change(HEAD, "11", "2009-04-05", 番地="1番1号"), (2, "異動日", "out_of_order")),
        (change(HEAD, "41", "2026-04-05", 住民状態="4"), (2, "住民状態", "status_change_reason")),
    ],
)
def test_rows_that_do_not_fit_the_registry_are_refused(row, expected):
    load(FAMILY)
    before = snapshot()
    report = load([row], DIFFERENCE)
    assert codes(report) == [expected]
    assert snapshot() == before


def test_a_removed_person_can_only_come_back_with_a_registering_reason():
    load(FAMILY)
    load([change(CHILD, "31", "2026-04-05", 住民状態="2")], DIFFERENCE)
    report = load([change(CHILD, "11", "2026-05-05", 住民状態="1", 番地="5番5号")], DIFFERENCE)
    assert codes(report) == [(2, "異動事由", "not_resident")]
    back = load(
        [change(CHILD, "01", "2026-06-01", 住民状態="1", 番地="5番5号", 住所を定めた日="2026-06-01")],
        DIFFERENCE,
    )
    assert back.applied and Person.objects.get(atena_number=CHILD["宛名番号"]).is_active
    periods = PersonPeriod.objects.filter(person__atena_number=CHILD["宛名番号"]).order_by("valid_from")
    assert [(p.valid_from, p.valid_to) for p in periods] == [
        (dt.date(2012, 5, 5), dt.date(2026, 4, 5)),
        (dt.date(2026, 6, 1), None),
    ]


def test_a_problem_in_the_last_row_rolls_back_every_chunk(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    rows = [registry_row(宛名番号=f"91000001{i:02d}", 世帯番号=f"91000001{i:02d}") for i in range(9)]
    rows.append(change(registry_row(宛名番号="9100000200"), "11", "2026-04-05"))
    report = load(rows, DIFFERENCE)
    assert codes(report) == [(11, "宛名番号", "unknown_person")]
    assert (
        not Person.objects.exists()
        and not ResidentChange.objects.exists()
        and not OutboxEvent.objects.exists()
    )


def test_later_rows_of_a_person_with_a_bad_row_are_checked_but_not_applied():
    rows = [
        change(registry_row(宛名番号="9100000300", 生年月日="1990-13-01"), "01", "2026-04-01"),
        change(registry_row(宛名番号="9100000300"), "11", "2026-04-05", 番地="2番2号"),
        change(registry_row(宛名番号="9100000301", 性別="x"), "11", "2026-04-05"),
    ]
    report = load(rows, DIFFERENCE)
    assert codes(report) == [(2, "生年月日", "date"), (4, "性別", "sex")]


def test_a_full_file_needs_one_head_per_household():
    report = load(
        [
            HEAD,
            {**WIFE, "続柄": "世帯主"},
            registry_row(宛名番号="9100000009", 世帯番号="9100000009", 続柄="妻"),
        ]
    )
    assert codes(report) == [
        (2, "続柄", "household_heads"),
        (4, "続柄", "household_heads"),
    ]
    assert "2 人" in report.problems.first[0].message_ja


def test_a_difference_file_refuses_the_same_change_twice():
    load(FAMILY)
    row = change(HEAD, "11", "2026-04-05", 番地="1番1号")
    report = load([row, row], DIFFERENCE)
    assert codes(report) == [(3, "宛名番号", "duplicate_change")]


def test_a_dry_run_counts_and_changes_nothing():
    report = load(FAMILY, dry_run=True)
    assert report.ok and not report.applied and report.created == 3
    assert (
        not Person.objects.exists()
        and not RegistryImport.objects.exists()
        and not OutboxEvent.objects.exists()
    )


def test_every_problem_is_kept_beyond_the_first_thousand():
    rows = [registry_row(宛名番号=f"92{i:08d}", 世帯番号=f"92{i:08d}", 性別="x") for i in range(1_200)]
    report = load(rows)
    assert report.problems.count == len(report.problems) == 1_200
    assert len(report.problems.first) == importer.ProblemLog.KEEP
    listed = list(report.problems)
    assert [p.row for p in listed] == list(range(2, 1_202))
    assert listed[-1].message_en == "「性別」 must be 1 (male) or 2 (female)."


def test_support_measure_and_foreign_resident_items_are_imported():
    foreign = registry_row(
        宛名番号="9100000400",
        世帯番号="9100000400",
        氏名="SMITH JOHN",
        氏名フリガナ="",
        氏名アルファベット="SMITH JOHN",
        住民種別="2",
        **{"国籍・地域": "アメリカ合衆国"},
        在留資格="永住者",
        支援措置="1",
    )
    assert load([foreign]).applied
    person = Person.objects.get(atena_number="9100000400")
    assert (person.resident_type, person.nationality, person.residence_status, person.residence_expiry) == (
        "2",
        "アメリカ合衆国",
        "永住者",
        None,
    )
    assert person.support_measure
    lifted = load([change(foreign, "91", "2026-04-01", 支援措置="0")], DIFFERENCE)
    assert lifted.applied and not Person.objects.get(atena_number="9100000400").support_measure


def test_persons_made_before_the_history_get_a_period_on_their_first_change():
    person = PersonFactory(atena_number="9100000500")
    row = registry_row(
        宛名番号="9100000500", 世帯番号=person.household.number, 氏名=person.name, 番地="8番8号"
    )
    report = load([change(row, "11", "2026-04-05")], DIFFERENCE)
    assert report.applied, codes(report)
    assert PersonPeriod.objects.get(person=person).valid_from == dt.date(2026, 4, 5)


def test_a_duplicated_person_in_another_chunk_is_reported_not_crashed_on(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    rows = [registry_row(宛名番号=f"91000003{i:02d}", 世帯番号=f"91000003{i:02d}") for i in range(6)]
    rows.append(registry_row(宛名番号="9100000300", 世帯番号="9100000399", 氏名="別人\u3000です"))
    report = load(rows)
    assert codes(report) == [(8, "宛名番号", "duplicate_atena_number")]
    assert not Person.objects.exists()

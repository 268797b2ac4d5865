"""住民異動届 (juki-ido): one row per person who moves, for each kind of move; columns and encodings as configured."""

from __future__ import annotations

import csv
import io

import pytest

from madoguchi.counter.handoff import selectors
from madoguchi.counter.handoff.base import HandoffEncodingError
from madoguchi.counter.handoff.config import ColumnChoice, FormatOptions
from madoguchi.counter.handoff.contrib.juki_ido import MOVE_FORMS, reason_code, split_person_line
from madoguchi.counter.handoff.registry import register
from madoguchi.procedures.spec import load_procedure_file
from madoguchi.residents.models import Person
from madoguchi.residents.registry import codes
from madoguchi.residents.registry.csvfile import read_registry_csv

from .conftest import ACCEPTED_ON, TENNYU_RAW, members, tenkyo_raw, tenshutsu_raw

pytestmark = pytest.mark.django_db

FORMAT = register.get("juki-ido")


def records():
    return selectors.case_records(selectors.accepted_cases(since=ACCEPTED_ON, until=ACCEPTED_ON))


def rows(options: FormatOptions | None = None) -> list[dict[str, str]]:
    """The file's rows by header (its header row checked against the configured columns)."""
    result = FORMAT.write(records(), None, options)
    codec = (options or FORMAT.options()).codec
    reader = csv.reader(io.StringIO(result.content.decode(codec), newline=""))
    header = next(reader)
    assert header == result.headers
    return [dict(zip(header, row, strict=True)) for row in reader]


def pick(row: dict[str, str], *names: str) -> tuple[str, ...]:
    return tuple(row[name] for name in names)


# ---- the mapping and the code list --------------------------------------------------------------------------


def test_every_mapped_field_is_in_the_shipped_procedure_files(settings):
    for slug, form in MOVE_FORMS.items():
        spec = load_procedure_file(settings.PROCEDURES_DIR / f"{slug}.yaml")
        ids = {f.id for f in spec.fields}
        assert set(form.field_ids()) <= ids, slug
        assert spec.field(form.people).kind.name == (
            "textarea" if form.people_as == "lines" else "household_member"
        )
        if form.reason_field:
            values = {o.value for o in spec.field(form.reason_field).options}
            assert set(form.reasons) <= values, slug


def test_reasons_come_from_the_project_code_list():
    names = {name for form in MOVE_FORMS.values() for name in form.reason_names()}
    assert {name: reason_code(name) for name in sorted(names)} == {
        "国内転入": "01",
        "国内転出": "31",
        "国外転入": "02",
        "国外転出": "32",
        "転居": "11",
    }
    effects = {reason_code(n): codes.change_reasons().by_code[reason_code(n)].effect for n in names}
    assert effects == {"01": "register", "02": "register", "11": "update", "31": "remove", "32": "remove"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("緑　花子　平成2年5月3日", ("緑\u3000花子", "1990-05-03")),
        ("緑 花子 1990-05-03", ("緑\u3000花子", "1990-05-03")),
        ("緑花子、H2.5.3", ("緑花子", "1990-05-03")),
        ("Hanako Midori 1990-05-03", ("Hanako Midori", "1990-05-03")),
        ("緑　花子", ("緑　花子", None)),
        ("緑　花子　平成31年5月1日", ("緑　花子　平成31年5月1日", None)),  # no such day: nobody guesses
    ],
)
def test_a_line_of_a_moving_in_notification(line, expected):
    assert split_person_line(line) == expected


# ---- one row per person, per kind of move -----------------------------------------------------------------


def test_moving_in_one_row_per_line_reported_on_the_day_it_was_accepted(make_case):
    case = make_case("tennyu-reservation", TENNYU_RAW)
    first, second = rows()
    assert pick(first, "受付番号", "連番", "届出種別", "異動事由コード", "異動事由") == (
        case.reference,
        "1",
        "転入",
        "01",
        "国内転入",
    )
    # 異動日 is the day they moved in; the 届出 itself is made at the counter, on the day staff accepted it.
    assert pick(first, "異動日", "届出日") == ("2026-04-01", "2026-04-08")
    assert pick(first, "氏名", "生年月日", "氏名カナ", "宛名番号", "性別", "続柄") == (
        "青山\u3000一郎",
        "1980-05-03",
        "",
        "",
        "",
        "",
    )
    assert pick(second, "連番", "氏名", "生年月日") == ("2", "青山\u3000花子", "1982-07-01")
    assert pick(first, "世帯主", "世帯区分", "旧住所郵便番号", "旧住所", "郵便番号", "新住所") == (
        "青山　一郎",
        "新しく世帯をつくる",
        "0600001",
        "北海道札幌市中央区北一条西2丁目",
        "1000001",
        "東京都千代田区千代田1番1号 みどりハイツ101",
    )
    assert pick(first, "届出人氏名", "届出人区分", "連絡先電話番号", "備考") == (
        "青山　一郎",
        "本人（転入する方のひとり）",
        "090-1234-5678",
        "",
    )


def test_moving_in_from_abroad_and_lines_that_cannot_be_read(make_case):
    raw = {
        **TENNYU_RAW,
        "moving_out_document": "abroad",
        "previous_postal_code": "",
        "previous_address": "アメリカ合衆国　シアトル",
        "people_count": "3",
        "people_names": "青山　一郎　昭和55年5月3日\n\n青山　花子",
    }
    case = make_case("tennyu-reservation", raw)
    first, second = rows()
    assert pick(first, "異動事由コード", "異動事由", "旧住所郵便番号", "旧住所") == (
        "02",
        "国外転入",
        "",
        "アメリカ合衆国　シアトル",
    )
    assert pick(second, "氏名", "生年月日") == ("青山　花子", "")
    assert first["備考"] == "人数 3 人と氏名の行数 2 行が違います。"
    assert (
        second["備考"]
        == "人数 3 人と氏名の行数 2 行が違います。「青山　花子」の生年月日を読み取れませんでした。"
    )
    result = FORMAT.write(records())
    assert [(n.reference, n.code, n.ja) for n in result.notices] == [
        (
            case.reference,
            "count_differs",
            f"受付番号 {case.reference}: 人数 3 人と氏名の行数 2 行が違います。",
        ),
        (
            case.reference,
            "birth_date_unread",
            f"受付番号 {case.reference}: 「青山　花子」の生年月日を読み取れませんでした。",
        ),
    ]


def test_moving_within_the_whole_household_from_the_registry(make_case, family):
    head, wife, child = family.values()
    case = make_case(
        "tenkyo", tenkyo_raw([head, wife, child]), household=members(head, wife, child), person=head
    )
    found = rows()
    assert [pick(r, "受付番号", "連番", "異動事由コード", "異動事由", "届出種別") for r in found] == [
        (case.reference, str(n), "11", "転居", "転居") for n in (1, 2, 3)
    ]
    assert [pick(r, "宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄") for r in found] == [
        ("8100000011", "緑川\u3000一郎", "ミドリカワ\u3000イチロウ", "1980-05-03", "1", "世帯主"),
        ("8100000012", "緑川\u3000花子", "ミドリカワ\u3000ハナコ", "1982-07-01", "2", "妻"),
        ("8100000013", "緑川\u3000太郎", "ミドリカワ\u3000タロウ", "2015-01-20", "1", "子"),
    ]
    assert pick(found[0], "異動日", "届出日", "世帯主", "世帯区分") == (
        "2026-04-01",
        "2026-04-06",  # submitted: the 届出 was made then
        "",  # the household does not change
        "世帯全員で引っ越した",
    )
    assert pick(found[0], "旧住所郵便番号", "郵便番号", "届出人区分", "連絡先電話番号") == (
        "1000001",
        "1000002",
        "本人（引っ越しをした方のひとり）",
        "0312345678",
    )


def test_moving_within_part_of_a_household_leaves_the_relationship_to_the_core_system(make_case, family):
    head, wife, child = family.values()
    make_case(
        "tenkyo",
        tenkyo_raw([child], household_change="split", head="緑川　太郎"),
        household=members(head, wife, child),
        person=head,
    )
    (row,) = rows()
    assert pick(row, "宛名番号", "続柄", "世帯主", "世帯区分") == (
        "8100000013",
        "",  # 子 of the old household; the new household's 続柄 is the core system's to set
        "緑川　太郎",
        "一部の方が引っ越して新しい世帯をつくる",
    )


def test_names_typed_without_a_registry_link_and_a_member_no_longer_registered(make_case, family):
    head = family["head"]
    raw = {**tenkyo_raw([]), "movers": "緑川　一郎\n緑川　次郎"}
    make_case("tenkyo", raw)  # not linked: the names are typed
    typed = rows()
    assert [pick(r, "氏名", "宛名番号", "性別", "備考") for r in typed] == [
        ("緑川　一郎", "", "", ""),
        ("緑川　次郎", "", "", ""),
    ]
    gone = {"id": "999999", "name": "緑川\u3000次郎", "relationship": "子"}  # since left the read-model
    raw = {**tenkyo_raw([head]), "movers": [str(head.pk), "999999"]}
    case = make_case("tenkyo", raw, household=[*members(head), gone], person=head)
    Person.objects.filter(pk=head.pk).update(atena_number="8100000099")  # still found: by its id
    found = rows()[2:]
    assert [pick(r, "氏名", "宛名番号", "備考") for r in found] == [
        ("緑川\u3000一郎", "8100000099", ""),
        ("緑川\u3000次郎", "", "緑川\u3000次郎 さんが住民記録に見つかりません。"),
    ]
    notices = FORMAT.write(records()).notices
    assert [(n.reference, n.code) for n in notices] == [(case.reference, "not_in_registry")]


def test_moving_out_domestic_and_abroad(make_case, family):
    head, wife, child = family.values()
    household = members(head, wife, child)
    domestic = make_case("tenshutsu", tenshutsu_raw([wife]), household=household, person=head)
    abroad = make_case(
        "tenshutsu",
        tenshutsu_raw(
            [head, child],
            destination="abroad",
            household_after="part",
            remaining_head_of_household="緑川　花子",
        ),
        household=household,
        person=head,
    )
    found = rows()
    assert [pick(r, "受付番号", "連番", "異動事由コード", "異動事由", "宛名番号", "続柄") for r in found] == [
        (domestic.reference, "1", "31", "国内転出", "8100000012", "妻"),
        (abroad.reference, "1", "32", "国外転出", "8100000011", "世帯主"),
        (abroad.reference, "2", "32", "国外転出", "8100000013", "子"),
    ]
    assert pick(found[0], "異動日", "旧住所郵便番号", "旧住所", "郵便番号", "新住所", "世帯主") == (
        "2026-04-20",  # the planned day
        "1000001",
        "東京都千代田区千代田1番1号",
        "0600001",
        "北海道札幌市中央区北一条西2丁目",
        "緑川　一郎",
    )
    assert pick(found[1], "郵便番号", "新住所", "世帯区分", "残る世帯の世帯主") == (
        "",
        "Canada, Vancouver",
        "一部の方だけが転出する",
        "緑川　花子",
    )


def test_a_support_measure_anywhere_in_the_household_withholds_every_address(make_case, family):
    head, wife, child = family.values()
    Person.objects.filter(pk=child.pk).update(support_measure=True)  # the child is protected; the wife moves
    case = make_case("tenshutsu", tenshutsu_raw([wife]), household=members(head, wife, child), person=head)
    (row,) = rows()
    assert pick(row, "旧住所郵便番号", "旧住所", "郵便番号", "新住所") == ("", "", "", "")
    assert pick(row, "宛名番号", "異動事由コード") == ("8100000012", "31")  # the rest is written
    assert row["備考"].startswith("支援措置対象者を含むため住所を記載していません。")
    notices = FORMAT.write(records()).notices
    assert [(n.reference, n.code) for n in notices] == [(case.reference, "address_withheld")]
    assert "支援措置" in notices[0].ja and "support measure" in notices[0].en


def test_a_birth_date_known_only_in_part_is_written_as_the_registry_writes_it(make_case, family):
    head = family["head"]
    Person.objects.filter(pk=head.pk).update(birth_date_text="昭和55年月日不詳")
    make_case("tenshutsu", tenshutsu_raw([head]), household=members(head), person=head)
    assert rows()[0]["生年月日"] == "昭和55年月日不詳"


# ---- columns, dates and encodings from the configuration --------------------------------------------------


def test_the_configured_columns_in_their_order_under_their_headers(make_case, family):
    head = family["head"]
    make_case("tenshutsu", tenshutsu_raw([head]), household=members(head), person=head)
    options = FormatOptions(
        columns=(
            ColumnChoice("氏名", "氏名（漢字）"),
            ColumnChoice("異動事由コード", "異動事由コード"),
            ColumnChoice("生年月日", "生年月日", "wareki"),
            ColumnChoice("異動日", "異動日"),
            ColumnChoice("受付番号", "受付No"),
        ),
        date_format="wareki",
    )
    result = FORMAT.write(records(), None, options)
    assert result.headers == ["氏名（漢字）", "異動事由コード", "生年月日", "異動日", "受付No"]
    lines = result.content.decode("utf-8").split("\r\n")
    assert lines[1].startswith("緑川\u3000一郎,31,昭和55年5月3日,令和8年4月20日,R08-")
    assert lines[2] == ""  # CRLF after the last row too


def test_line_endings_and_the_byte_order_mark(make_case, family):
    head = family["head"]
    make_case("tenshutsu", tenshutsu_raw([head]), household=members(head), person=head)
    columns = (ColumnChoice("受付番号", "受付番号"), ColumnChoice("氏名", "氏名"))
    lf = FORMAT.write(records(), None, FormatOptions(columns=columns, line_ending="lf")).content
    assert lf.count(b"\n") == 2 and b"\r" not in lf and not lf.startswith(b"\xef\xbb\xbf")
    bom = FORMAT.write(records(), None, FormatOptions(columns=columns, bom=True)).content
    assert bom.startswith(b"\xef\xbb\xbf\xe5\x8f\x97")  # BOM, then 受


def test_cp932_round_trip_through_the_registry_reader(make_case, family):
    head, wife, child = family.values()
    make_case("tenkyo", tenkyo_raw([head, wife]), household=members(head, wife, child), person=head)
    options = FORMAT.options().with_encoding("cp932")
    result = FORMAT.write(records(), None, options)
    reading = read_registry_csv(io.BytesIO(result.content))
    assert reading.encoding == "cp932" and reading.header == result.headers
    read = [values for _row, values, problem in reading.rows() if problem is None]
    assert read == [list(r.values()) for r in rows()]
    assert read[1][result.headers.index("氏名カナ")] == "ミドリカワ\u3000ハナコ"


def test_a_character_cp932_cannot_write_is_named_and_nothing_is_written(make_case, family):
    head, wife, _child = family.values()
    Person.objects.filter(pk=wife.pk).update(name="𠮷川\u3000花子")  # the registry name: not typed
    raw = {**tenkyo_raw([head, wife]), "new_address": "東京都千代田区皇居外苑2番3号〜4号"}
    case = make_case("tenkyo", raw, household=members(head, Person.objects.get(pk=wife.pk)), person=head)
    stream = io.BytesIO()
    with pytest.raises(HandoffEncodingError) as caught:
        FORMAT.write(records(), stream, FORMAT.options().with_encoding("cp932"))
    assert stream.getvalue() == b""
    error = caught.value
    assert [(p.reference, p.column, p.character, p.becomes) for p in error.problems] == [
        # WAVE DASH: CP932 writes it as the bytes of the full-width tilde, which read back as ～.
        (case.reference, "新住所", "〜", "～"),
        (case.reference, "氏名", "𠮷", ""),
        (case.reference, "新住所", "〜", "～"),
    ]
    assert error.code == "unencodable"
    assert f"受付番号 {case.reference} の「氏名」: 「𠮷」(U+20BB7)\n" in error.ja
    assert (
        f"受付番号 {case.reference} の「新住所」: 「〜」(U+301C) は「～」(U+FF5E) に変わってしまいます"
        in error.ja
    )
    assert f"case {case.reference}, column 氏名: '𠮷' (U+20BB7)" in error.en
    assert "置き換えはしません" in error.ja and "nothing is replaced" in error.en
    # UTF-8 writes them as they are.
    assert "𠮷川" in FORMAT.write(records()).content.decode("utf-8")

"""Checking rows of the registry layout: every problem with its row, column and message (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.residents.registry.layout import DIFFERENCE, FULL, HEADERS, STATE_FIELDS
from madoguchi.residents.registry.problems import Issue
from madoguchi.residents.registry.validate import RegistryRecord, RowValidator, _Slow, check_header
from madoguchi.residents.tests.factories import FOREIGN_RESIDENT, registry_row


def validator(kind: str = FULL, header=HEADERS) -> RowValidator:
    check = check_header(header)
    assert not check.problems
    return RowValidator(check.positions, kind, len(header))


def check(kind: str = FULL, **items: str):
    row = registry_row(**items)
    return validator(kind).validate(7, [row[h] for h in HEADERS])


def problems_of(kind: str = FULL, **items: str) -> set[tuple[str, str]]:
    record, problems = check(kind, **items)
    assert record is None
    assert all(p.row == 7 and p.message_ja and p.message_en for p in problems)
    return {(p.column, p.code) for p in problems}


def test_a_good_row_becomes_a_typed_record():
    record, problems = check()
    assert problems == []
    assert isinstance(record, RegistryRecord)
    assert (record.row, record.atena_number, record.reason) == (7, "9100000001", "01")
    assert record.moved_on == dt.date(2010, 4, 1) and record.notified_on == dt.date(2010, 4, 5)
    state = dict(zip(STATE_FIELDS, record.state, strict=True))
    assert state["birth_date"] == dt.date(1985, 4, 1) and state["birth_date_text"] == ""
    assert state["name_kana_confirmed"] is True and state["support_measure"] is False
    assert state["household_number"] == "9100000001" and state["address_code"] == "9920110002000"
    assert state["residence_expiry"] is None


def test_values_are_normalised():
    record, _ = check(
        郵便番号="000-0021",
        続柄="妻(未届)",
        性別="女",
        住民状態="住登内",
        異動事由="転入",
        生年月日="昭和60年4月1日",
    )
    state = dict(zip(STATE_FIELDS, record.state, strict=True))
    assert (state["postal_code"], state["relationship"], state["sex"], state["status"]) == (
        "0000021",
        "妻（未届）",
        "2",
        "1",
    )
    assert record.reason == "01" and state["birth_date"] == dt.date(1985, 4, 1)


@pytest.mark.parametrize(
    ("birth", "text", "sortable"),
    [
        ("令和○年頃", "", dt.date(2019, 5, 1)),
        ("昭和40年月日不詳", "", dt.date(1965, 1, 1)),
        ("1965-01-01", "昭和40年月日不詳", dt.date(1965, 1, 1)),
        ("", "平成2年3月", dt.date(1990, 3, 1)),
        ("1950年頃", "", dt.date(1950, 1, 1)),
    ],
)
def test_unknown_birth_dates_keep_a_sortable_day_and_their_written_form(birth, text, sortable):
    record, problems = check(
        生年月日=birth,
        生年月日不詳表記=text,
        住民となった日="2020-01-01",
        住所を定めた日="2020-01-01",
        異動日="2020-01-01",
    )
    assert problems == []
    state = dict(zip(STATE_FIELDS, record.state, strict=True))
    assert state["birth_date"] == sortable
    assert state["birth_date_text"] == (text or birth)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({"宛名番号": "A123"}, ("宛名番号", "digits")),
        ({"宛名番号": ""}, ("宛名番号", "required")),
        ({"世帯番号": "1" * 21}, ("世帯番号", "digits")),
        ({"氏名": ""}, ("氏名", "required")),
        ({"氏名": "緑川\n花子"}, ("氏名", "control_character")),
        ({"氏名フリガナ": "みどりかわ　はなこ"}, ("氏名フリガナ", "not_katakana")),
        ({"氏名フリガナ": ""}, ("氏名フリガナ", "required")),
        ({"氏名フリガナ確認フラグ": "yes"}, ("氏名フリガナ確認フラグ", "flag")),
        ({"生年月日": "2023-02-30"}, ("生年月日", "date")),
        ({"生年月日": "平成31年5月1日"}, ("生年月日", "date")),
        ({"生年月日": ""}, ("生年月日", "required")),
        ({"生年月日": "1985-04-02", "生年月日不詳表記": "昭和60年頃"}, ("生年月日", "birth_text_mismatch")),
        ({"生年月日不詳表記": "昭和60年4月1日"}, ("生年月日不詳表記", "birth_text_complete")),
        ({"性別": "3"}, ("性別", "sex")),
        ({"続柄": "孫"}, ("続柄", "relationship_not_standard")),
        ({"郵便番号": "12345"}, ("郵便番号", "postal_code")),
        ({"住所コード": "9920120002000"}, ("住所コード", "address_code_check_digit")),
        ({"住所コード": "99201"}, ("住所コード", "address_code")),
        (
            {"住民となった日": "1980-01-01", "住所を定めた日": "1980-01-01", "異動日": "1980-01-01"},
            ("住民となった日", "before_birth"),
        ),
        ({"住民となった日": ""}, ("住民となった日", "resident_since_required")),
        ({"住民状態": "7"}, ("住民状態", "unknown_code")),
        ({"住民種別": "3"}, ("住民種別", "unknown_code")),
        ({"町字": ""}, ("町字", "address_required")),
        ({"国籍・地域": "フランス"}, ("国籍・地域", "japanese_resident_foreign_item")),
        ({"支援措置": "2"}, ("支援措置", "flag")),
        ({"異動事由": "99"}, ("異動事由", "unknown_code")),
        ({"異動事由": "01", "異動日": ""}, ("異動日", "required")),
        ({"異動事由": "31"}, ("住民状態", "status_after_remove")),
        ({"異動事由": "01", "住民状態": "2"}, ("住民状態", "status_after_register")),
        ({"異動事由": "03", "異動日": "2010-04-01"}, ("異動日", "birth_moved_on")),
        ({"届出日": "2010-13-01"}, ("届出日", "date")),
    ],
)
def test_each_bad_value_is_named_with_its_column(items, expected):
    assert expected in problems_of(**items)


def test_a_row_with_many_problems_lists_them_all():
    found = problems_of(
        宛名番号="x", 生年月日="1985-02-30", 性別="9", 住所コード="1234567890123", 異動事由="??"
    )
    assert {column for column, _ in found} >= {"宛名番号", "生年月日", "性別", "住所コード", "異動事由"}


def test_my_number_is_checked_and_never_quoted():
    header = [*HEADERS, "個人番号"]
    row = registry_row()
    record, problems = validator(FULL, header).validate(3, [*(row[h] for h in HEADERS), "123456789012"])
    assert record is None
    assert [(p.column, p.code) for p in problems] == [("個人番号", "my_number")]
    assert "123456789012" not in problems[0].message_ja + problems[0].message_en
    good, _ = validator(FULL, header).validate(3, [*(row[h] for h in HEADERS), "123456789018"])
    assert good is not None and "my_number" not in STATE_FIELDS


def test_foreign_residents_need_nationality_status_and_expiry():
    record, problems = check(**FOREIGN_RESIDENT)
    assert problems == [] and record is not None
    assert ("在留期間の満了の日", "expiry_required") in problems_of(
        **{**FOREIGN_RESIDENT, "在留期間の満了の日": ""}
    )
    permanent = {**FOREIGN_RESIDENT, "在留資格": "永住者"}
    assert ("在留期間の満了の日", "expiry_not_allowed") in problems_of(**permanent)
    assert check(**{**permanent, "在留期間の満了の日": ""})[1] == []
    assert ("国籍・地域", "foreign_resident_item_required") in problems_of(
        **{**FOREIGN_RESIDENT, "国籍・地域": ""}
    )
    assert ("在留資格", "unknown_code") in problems_of(**{**FOREIGN_RESIDENT, "在留資格": "観光"})
    assert check(**{**FOREIGN_RESIDENT, "氏名フリガナ": ""})[1] == []  # the reading is optional for them


def test_difference_rows_need_a_real_reason_and_date():
    assert ("異動事由", "reason_required") in problems_of(DIFFERENCE, 異動事由="", 異動日="")
    assert ("異動日", "reason_required") in problems_of(DIFFERENCE, 異動日="")
    assert ("異動事由", "reason_full_files_only") in problems_of(DIFFERENCE, 異動事由="90")
    assert check(FULL, 異動事由="", 異動日="", 届出日="")[1] == []
    assert check(FULL, 異動事由="90")[1] == []


def test_a_short_row_is_a_problem_of_the_row():
    row = registry_row()
    record, problems = validator().validate(4, [row[h] for h in HEADERS][:-3])
    assert record is None and problems[0].code == "field_count" and problems[0].column == ""


def test_header_check_names_missing_and_doubled_columns_and_ignores_others():
    header = [h for h in HEADERS if h not in ("氏名", "住民状態")] + ["国籍･地域", "備考"]
    found = check_header(header)
    assert {(p.row, p.column, p.code) for p in found.problems} == {
        (1, "氏名", "missing_column"),
        (1, "住民状態", "missing_column"),
        (1, "国籍・地域", "duplicate_column"),
    }
    assert found.ignored == ["備考"]
    optional_left_out = [
        h for h in HEADERS if h not in ("旧氏", "旧氏フリガナ", "方書", "異動事由", "異動日", "届出日")
    ]
    assert check_header(optional_left_out).problems == []


def test_messages_read_well_in_both_languages():
    _, problems = check(性別="3")
    assert problems[0].format("ja") == "行 7・性別: 「性別」は 1（男）か 2（女）で書いてください。"
    assert problems[0].format("en") == "row 7, 性別: 「性別」 must be 1 (male) or 2 (female)."


# The quick path must accept exactly the rows the detailed checks accept, with the same record.
_VARIANTS = {
    "宛名番号": ["9100000002", " 9100000002 ", "９１", "", "12a"],
    "氏名": ["山田　太郎", "", " 山田 ", "a\tb", "x" * 101],
    "氏名フリガナ": ["ヤマダ", "やまだ", "", "ﾔﾏﾀﾞ", "ヤマダ　タロウ "],
    "旧氏フリガナ": ["", "ヤマダ", "yamada"],
    "生年月日": [
        "1985-04-01",
        "1985/4/1",
        "昭和60年4月1日",
        "1985-02-30",
        "令和○年頃",
        "",
        "19850401",
        " 1985-04-01",
    ],
    "生年月日不詳表記": ["", "昭和60年頃", "昭和60年4月1日"],
    "性別": ["1", "2", "男", "3", " 1"],
    "続柄": ["世帯主", "子の妻", "孫", "妻(未届)", "世帯主の子"],
    "郵便番号": ["0000021", "000-0021", "", "12"],
    "都道府県": ["みどり県", "", "x" * 11],
    "町字": ["緑町", "", " 緑町"],
    "住所コード": ["9920110002000", "", "9920120002000", "992011"],
    "住民となった日": ["2010-04-01", "", "1970-01-01", "平成22年4月1日"],
    "住所を定めた日": ["", "2010-04-01", "2030-01-01"],
    "住民状態": ["1", "2", "3", "9", "住民", "x"],
    "住民種別": ["1", "2", "外国人住民"],
    "国籍・地域": ["", "フランス"],
    "在留資格": ["", "永住者", "留学", "観光"],
    "在留期間の満了の日": ["", "2027-01-01", "2027-02-29"],
    "支援措置": ["0", "1", "", "true"],
    "異動事由": ["01", "03", "11", "31", "33", "90", "", "転居", "x"],
    "異動日": ["2010-04-01", "", "1985-04-01", "2010-4-1"],
    "届出日": ["", "2010-04-05", "2010-02-30"],
}


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from([FULL, DIFFERENCE]),
    changes=st.dictionaries(
        st.sampled_from(sorted(_VARIANTS)), st.integers(min_value=0, max_value=10), max_size=6
    ),
)
def test_quick_and_detailed_checks_agree(kind, changes):
    items = {column: _VARIANTS[column][index % len(_VARIANTS[column])] for column, index in changes.items()}
    row = registry_row(**items)
    values = [row[h] for h in HEADERS]
    checker = validator(kind)
    detailed = checker.detailed(9, values)
    assert checker.validate(9, values) == detailed
    try:
        quick = checker._quick(9, values)
    except (_Slow, Issue):
        return
    assert detailed == (quick, [])

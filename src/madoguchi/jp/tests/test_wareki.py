import contextlib
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.jp import (
    ERAS,
    DateParseError,
    JpValueError,
    PartialDate,
    format_date,
    format_wareki,
    parse_date,
    parse_partial_date,
    to_wareki,
)
from madoguchi.jp.wareki import find_era

MEIJI_START = date(1868, 10, 23)


def test_era_table():
    assert [(e.name, e.letter, e.name_en, e.start) for e in ERAS] == [
        ("明治", "M", "Meiji", date(1868, 10, 23)),
        ("大正", "T", "Taisho", date(1912, 7, 30)),
        ("昭和", "S", "Showa", date(1926, 12, 25)),
        ("平成", "H", "Heisei", date(1989, 1, 8)),
        ("令和", "R", "Reiwa", date(2019, 5, 1)),
    ]
    for era, following in pairwise(ERAS):
        assert era.end == following.start - timedelta(days=1)
    assert ERAS[-1].end is None


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-31",
        "2024/1/31",
        "2024.1.31",
        "2024年1月31日",
        "２０２４年１月３１日",
        "２０２４－０１－３１",
        "20240131",
        " 2024 / 1 / 31 ",
        "令和6年1月31日",
        "令和６年１月３１日",
        "令和 6 年 1 月 31 日",
        "R6.1.31",
        "R06/01/31",
        "r6.1.31",
        "Ｒ６．１．３１",
        "R060131",
        "R.6.1.31",
        "令6.1.31",
        "㋿6.1.31",
        "令和六年一月三十一日",
        "二〇二四年一月三十一日",
        "二千二十四年一月三十一日",
        "令和6年（2024年）1月31日",
        "令和6年1月31日（水）",
        "2024年1月31日(水曜日)",
    ],
)
def test_parse_date_accepts_common_forms(text):
    assert parse_date(text) == date(2024, 1, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("㍻31.4.30", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S40.1.1", date(1965, 1, 1)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("明治元年10月23日", date(1868, 10, 23)),
        ("2024年2月29日", date(2024, 2, 29)),
    ],
)
def test_parse_date_eras_and_boundaries(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("あした", "not_a_date"),
        ("2024-01-31-01", "not_a_date"),
        ("2024年2月30日", "impossible_date"),
        ("2023年2月29日", "impossible_date"),
        ("2024-13-01", "invalid_month"),
        ("24/1/31", "ambiguous_year"),
        ("平成32年1月1日", "after_era_end"),
        ("平成31年5月1日", "after_era_end"),
        ("昭和64年1月8日", "after_era_end"),
        ("大正15年12月25日", "after_era_end"),
        ("令和1年4月30日", "before_era_start"),
        ("平成元年1月7日", "before_era_start"),
        ("明治元年1月1日", "before_era_start"),
        ("令和0年5月1日", "era_year_zero"),
        ("元年5月1日", "gannen_without_era"),
        ("令和6年1月", "incomplete_date"),
        ("令和6年1月31日頃", "approximate_date"),
        ("0024/1/31", "ambiguous_year"),
        ("2024年（2024年）1月31日", "not_a_date"),
        ("令和6年（2023年）1月31日", "era_year_mismatch"),
        ("令和6年1月31日（木）", "weekday_mismatch"),
    ],
)
def test_parse_date_errors(text, code):
    with pytest.raises(DateParseError) as info:
        parse_date(text)
    error = info.value
    assert error.code == code
    assert isinstance(error, JpValueError)
    assert isinstance(error, ValueError)
    assert error.message_ja and error.message_en
    assert error.message("en") == error.message_en
    assert error.message("ja") == error.message_ja


def test_era_errors_name_the_date_that_was_meant():
    with pytest.raises(DateParseError) as info:
        parse_date("平成32年1月1日")
    assert "令和2年1月1日" in info.value.message_ja
    assert "令和2年1月1日" in info.value.message_en
    with pytest.raises(DateParseError) as info:
        parse_date("令和1年4月30日")
    assert "平成31年4月30日" in info.value.message_ja


def test_to_wareki_and_formats():
    wareki = to_wareki(date(2024, 1, 31))
    assert (wareki.era.name, wareki.year, wareki.month, wareki.day) == ("令和", 6, 1, 31)
    assert wareki.format_short() == "R06.01.31"
    assert format_wareki(date(2024, 1, 31)) == "令和6年1月31日"
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2019, 5, 1), gannen=False) == "令和1年5月1日"
    assert format_wareki(date(2019, 4, 30)) == "平成31年4月30日"
    assert format_date(date(2024, 1, 31)) == "令和6年（2024年）1月31日"
    assert format_date(date(2019, 5, 1)) == "令和元年（2019年）5月1日"
    assert format_date(date(2024, 1, 31), lang="en") == "31 January 2024"
    assert format_date(date(2024, 1, 31), lang="en-gb") == "31 January 2024"
    assert format_date(datetime(2024, 1, 31, 12, 0)) == "令和6年（2024年）1月31日"
    assert format_date(date(1850, 1, 1)) == "1850年1月1日"


def test_to_wareki_before_meiji_raises():
    with pytest.raises(DateParseError) as info:
        to_wareki(MEIJI_START - timedelta(days=1))
    assert info.value.code == "before_meiji"


def test_find_era():
    assert find_era("令和").letter == "R"
    assert find_era("r").name == "令和"
    assert find_era("㍻").name == "平成"
    assert find_era("江戸") is None


def test_every_day_from_meiji_round_trips():
    """format_wareki → parse_date and format_date → parse_date give the same day, 1868-10-23 … 2100."""
    day, last = MEIJI_START, date(2100, 12, 31)
    count = 0
    while day <= last:
        assert parse_date(format_wareki(day)) == day
        assert parse_date(format_wareki(day, gannen=False)) == day
        assert parse_date(format_date(day)) == day
        assert parse_date(to_wareki(day).format_short()) == day
        day += timedelta(days=1)
        count += 1
    assert count == (last - MEIJI_START).days + 1


@given(st.dates(min_value=MEIJI_START, max_value=date(9999, 12, 31)))
def test_wareki_round_trip_property(day):
    wareki = to_wareki(day)
    assert wareki.era.contains(day)
    assert parse_date(format_wareki(day)) == day


@given(st.text(max_size=30))
def test_parse_date_only_raises_date_parse_error(text):
    with contextlib.suppress(DateParseError):
        parse_date(text)


# --- 不詳 dates ---


@pytest.mark.parametrize(
    ("text", "year", "month", "day", "approximate", "era"),
    [
        ("令和○年頃", None, None, None, True, "令和"),
        ("昭和○年", None, None, None, False, "昭和"),
        ("昭和年月日不詳", None, None, None, False, "昭和"),
        ("昭和40年○月○日", 1965, None, None, False, "昭和"),
        ("昭和40年〇月〇日", 1965, None, None, False, "昭和"),
        ("昭和40年月日不詳", 1965, None, None, False, "昭和"),
        ("平成2年3月", 1990, 3, None, False, "平成"),
        ("平成2年3月○日", 1990, 3, None, False, "平成"),
        ("平成2年3月日不詳", 1990, 3, None, False, "平成"),
        ("2024年1月日不詳", 2024, 1, None, False, None),
        ("1965年頃", 1965, None, None, True, None),
        ("約1965年", 1965, None, None, True, None),
        ("1965ごろ", 1965, None, None, True, None),
        ("2024-03", 2024, 3, None, False, None),
        ("H2.3", 1990, 3, None, False, "平成"),
        ("令和元年", 2019, None, None, False, "令和"),
        ("平成31年", 2019, None, None, False, "平成"),
        ("令和6年1月31日", 2024, 1, 31, False, "令和"),
        ("2024-01-31", 2024, 1, 31, False, None),
    ],
)
def test_parse_partial_date(text, year, month, day, approximate, era):
    partial = parse_partial_date(text)
    assert (partial.year, partial.month, partial.day, partial.approximate) == (year, month, day, approximate)
    assert (partial.era.name if partial.era else None) == era


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("不詳", "year_unknown_without_era"),
        ("○年", "year_unknown_without_era"),
        ("平成31年5月", "after_era_end"),
        ("平成32年", "after_era_end"),
        ("令和元年4月", "before_era_start"),
        ("昭和40年○月15日", "day_without_month"),
        ("令和○年3月", "month_without_year"),
        ("65年頃", "ambiguous_year"),
    ],
)
def test_parse_partial_date_errors(text, code):
    with pytest.raises(DateParseError) as info:
        parse_partial_date(text)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("令和○年頃", date(2019, 5, 1)),  # unknown year → the era's first day
        ("令和元年", date(2019, 5, 1)),  # never before the era began
        ("平成31年", date(2019, 1, 1)),
        ("昭和40年○月○日", date(1965, 1, 1)),  # unknown month → January, unknown day → the 1st
        ("平成2年3月", date(1990, 3, 1)),
        ("1965年頃", date(1965, 1, 1)),
        ("令和6年1月31日", date(2024, 1, 31)),
    ],
)
def test_sort_key(text, key):
    assert parse_partial_date(text).sort_key() == key


def test_sort_keys_order_partial_and_exact_dates():
    texts = ["令和○年頃", "平成2年3月", "1965年頃", "平成2年3月15日", "昭和年月日不詳"]
    ordered = sorted(texts, key=lambda t: parse_partial_date(t).sort_key())
    assert ordered == ["昭和年月日不詳", "1965年頃", "平成2年3月", "平成2年3月15日", "令和○年頃"]


@pytest.mark.parametrize(
    ("text", "ja", "en"),
    [
        ("令和○年頃", "令和○年頃", "Reiwa era, year unknown"),
        ("昭和40年○月○日", "昭和40年（1965年）", "1965"),
        ("平成2年3月", "平成2年（1990年）3月", "March 1990"),
        ("1965年頃", "昭和40年（1965年）頃", "about 1965"),
        ("1989年", "1989年", "1989"),  # 昭和64年 or 平成元年: no era can be named
        ("2019年5月", "令和元年（2019年）5月", "May 2019"),
        ("1850年頃", "1850年頃", "about 1850"),
        ("令和6年1月31日", "令和6年（2024年）1月31日", "31 January 2024"),
    ],
)
def test_partial_date_format(text, ja, en):
    partial = parse_partial_date(text)
    assert partial.format() == ja
    assert partial.format("en") == en


def test_partial_date_validates_on_construction():
    assert PartialDate(2024, 2, 29).to_date() == date(2024, 2, 29)
    assert PartialDate(None, era=ERAS[-1]).sort_key() == date(2019, 5, 1)
    with pytest.raises(DateParseError):
        PartialDate(2023, 2, 29)
    with pytest.raises(DateParseError):
        PartialDate(None)
    with pytest.raises(DateParseError):
        PartialDate(2024, 13)
    with pytest.raises(DateParseError) as info:
        PartialDate(1965).to_date()
    assert info.value.code == "incomplete_date"

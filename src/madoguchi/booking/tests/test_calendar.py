"""The calendar rules: 土日祝 (jpholiday, 振替休日 included), 年末年始 12/29–1/3, opening hours, exceptions."""

import datetime as dt

import pytest

from madoguchi.booking import calendar
from madoguchi.booking.calendar import Calendar, CalendarException, ExceptionKind, Period

D = dt.date
T = dt.time


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (D(2026, 12, 7), None),  # Monday
        (D(2026, 12, 5), "土曜日"),
        (D(2026, 12, 6), "日曜日"),
        (D(2027, 1, 1), "元日"),
        (D(2026, 12, 29), "年末年始"),
        (D(2026, 12, 31), "年末年始"),
        (D(2027, 1, 4), None),  # Monday after 年末年始: open
        (D(2027, 1, 2), "年末年始"),  # a Saturday in 年末年始: 年末年始 comes before the weekend
        (D(2026, 12, 28), None),  # 御用納め: open
        (D(2025, 11, 24), "勤労感謝の日 振替休日"),  # 振替休日: 勤労感謝の日 fell on a Sunday
        (D(2026, 5, 6), "憲法記念日 振替休日"),  # 振替休日: 憲法記念日 fell on a Sunday
        (D(2026, 9, 22), "国民の休日"),  # between 敬老の日 and 秋分の日
        (D(2030, 3, 20), "春分の日"),
    ],
)
def test_closed_reason(day, reason):
    assert calendar.closed_reason(day) == reason
    assert calendar.is_open_day(day) is (reason is None)


def test_weekdays_default_to_8_30_to_17_15_and_weekends_have_no_hours():
    cal = Calendar()
    assert cal.hours_on(D(2026, 12, 7)) == (Period(T(8, 30), T(17, 15)),)
    assert cal.hours_on(D(2026, 12, 5)) == ()
    assert cal.why_closed(D(2026, 12, 5)) == "土曜日"
    assert cal.why_closed(D(2027, 1, 1)) == "元日"


def test_slots_fit_wholly_inside_the_hours():
    cal = Calendar(weekly={0: (Period(T(9), T(12)), Period(T(13), T(14, 45)))})
    assert cal.slots_on(D(2026, 12, 7), 30) == (
        T(9),
        T(9, 30),
        T(10),
        T(10, 30),
        T(11),
        T(11, 30),
        T(13),
        T(13, 30),
        T(14),
    )
    assert cal.slots_on(D(2026, 12, 8), 30) == ()  # Tuesday: no hours set
    assert cal.why_closed(D(2026, 12, 8)) == "受付なし"


def test_holiday_window_opens_a_sunday_with_its_own_hours():
    sunday = D(2026, 12, 6)
    cal = Calendar(
        exceptions=(CalendarException(sunday, ExceptionKind.OPEN, (Period(T(9), T(12)),), "休日窓口"),)
    )
    assert cal.is_open(sunday)
    assert cal.slots_on(sunday, 60) == (T(9), T(10), T(11))


def test_extra_evening_hours_are_added_and_a_closure_wins():
    monday = D(2026, 12, 7)
    extra = CalendarException(monday, ExceptionKind.EXTRA, (Period(T(17, 15), T(19)),))
    cal = Calendar(exceptions=(extra,))
    assert cal.hours_on(monday) == (Period(T(8, 30), T(19)),)  # touching periods are joined
    closed = CalendarException(monday, ExceptionKind.CLOSED, note="システム更新")
    cal = Calendar(exceptions=(extra, closed))
    assert cal.hours_on(monday) == ()
    assert cal.why_closed(monday) == "システム更新"


def test_extra_hours_do_not_open_a_closed_day():
    saturday = D(2026, 12, 5)
    cal = Calendar(exceptions=(CalendarException(saturday, ExceptionKind.EXTRA, (Period(T(17), T(19)),)),))
    assert cal.hours_on(saturday) == ()


def test_bad_periods_and_exceptions_are_refused():
    with pytest.raises(ValueError, match="close after"):
        Period(T(10), T(9))
    with pytest.raises(ValueError, match="needs opening hours"):
        CalendarException(D(2026, 12, 6), ExceptionKind.OPEN)
    with pytest.raises(ValueError, match="unknown exception kind"):
        CalendarException(D(2026, 12, 6), "weird")
    with pytest.raises(ValueError):
        calendar.slot_starts((), 0)


def test_open_days_skip_the_new_year_holidays():
    days = Calendar().open_days(D(2026, 12, 25), 12)
    assert days == [D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 4), D(2027, 1, 5)]

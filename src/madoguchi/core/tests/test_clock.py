import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from madoguchi.core.clock import add_business_days, business_days_between, is_business_day


def test_weekends_holidays_and_year_end_are_not_business_days():
    assert not is_business_day(dt.date(2026, 11, 21))  # Saturday
    assert not is_business_day(dt.date(2026, 11, 23))  # 勤労感謝の日
    assert not is_business_day(dt.date(2026, 12, 29))  # 年末年始
    assert not is_business_day(dt.date(2027, 1, 3))
    assert is_business_day(dt.date(2026, 11, 24))


def test_add_business_days_skips_the_holiday_weekend():
    # Friday 20 Nov 2026 + 1 business day: Sat, Sun and Monday 23 (holiday) are skipped.
    assert add_business_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 24)
    assert add_business_days(dt.date(2026, 12, 28), 1) == dt.date(2027, 1, 4)


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 40))
def test_business_days_between_inverts_add(start, days):
    end = add_business_days(start, days)
    assert business_days_between(start, end) == days
    assert business_days_between(end, start) == -days
    assert days == 0 or is_business_day(end)

"""The city hall's calendar (開庁日と受付時間): pure Python, no Django.

`closed_reason(day)` says why the city hall is closed on a day (a public holiday's name from jpholiday,
年末年始 from 29 December to 3 January, 土曜日 / 日曜日) or None on an open day; `is_open_day(day)` is its
negation. `Calendar` adds a window's weekly opening hours and its exceptions (a 休日窓口 opening on a closed
day, extra evening hours, a closure) and cuts the open periods of a day into slots. Other rooms (the
vaccination campaigns) import this module: keep its names stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import jpholiday

__all__ = [
    "DEFAULT_WEEKLY_HOURS",
    "Calendar",
    "CalendarException",
    "ExceptionKind",
    "Period",
    "closed_reason",
    "is_open_day",
    "slot_starts",
]

NEW_YEAR_HOLIDAYS = "年末年始"  # 12/29–1/3: city halls close (地方自治法 4条の2, 各市の休日条例)
SATURDAY = "土曜日"
SUNDAY = "日曜日"


def _is_year_end(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def closed_reason(day: dt.date) -> str | None:
    """Why the city hall is closed on `day`, or None when it is open.

    A public holiday (振替休日 and 国民の休日 included) gives its name, e.g. "元日", "振替休日"; then 年末年始;
    then the weekend. A day that is both (元日 is also 年末年始) gives the holiday's name.
    """
    name = jpholiday.is_holiday_name(day)
    if name:
        return str(name)
    if _is_year_end(day):
        return NEW_YEAR_HOLIDAYS
    weekday = day.weekday()
    if weekday == 5:
        return SATURDAY
    if weekday == 6:
        return SUNDAY
    return None


def is_open_day(day: dt.date) -> bool:
    """True on a day the city hall is open by law and ordinance (no exceptions applied)."""
    return closed_reason(day) is None


@dataclass(frozen=True, order=True)
class Period:
    """Opening hours: from `opens` up to (not including) `closes`."""

    opens: dt.time
    closes: dt.time

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(f"a period must close after it opens: {self.opens}–{self.closes}")

    def overlaps(self, other: Period) -> bool:
        return self.opens < other.closes and other.opens < self.closes


class ExceptionKind:
    """What an exception does to a day."""

    OPEN = (
        "open"  # 休日窓口: open on this day with these hours, instead of the usual ones (or of being closed)
    )
    EXTRA = "extra"  # extra hours (an evening counter) added to the usual ones of an open day
    CLOSED = "closed"  # closed all day (a system change, an election)

    ALL = (OPEN, EXTRA, CLOSED)


@dataclass(frozen=True)
class CalendarException:
    day: dt.date
    kind: str
    periods: tuple[Period, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ExceptionKind.ALL:
            raise ValueError(
                f"unknown exception kind {self.kind!r}; use one of {', '.join(ExceptionKind.ALL)}"
            )
        if self.kind != ExceptionKind.CLOSED and not self.periods:
            raise ValueError(f"an '{self.kind}' exception needs opening hours")


# 8:30–17:15 on weekdays, the usual hours of a Japanese city hall.
DEFAULT_WEEKLY_HOURS: Mapping[int, tuple[Period, ...]] = {
    weekday: (Period(dt.time(8, 30), dt.time(17, 15)),) for weekday in range(5)
}


def _merged(periods: Iterable[Period]) -> tuple[Period, ...]:
    """Sorted, with overlapping or touching periods joined."""
    out: list[Period] = []
    for period in sorted(periods):
        if out and period.opens <= out[-1].closes:
            last = out.pop()
            period = Period(last.opens, max(last.closes, period.closes))
        out.append(period)
    return tuple(out)


@dataclass(frozen=True)
class Calendar:
    """One window's calendar: weekly hours (weekday 0 = Monday) and dated exceptions."""

    weekly: Mapping[int, tuple[Period, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEKLY_HOURS))
    exceptions: tuple[CalendarException, ...] = ()

    def exceptions_on(self, day: dt.date) -> tuple[CalendarException, ...]:
        return tuple(e for e in self.exceptions if e.day == day)

    def hours_on(self, day: dt.date) -> tuple[Period, ...]:
        """The open periods of `day` (empty when closed), exceptions applied: a closure wins over everything,
        an opening replaces the usual hours, extra hours are added to an open day's hours."""
        exceptions = self.exceptions_on(day)
        if any(e.kind == ExceptionKind.CLOSED for e in exceptions):
            return ()
        openings = [p for e in exceptions if e.kind == ExceptionKind.OPEN for p in e.periods]
        if openings:
            return _merged(
                openings + [p for e in exceptions if e.kind == ExceptionKind.EXTRA for p in e.periods]
            )
        if not is_open_day(day):
            return ()
        usual = list(self.weekly.get(day.weekday(), ()))
        if not usual:
            return ()
        return _merged(usual + [p for e in exceptions if e.kind == ExceptionKind.EXTRA for p in e.periods])

    def is_open(self, day: dt.date) -> bool:
        return bool(self.hours_on(day))

    def why_closed(self, day: dt.date) -> str | None:
        """The reason `day` has no hours (a closure's note, a holiday's name, 年末年始, the weekend, or
        "受付なし" for a weekday this window does not open), or None when it is open."""
        if self.is_open(day):
            return None
        for e in self.exceptions_on(day):
            if e.kind == ExceptionKind.CLOSED:
                return e.note or "臨時休業"
        return closed_reason(day) or "受付なし"

    def slots_on(self, day: dt.date, minutes: int) -> tuple[dt.time, ...]:
        return slot_starts(self.hours_on(day), minutes)

    def open_days(self, start: dt.date, days: int) -> list[dt.date]:
        return [d for d in (start + dt.timedelta(days=n) for n in range(days)) if self.is_open(d)]


def slot_starts(periods: Iterable[Period], minutes: int) -> tuple[dt.time, ...]:
    """The start times of `minutes`-long slots that fit wholly inside `periods`."""
    if minutes <= 0:
        raise ValueError("a slot lasts at least one minute")
    starts: list[dt.time] = []
    step = dt.timedelta(minutes=minutes)
    base = dt.date(2000, 1, 1)
    for period in _merged(periods):
        moment = dt.datetime.combine(base, period.opens)
        end = dt.datetime.combine(base, period.closes)
        while moment + step <= end:
            starts.append(moment.time())
            moment += step
    return tuple(starts)

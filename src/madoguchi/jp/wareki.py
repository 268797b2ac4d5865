"""和暦 (Japanese era dates): parsing, conversion to and from 西暦, and 不詳 (partly unknown) dates.

Era table and its one judgement call
------------------------------------
Each era starts on the day of its 改元, in the Gregorian calendar. 明治 starts on 1868-10-23, the
Gregorian date of the 改元の詔 (慶応4年9月8日). The proclamation made the era retroactive to 慶応4年1月1日
(1868-01-25 Gregorian), and Japan kept the lunisolar calendar until 明治5年12月2日 (the next day became
明治6年1月1日 = 1873-01-01). So a 明治1–5年 date in an old record is a lunisolar date; like most systems we
read its month and day as Gregorian, and accept 明治 dates only from 1868-10-23. This matters only for
historical records: nobody registered today was born before 1873.

Strict era boundaries: 平成31年5月1日 and 令和元年4月30日 do not exist and are rejected with a message that
names the date the person probably meant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import JpValueError, is_english

__all__ = [
    "ERAS",
    "DateParseError",
    "Era",
    "PartialDate",
    "Wareki",
    "find_era",
    "format_date",
    "format_wareki",
    "parse_date",
    "parse_partial_date",
    "to_wareki",
]


@dataclass(frozen=True)
class Era:
    """One 元号: its name, the letter used in short forms (R6.1.31), English name, first and last day."""

    name: str
    letter: str
    name_en: str
    start: date
    end: date | None  # last day of the era; None for the current era

    def contains(self, d: date) -> bool:
        return self.start <= d and (self.end is None or d <= self.end)

    def to_western_year(self, era_year: int) -> int:
        return self.start.year + era_year - 1


def _era_table() -> tuple[Era, ...]:
    rows = [
        ("明治", "M", "Meiji", date(1868, 10, 23)),
        ("大正", "T", "Taisho", date(1912, 7, 30)),
        ("昭和", "S", "Showa", date(1926, 12, 25)),
        ("平成", "H", "Heisei", date(1989, 1, 8)),
        ("令和", "R", "Reiwa", date(2019, 5, 1)),
    ]
    eras = []
    for i, (name, letter, name_en, start) in enumerate(rows):
        end = rows[i + 1][3] - timedelta(days=1) if i + 1 < len(rows) else None
        eras.append(Era(name, letter, name_en, start, end))
    return tuple(eras)


ERAS: tuple[Era, ...] = _era_table()

_ERA_BY_KEY: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_KEY[_era.name] = _era
    _ERA_BY_KEY[_era.name[0]] = _era  # 令6.1.31, 昭40.1.1
    _ERA_BY_KEY[_era.letter] = _era

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class DateParseError(JpValueError):
    """A date that cannot be read, does not exist, or does not fit its era."""


def find_era(text: str) -> Era | None:
    """The era named by ``text``: 令和, 令, R or r (also ㋿ and other one-character era signs)."""
    key = unicodedata.normalize("NFKC", text).strip().upper()
    return _ERA_BY_KEY.get(key)


@dataclass(frozen=True)
class Wareki:
    """A date written in its era: 令和6年1月31日 is ``Wareki(ERAS[-1], 6, 1, 31)``."""

    era: Era
    year: int
    month: int
    day: int

    def format(self, *, gannen: bool = True) -> str:
        return f"{self.era.name}{_era_year_ja(self.year, gannen)}年{self.month}月{self.day}日"

    def format_short(self) -> str:
        """The letter form used on cards and in data entry: R06.01.31."""
        return f"{self.era.letter}{self.year:02d}.{self.month:02d}.{self.day:02d}"


def _as_date(d: date) -> date:
    # datetime is a subclass of date but does not compare with it.
    return d.date() if isinstance(d, datetime) else d


def _era_of(d: date) -> Era | None:
    for era in reversed(ERAS):
        if era.contains(d):
            return era
    return None


def to_wareki(d: date) -> Wareki:
    """The era, era year, month and day of ``d``; raises DateParseError before 明治 (1868-10-23)."""
    d = _as_date(d)
    era = _era_of(d)
    if era is None:
        raise _error("before_meiji")
    return Wareki(era, d.year - era.start.year + 1, d.month, d.day)


def format_wareki(d: date, *, gannen: bool = True) -> str:
    """令和6年1月31日; the first year of an era is 元年 unless ``gannen=False`` (令和1年5月1日)."""
    return to_wareki(d).format(gannen=gannen)


def format_date(d: date, lang: str = "ja") -> str:
    """A date for people: 令和6年（2024年）1月31日 in Japanese, 31 January 2024 in English.

    Dates before 明治 have no era and are written 1850年1月1日.
    """
    d = _as_date(d)
    if is_english(lang):
        return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
    era = _era_of(d)
    if era is None:
        return f"{d.year}年{d.month}月{d.day}日"
    wareki = to_wareki(d)
    return f"{era.name}{_era_year_ja(wareki.year, True)}年（{d.year}年）{d.month}月{d.day}日"


def _era_year_ja(year: int, gannen: bool) -> str:
    return "元" if year == 1 and gannen else str(year)


# --- parsing ---------------------------------------------------------------------------------------

_UNKNOWN = -1  # a component written as ○ / 〇 / ? : known to be unknown (不詳)
_PLACEHOLDERS = frozenset("○〇◯●□?X×*_")
_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_DATE_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー─━ｰ", "-"))

_ERA_PREFIX = re.compile(r"^(明治|大正|昭和|平成|令和|[明大昭平令MTSHR])\.?")
_COMPONENT = r"[0-9]+|元|[〇一二三四五六七八九十百千○◯●□?X×*_]+"
_KANJI_STYLE = re.compile(rf"^(?P<y>{_COMPONENT})年(?:(?P<m>{_COMPONENT})月(?:(?P<d>{_COMPONENT})日?)?)?$")
_SEPARATOR_STYLE = re.compile(
    rf"^(?P<y>{_COMPONENT})(?P<s>[-/.])(?P<m>{_COMPONENT})(?:(?P=s)(?P<d>{_COMPONENT}))?$"
)
_YEAR_ONLY = re.compile(rf"^(?P<y>{_COMPONENT})$")
_WESTERN_IN_PARENS = re.compile(r"\((?P<y>[0-9]{4})年?\)")
_WEEKDAY = re.compile(r"\((?P<w>[月火水木金土日]|MON|TUE|WED|THU|FRI|SAT|SUN)(?:曜日?|DAY)?\)$")
_APPROXIMATE_SUFFIX = re.compile(r"(頃|ごろ|ころ|ゴロ|コロ)$")
# 昭和40年月日不詳, 2024年1月日不詳, 昭和年月日不詳: the 年/月/日 of the marker follow no number.
_UNKNOWN_SUFFIX = re.compile(r"(?<![0-9元〇一二三四五六七八九十百千])年?月?日?(?:不詳|不明)$")


@dataclass
class _Parsed:
    era: Era | None
    year: int | None  # None: not written; _UNKNOWN: written as unknown
    month: int | None
    day: int | None
    approximate: bool
    western_year: int | None  # the (2024年) of 令和6年（2024年）, to cross-check
    weekday: int | None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper().translate(_DATE_DASHES)
    return "".join(text.split())


def _kanji_number(text: str) -> int | None:
    if not any(ch in _KANJI_UNITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total, current, last_unit = 0, None, 10_000
    for ch in text:
        if ch in _KANJI_DIGITS:
            if current is not None:
                return None  # 二三十: two digits before a unit
            current = _KANJI_DIGITS[ch]
        else:
            unit = _KANJI_UNITS[ch]
            if unit >= last_unit:
                return None  # 十百, 十十
            total += (1 if current is None else current) * unit
            current, last_unit = None, unit
    return total + (current or 0)


def _component(text: str | None) -> tuple[int | None, bool]:
    """The value of one written component and whether it was 元; None when malformed."""
    if text is None:
        return None, False
    if text == "元":
        return 1, True
    if all(ch in _PLACEHOLDERS for ch in text):
        return _UNKNOWN, False
    if text.isascii() and text.isdigit():
        return int(text), False
    if all(ch in _KANJI_DIGITS or ch in _KANJI_UNITS for ch in text):
        return _kanji_number(text), False
    return None, False


def _parse(text: object) -> _Parsed:
    if not isinstance(text, str) or not text.strip():
        raise _error("empty")
    body = _normalise(text)
    approximate = False
    if body.startswith("約"):
        body, approximate = body[1:], True
    if match := _APPROXIMATE_SUFFIX.search(body):
        body, approximate = body[: match.start()], True
    weekday = None
    if match := _WEEKDAY.search(body):
        w = match["w"]
        weekday = _WEEKDAYS_JA.index(w) if len(w) == 1 else _WEEKDAYS_EN.index(w)
        body = body[: match.start()]
    if match := _UNKNOWN_SUFFIX.search(body):
        body = body[: match.start()]
    western_year = None
    if match := _WESTERN_IN_PARENS.search(body):
        western_year = int(match["y"])
        body = body[: match.start()] + body[match.end() :]

    era = None
    if match := _ERA_PREFIX.match(body):
        era, body = _ERA_BY_KEY[match[1]], body[match.end() :]

    written: tuple[str, str | None, str | None]
    if body == "" and era is None:
        raise _error("year_unknown_without_era")  # 不詳, 年月日不詳
    if body == "":
        written = ("?", None, None)  # 昭和年月日不詳: only the era is known
    elif body.isascii() and body.isdigit() and len(body) in ((6,) if era else (8,)):
        split = 2 if era else 4
        written = (body[:split], body[split : split + 2], body[split + 2 :])
    elif m := (_KANJI_STYLE.match(body) or _SEPARATOR_STYLE.match(body) or _YEAR_ONLY.match(body)):
        written = (m["y"], m.groupdict().get("m"), m.groupdict().get("d"))
    else:
        raise _error("not_a_date")

    (year, gannen), (month, _), (day, _) = (_component(part) for part in written)
    if year is None or (written[1] is not None and month is None) or (written[2] is not None and day is None):
        raise _error("not_a_date")
    if gannen and era is None:
        raise _error("gannen_without_era")
    # A Western year needs all four digits: 24/1/31 could be 2024 or 令和24 or 平成24.
    western_digits_missing = year < 1000 or (written[0].isascii() and len(written[0]) != 4)
    if era is None and year != _UNKNOWN and western_digits_missing:
        raise _error("ambiguous_year")
    if era is None and western_year is not None:
        raise _error("not_a_date")  # 2024年（2024年）: a Western year in brackets belongs after an era year
    return _Parsed(era, year, month, day, approximate, western_year, weekday)


def _known(value: int | None) -> int | None:
    return None if value == _UNKNOWN else value


def _to_partial(parsed: _Parsed) -> PartialDate:
    era, year = parsed.era, _known(parsed.year)
    if era is not None and year is not None:
        if year == 0:
            raise _error("era_year_zero")
        year = era.to_western_year(year)
        if parsed.western_year is not None and parsed.western_year != year:
            raise _error("era_year_mismatch", era=era, era_year=parsed.year, western_year=year)
    return PartialDate(year, _known(parsed.month), _known(parsed.day), parsed.approximate, era)


def parse_date(text: str) -> date:
    """Read a full date written in 西暦 or 和暦; raises DateParseError with a bilingual message.

    Accepts 2024-01-31, 2024/1/31, 2024.1.31, 2024年1月31日, 20240131, 令和6年1月31日, 令和元年5月1日,
    R6.1.31, R06/01/31, R060131, 令6.1.31, 令和六年一月三十一日, full-width digits, ㋿ and ㍻, a trailing
    weekday (水) which must match, and the output of ``format_date`` (令和6年（2024年）1月31日).
    """
    parsed = _parse(text)
    if parsed.approximate:
        raise _error("approximate_date")
    if None in (parsed.year, parsed.month, parsed.day) or _UNKNOWN in (parsed.year, parsed.month, parsed.day):
        raise _error("incomplete_date")
    partial = _to_partial(parsed)
    result = partial.to_date()
    if parsed.weekday is not None and result.weekday() != parsed.weekday:
        raise _error("weekday_mismatch", d=result)
    return result


def parse_partial_date(text: str) -> PartialDate:
    """Read a date whose parts may be unknown (不詳) or approximate (頃), as kept in registries.

    Accepts everything ``parse_date`` does, plus 令和○年頃, 昭和40年○月○日, 昭和40年月日不詳, 平成2年3月,
    1965年頃, 約1965年, 2024-03 and 昭和年月日不詳 (only the era known).
    """
    parsed = _parse(text)
    partial = _to_partial(parsed)
    if parsed.weekday is not None and partial.is_complete and partial.to_date().weekday() != parsed.weekday:
        raise _error("weekday_mismatch", d=partial.to_date())
    return partial


# --- partly unknown dates ------------------------------------------------------------------------------


def _days_in_month(year: int | None, month: int) -> int:
    if month == 12:
        return 31
    if year is None:
        year = 2000  # a leap year: with the year unknown, 2月29日 may exist
    return (date(year, month + 1, 1) - timedelta(days=1)).day


@dataclass(frozen=True)
class PartialDate:
    """A date with unknown trailing parts (不詳) and an "about" flag (頃), as registries keep them.

    ``year`` is the 西暦 year. It is None only when the era is known but its year is not (令和○年頃);
    ``era`` is the era the date was written in, or None when it was written in 西暦. A day is only
    kept together with its month. Construction validates, raising DateParseError.
    """

    year: int | None
    month: int | None = None
    day: int | None = None
    approximate: bool = False
    era: Era | None = None

    def __post_init__(self) -> None:
        if self.year is None and self.era is None:
            raise _error("year_unknown_without_era")
        if self.year is None and self.month is not None:
            raise _error("month_without_year")
        if self.month is None and self.day is not None:
            raise _error("day_without_month")
        if self.year is not None and not 1 <= self.year <= 9999:
            raise _error("year_out_of_range")
        if self.month is not None and not 1 <= self.month <= 12:
            raise _error("invalid_month")
        if (
            self.month is not None
            and self.day is not None
            and not 1 <= self.day <= _days_in_month(self.year, self.month)
        ):
            raise _error("impossible_date", year=self.year, month=self.month, day=self.day)
        if self.era is not None and self.year is not None:
            self._check_era(self.era, self.year)

    def _check_era(self, era: Era, year: int) -> None:
        earliest, latest = self._bounds()
        if latest < era.start:
            raise _error("before_era_start", era=era, earliest=earliest, latest=latest)
        if era.end is not None and earliest > era.end:
            raise _error("after_era_end", era=era, earliest=earliest, latest=latest)

    def _bounds(self) -> tuple[date, date]:
        """The earliest and latest day this value can denote (the year must be known)."""
        assert self.year is not None
        if self.month is None:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        if self.day is None:
            return date(self.year, self.month, 1), date(
                self.year, self.month, _days_in_month(self.year, self.month)
            )
        exact = date(self.year, self.month, self.day)
        return exact, exact

    @property
    def is_complete(self) -> bool:
        """True when year, month and day are all known (it may still be approximate)."""
        return self.year is not None and self.month is not None and self.day is not None

    def to_date(self) -> date:
        """The date itself; raises DateParseError unless year, month and day are known."""
        if not self.is_complete:
            raise _error("incomplete_date")
        assert self.year is not None and self.month is not None and self.day is not None
        return date(self.year, self.month, self.day)

    def sort_key(self) -> date:
        """The earliest day the value can denote: unknown month → January, unknown day → the 1st.

        Within a named era that day is never before the era began: 令和元年 sorts as 2019-05-01 and
        令和○年 as the first day of 令和. So the key is a real, valid date that sorts with exact dates.
        """
        if self.year is None:
            assert self.era is not None
            return self.era.start
        earliest, _ = self._bounds()
        return max(earliest, self.era.start) if self.era is not None else earliest

    def _display_era(self) -> Era | None:
        if self.era is not None or self.year is None:
            return self.era
        earliest, latest = self._bounds()
        era = _era_of(earliest)
        return era if era is not None and era.contains(latest) else None

    def format(self, lang: str = "ja") -> str:
        """令和6年（2024年）1月頃, 昭和40年（1965年）, 令和○年頃; in English: about January 2024."""
        if is_english(lang):
            return self._format_en()
        suffix = "頃" if self.approximate else ""
        if self.year is None:
            assert self.era is not None
            return f"{self.era.name}○年{suffix}"
        era = self._display_era()
        if era is None:
            text = f"{self.year}年"
        else:
            era_year = self.year - era.start.year + 1
            text = f"{era.name}{_era_year_ja(era_year, True)}年（{self.year}年）"
        if self.month is not None:
            text += f"{self.month}月"
        if self.day is not None:
            text += f"{self.day}日"
        return text + suffix

    def _format_en(self) -> str:
        if self.year is None:
            assert self.era is not None
            return f"{self.era.name_en} era, year unknown"
        parts = [str(self.year)]
        if self.month is not None:
            parts.insert(0, _MONTHS_EN[self.month - 1])
        if self.day is not None:
            parts.insert(0, str(self.day))
        text = " ".join(parts)
        return f"about {text}" if self.approximate else text


# --- messages --------------------------------------------------------------------------------------

_EXAMPLES_JA = "「2024年1月31日」「令和6年1月31日」「2024-01-31」"


def _span_ja(earliest: date, latest: date) -> str:
    if earliest == latest:
        return f"{earliest.year}年{earliest.month}月{earliest.day}日"
    if earliest.month == latest.month:
        return f"{earliest.year}年{earliest.month}月"
    return f"{earliest.year}年"


def _span_en(earliest: date, latest: date) -> str:
    if earliest == latest:
        return format_date(earliest, "en")
    if earliest.month == latest.month:
        return f"{_MONTHS_EN[earliest.month - 1]} {earliest.year}"
    return str(earliest.year)


def _suggestion(earliest: date, latest: date) -> tuple[str, str]:
    """Where the person probably meant: the same day (or month, or year) written in its real era."""
    era = _era_of(earliest)
    if era is None or not era.contains(latest):
        return "", ""
    wareki = to_wareki(earliest)
    meant = f"{era.name}{_era_year_ja(wareki.year, True)}年"
    if earliest.month == latest.month:
        meant += f"{earliest.month}月"
    if earliest == latest:
        meant += f"{earliest.day}日"
    return f"{meant}のことであれば、そのように入力してください。", f" If you meant {meant}, enter that."


def _error(code: str, **p: object) -> DateParseError:
    if code == "empty":
        ja, en = "日付を入力してください。", "Enter a date."
    elif code == "not_a_date":
        ja = f"日付として読み取れませんでした。{_EXAMPLES_JA}のように入力してください。"
        en = "This could not be read as a date. Enter it like 2024-01-31, 2024年1月31日 or 令和6年1月31日."
    elif code == "ambiguous_year":
        ja = "西暦の年は4桁で入力してください（例：2024年）。和暦の場合は元号も入力してください（例：令和6年）。"
        en = "Enter the year with 4 digits (e.g. 2024), or with its era (e.g. 令和6年 / R6)."
    elif code == "year_out_of_range":
        ja, en = "年が正しくありません。年を確認してください。", "The year is out of range. Check the year."
    elif code == "gannen_without_era":
        ja = "「元年」は元号と一緒に入力してください（例：令和元年）。"
        en = "Write 元年 (first year) together with its era, e.g. 令和元年."
    elif code == "incomplete_date":
        ja = "年・月・日をすべて入力してください。"
        en = "Enter the full date: year, month and day."
    elif code == "approximate_date":
        ja = "「頃」の付いた日付はここでは使えません。正確な年月日を入力してください。"
        en = "An approximate date (頃) cannot be used here. Enter the exact date."
    elif code == "invalid_month":
        ja, en = "月は1から12の数字で入力してください。", "Enter the month as a number from 1 to 12."
    elif code == "impossible_date":
        year, month, day = p["year"], p["month"], p["day"]
        in_year_ja = "" if year is None else f"{year}年の"
        in_year_en = "" if year is None else f" in {year}"
        ja = f"{in_year_ja}{month}月{day}日は存在しない日付です。月と日を確認してください。"
        en = f"Day {day} of month {month} does not exist{in_year_en}. Check the month and day."
    elif code == "era_year_zero":
        ja = "元号の年は1年（元年）以上で入力してください。"
        en = "The year of an era starts at 1 (元年). Check the year."
    elif code in ("before_era_start", "after_era_end"):
        era, earliest, latest = p["era"], p["earliest"], p["latest"]
        assert isinstance(era, Era) and isinstance(earliest, date) and isinstance(latest, date)
        hint_ja, hint_en = _suggestion(earliest, latest)
        first_ja = f"{era.start.year}年{era.start.month}月{era.start.day}日"
        if code == "before_era_start":
            ja = f"{_span_ja(earliest, latest)}は{era.name}が始まった{first_ja}より前です。{hint_ja or '元号を確認してください。'}"
            en = f"{_span_en(earliest, latest)} is before the {era.name_en} era began ({format_date(era.start, 'en')})."
        else:
            assert era.end is not None
            last_ja = f"{era.end.year}年{era.end.month}月{era.end.day}日"
            ja = f"{era.name}は{last_ja}までです（{_span_ja(earliest, latest)}は{era.name}ではありません）。{hint_ja or '元号を確認してください。'}"
            en = f"The {era.name_en} era ended on {format_date(era.end, 'en')}; {_span_en(earliest, latest)} is after it."
        en += hint_en or " Check the era."
    elif code == "era_year_mismatch":
        era, era_year, western_year = p["era"], p["era_year"], p["western_year"]
        assert isinstance(era, Era)
        ja = f"和暦と西暦の年が合いません（{era.name}{era_year}年は{western_year}年です）。年を確認してください。"
        en = f"The era year and the Western year disagree ({era.name_en} {era_year} is {western_year}). Check the year."
    elif code == "weekday_mismatch":
        d = p["d"]
        assert isinstance(d, date)
        ja = f"曜日が日付と合いません（{d.year}年{d.month}月{d.day}日は{_WEEKDAYS_JA[d.weekday()]}曜日です）。日付と曜日を確認してください。"
        en = f"The weekday does not match the date ({format_date(d, 'en')} is a {d.strftime('%A')}). Check both."
    elif code == "before_meiji":
        ja = "1868年10月23日（明治の始まり）より前の日付は和暦で表せません。西暦で扱ってください。"
        en = "Dates before 23 October 1868 (the start of Meiji) have no era form here; use the Western year."
    elif code == "year_unknown_without_era":
        ja = "年がわからない場合も、元号は入力してください（例：昭和○年）。"
        en = "When the year is unknown, still give the era (e.g. 昭和○年)."
    elif code == "month_without_year":
        ja = "年がわからない日付には月を入れられません。年を入力するか、月も不詳にしてください。"
        en = "A month cannot be kept without its year. Enter the year, or leave the month unknown too."
    elif code == "day_without_month":
        ja = "月がわからない日付には日を入れられません。月を入力するか、日も不詳にしてください。"
        en = "A day cannot be kept without its month. Enter the month, or leave the day unknown too."
    else:  # pragma: no cover - programming error
        raise AssertionError(code)
    return DateParseError(code, ja, en)

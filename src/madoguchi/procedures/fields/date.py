"""`date`: 和暦 or 西暦 as people write it, stored as an ISO date; `min_date` / `max_date` ("today" or ISO)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from madoguchi.jp import kana, wareki
from madoguchi.jp.errors import JpValueError, is_english

from .base import DIGITS, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, as_text
from .messages import Invalid, from_jp_error, invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


def date_bound(value: str | None, today: dt.date) -> dt.date | None:
    if value is None:
        return None
    return today if value == "today" else dt.date.fromisoformat(value)


@registry.register
class DateType(FieldType):
    name = "date"
    keys = ("min_date", "max_date", "prefill")
    prefill_keys = ("person.birth_date",)
    example = ("例：令和6年4月1日、R6.4.1、2024-04-01", "e.g. 2024-04-01, 令和6年4月1日 or R6.4.1")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        text = as_text(raw)
        try:
            value = wareki.parse_date(text)
        except JpValueError as exc:
            raise Invalid(from_jp_error(exc)) from exc
        earliest = date_bound(f.min_date, context.today)
        latest = date_bound(f.max_date, context.today)
        if latest is not None and value > latest:
            if f.max_date == "today":
                raise invalid(
                    "date_in_future",
                    "未来の日付は入力できません。今日以前の日付を入力してください。",
                    "This date cannot be in the future. Please enter today's date or an earlier one.",
                )
            raise invalid(
                "date_too_late",
                f"{wareki.format_date(latest, 'ja')}以前の日付を入力してください。",
                f"Please enter a date on or before {latest.isoformat()}.",
            )
        if earliest is not None and value < earliest:
            if f.min_date == "today":
                raise invalid(
                    "date_in_past",
                    "過去の日付は入力できません。今日以降の日付を入力してください。",
                    "This date cannot be in the past. Please enter today's date or a later one.",
                )
            raise invalid(
                "date_too_early",
                f"{wareki.format_date(earliest, 'ja')}以降の日付を入力してください。",
                f"Please enter a date on or after {earliest.isoformat()}.",
            )
        return value.isoformat()

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        day = dt.date.fromisoformat(str(value))
        return day.isoformat() if is_english(lang) else wareki.format_date(day, "ja")

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"examples": ["2024-04-01", "令和6年4月1日"]}

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        today, rng = demo.today, demo.rng
        earliest, latest = date_bound(f.min_date, today), date_bound(f.max_date, today)
        if f.prefill == "person.birth_date" or "birth" in f.id:
            day = demo.birth_date
        elif earliest is not None and earliest >= today:
            day = today + dt.timedelta(days=rng.randint(7, 40))
        else:
            day = today - dt.timedelta(days=rng.randint(1, 60))
        if earliest is not None and day < earliest:
            day = earliest
        if latest is not None and day > latest:
            day = latest
        return day.isoformat()

    # -- paper: the era to circle, then 2 + 2 + 2 digit boxes (年・月・日)

    def eras(self, f: Field) -> tuple[str, ...]:
        """The eras a date of this field can fall in: a future date (min_date: today) only the current era."""
        eras = wareki.ERAS
        if f.min_date == "today":
            return (eras[-1].name,)
        earliest = dt.date.fromisoformat(f.min_date) if f.min_date else None
        latest = dt.date.fromisoformat(f.max_date) if f.max_date not in (None, "today") else None
        return tuple(
            era.name
            for era in eras
            if (earliest is None or era.end is None or era.end >= earliest)
            and (latest is None or era.start <= latest)
        )

    def print_layout(self, f: Field) -> PrintLayout:
        boxes = PrintLayout.digit_boxes(6, groups=(2, 2, 2))
        return PrintLayout(
            "date",
            cells=6,
            width_mm=boxes.width_mm + 12.0 * len(self.eras(f)),  # 12 mm for each era name to circle
            height_mm=boxes.height_mm,
            groups=(2, 2, 2),
            choices=self.eras(f),
        )

    def ocr_hints(self, f: Field) -> OcrHints:
        # 6 boxes read as 060401 with the circled era, or 8 digits of a 西暦 date (20240401).
        return OcrHints("digits", whitelist=DIGITS, min_length=6, max_length=8)

    def normalise_ocr(self, f: Field, text: str) -> Any:
        """令和６年４月１日, R6.4.1, 2024/4/1 → 2024-04-01 (jp.wareki.parse_date); unreadable text is kept
        (width-normalised) for `clean` to report."""
        try:
            return wareki.parse_date(text).isoformat()
        except JpValueError:
            return " ".join(kana.normalise_width(text).split())

"""`number`: a whole number ≥ 0 (full-width digits and `,` allowed), with `min`, `max`, `unit`, `default`."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from madoguchi.jp import kana
from madoguchi.jp.errors import is_english

from .base import DIGITS, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, SpecBuilder, as_text
from .messages import invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field

MAX_DIGITS = 15  # longer numbers are refused: no form asks for more


def ocr_number(text: str, *, drop: str = "") -> str:
    """Digits read from boxes as ASCII, without spaces and thousands separators (１ ２,０００ → 12000)."""
    text = kana.normalise_width(text)
    for ch in ",，" + drop:
        text = text.replace(ch, "")
    return "".join(text.split())


def parse_int(text: str, *, money: bool = False) -> int:
    value = unicodedata.normalize("NFKC", text).strip()
    if money:
        value = value.removeprefix("¥").removesuffix("円").strip()
    value = value.replace(",", "")
    if not value.isascii() or not value.isdigit() or len(value) > MAX_DIGITS:
        raise ValueError(text)
    return int(value)


@registry.register
class NumberType(FieldType):
    name = "number"
    keys = ("min", "max", "unit", "default")
    input_attributes = ("text", "numeric", "off")
    json_value_types = (str, int)
    money: ClassVar[bool] = False
    # Digit boxes printed when the field sets no max.
    print_digits: ClassVar[int] = 6

    def parse_default(
        self, b: SpecBuilder, value: Any, line: int, where: str, kwargs: Mapping[str, Any]
    ) -> Any:
        number = b.integer(value, line, f"{where} default")
        if number is None:
            return None
        low, high = kwargs.get("min"), kwargs.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            b.problem(line, f"{where}: default {number} is outside min/max")
        return number

    def not_a_number(self) -> Exception:
        return invalid(
            "not_a_number",
            "数字（0以上の整数）で入力してください（例：2）。",
            "Please enter a whole number (0 or more), e.g. 2.",
        )

    def units(self, f: Field) -> tuple[str, str]:
        """The unit after a number in range messages (ja, en)."""
        return (f.unit.ja if f.unit else "", f" {f.unit.en}" if f.unit else "")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        else:
            try:
                number = parse_int(as_text(raw), money=self.money)
            except ValueError:
                raise self.not_a_number() from None
        self.check_range(f, number, *self.units(f))
        return number

    @staticmethod
    def check_range(f: Field, number: int, unit_ja: str, unit_en: str) -> None:
        low, high = f.min, f.max
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                ja = f"{low:,}{unit_ja}から{high:,}{unit_ja}までの範囲で入力してください。"
                en = f"Please enter a number from {low:,} to {high:,}{unit_en}."
            elif low is not None:
                ja = f"{low:,}{unit_ja}以上で入力してください。"
                en = f"Please enter {low:,}{unit_en} or more."
            else:
                ja = f"{high:,}{unit_ja}以下で入力してください。"
                en = f"Please enter {high:,}{unit_en} or less."
            raise invalid("out_of_range", ja, en)

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        unit = f.unit.get(lang) if f.unit else ""
        return f"{int(value):,} {unit}".strip() if is_english(lang) else f"{int(value):,}{unit}"

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        extra: dict[str, Any] = {"minimum": f.min if f.min is not None else 0}
        if f.max is not None:
            extra["maximum"] = f.max
        return extra

    def demo_number(self, f: Field, demo: DemoSource) -> int:
        money, rng = self.money, demo.rng
        if isinstance(f.default, int):
            return f.default
        low = f.min if f.min is not None else (1000 if money else 1)
        high = f.max if f.max is not None else low + (50_000 if money else 3)
        value = rng.randint(low, min(high, low + (200_000 if money else 3)))
        return max(low, value // 1000 * 1000) if money and value >= 1000 else value

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return str(self.demo_number(f, demo))

    # -- paper: one digit box per digit of `max`

    def digits(self, f: Field) -> int:
        return len(str(f.max)) if f.max is not None else self.print_digits

    def print_unit(self, f: Field) -> str:
        return f.unit.ja if f.unit else ""

    def print_layout(self, f: Field) -> PrintLayout:
        return PrintLayout.digit_boxes(self.digits(f), unit=self.print_unit(f), align="right")

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("digits", whitelist=DIGITS, min_length=1, max_length=self.digits(f))

    def normalise_ocr(self, f: Field, text: str) -> str:
        """１２, 1 2 (a digit per box), 1,200 → 12, 12, 1200: digits in ASCII without separators."""
        return ocr_number(text)

"""`money`: an amount in yen (12,000, ¥12,000, 12000円), stored as an integer; `min`, `max`, `default`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.jp.errors import is_english

from .messages import invalid
from .number import NumberType, ocr_number
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


@registry.register
class MoneyType(NumberType):
    name = "money"
    keys = ("min", "max", "default")
    example = ("円単位で入力（例：12000）", "In yen, e.g. 12000")
    money = True
    print_digits = 9  # up to 999,999,999 yen

    def not_a_number(self) -> Exception:
        return invalid(
            "not_an_amount",
            "金額は円単位の数字で入力してください（例：12000 または 12,000）。",
            "Please enter the amount in yen as a whole number, e.g. 12000 or 12,000.",
        )

    def units(self, f: Field) -> tuple[str, str]:
        return ("円", " yen")

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        return f"¥{int(value):,}"

    def unit_text(self, f: Field, lang: str) -> str:
        return f.unit.get(lang) if f.unit else ("" if is_english(lang) else "円")

    def print_unit(self, f: Field) -> str:
        return "円"

    def normalise_ocr(self, f: Field, text: str) -> str:
        """￥１２，０００円, 12 000 → 12000."""
        return ocr_number(text, drop="￥¥円")

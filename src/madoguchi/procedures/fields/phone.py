"""`phone`: a Japanese phone number in any width, with or without hyphens; stored as 090-1234-5678."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.jp import kana, phone
from madoguchi.jp.errors import JpValueError

from .base import DIGITS, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, as_text
from .messages import Invalid, from_jp_error
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


@registry.register
class PhoneType(FieldType):
    name = "phone"
    keys = ("prefill",)
    prefill_keys = ("person.phone",)
    input_attributes = ("tel", "tel", "tel")
    example = ("例：0312345678 または 03-1234-5678", "e.g. 03-1234-5678")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        try:
            return phone.normalise_phone(as_text(raw))
        except JpValueError as exc:
            raise Invalid(from_jp_error(exc)) from exc

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return f"090-0000-{demo.rng.randint(0, 9999):04d}"

    def print_layout(self, f: Field) -> PrintLayout:
        """11 digit boxes without printed groups: area codes have 2 to 5 digits, so people group them."""
        return PrintLayout.digit_boxes(11)

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("digits", whitelist=DIGITS, min_length=10, max_length=11)

    def normalise_ocr(self, f: Field, text: str) -> str:
        """０９０－１２３４－５６７８, 03 1234 5678 → the digits (jp.phone.phone_digits); else the text."""
        try:
            return phone.phone_digits(text)
        except JpValueError:
            return "".join(kana.normalise_width(text).split())

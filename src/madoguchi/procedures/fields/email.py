"""`email`: an email address; full-width characters are converted, the domain is kept in lower case."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from .base import CELLS_PER_ROW, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, as_text
from .messages import invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
MAX_EMAIL_LENGTH = 254
_EMAIL_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@_-+"


@registry.register
class EmailType(FieldType):
    name = "email"
    keys = ("prefill",)  # no registry key fills an email address (the account has its own)
    input_attributes = ("email", "email", "email")
    example = ("例：midori@example.jp", "e.g. midori@example.jp")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        value = unicodedata.normalize("NFKC", as_text(raw)).strip()
        if len(value) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(value):
            raise invalid(
                "invalid_email",
                "メールアドレスの形式が正しくありません。「example@city.example.jp」のように半角で入力してください。",
                "This email address is not valid. Please enter it like example@city.example.jp.",
            )
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"format": "email", "maxLength": MAX_EMAIL_LENGTH}

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return demo.email

    def print_layout(self, f: Field) -> PrintLayout:
        """Two rows of cells, one letter in each: handwritten addresses are read letter by letter."""
        return PrintLayout.character_cells(2 * CELLS_PER_ROW)

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("latin", whitelist=_EMAIL_CHARACTERS, min_length=3, max_length=MAX_EMAIL_LENGTH)

    def normalise_ocr(self, f: Field, text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

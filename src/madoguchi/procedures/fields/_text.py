"""`TextBase`: free text (text, textarea, kana, address) — one line or several, a maximum length."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING, Any, ClassVar

from .base import (
    CELLS_PER_ROW,
    CleanContext,
    DemoSource,
    FieldType,
    OcrHints,
    PrintLayout,
    as_text,
    check_characters,
)
from .messages import invalid

if TYPE_CHECKING:
    from ..spec import Field

# A printed text field longer than this many characters gets ruled lines rather than character cells.
_CELLS_UP_TO = CELLS_PER_ROW


class TextBase(FieldType):
    is_text = True
    multiline: ClassVar[bool] = False
    default_max_length = 200

    def limit(self, f: Field) -> int:
        return f.max_length or self.default_max_length or 200

    def check_length(self, f: Field, value: str) -> None:
        limit = self.limit(f)
        if len(value) > limit:
            raise invalid(
                "too_long",
                f"{limit}文字以内で入力してください（現在{len(value)}文字です）。",
                f"Please use at most {limit} characters (you entered {len(value)}).",
            )

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        value = as_text(raw)
        multiline = self.multiline
        value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else " ".join(value.splitlines())
        value = value.strip().strip("\u3000").strip()
        check_characters(value, multiline=multiline)
        if f.pattern:
            value = unicodedata.normalize("NFKC", value)
            if not re.fullmatch(f.pattern, value):
                assert f.pattern_message is not None
                raise invalid("pattern", f.pattern_message.ja, f.pattern_message.en)
        self.check_length(f, value)
        return value

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"maxLength": self.limit(f)}

    # -- the demo: a sample by a word in the id, or the label marked as demo input

    def demo_fallback(self, f: Field) -> str:
        return f"{f.label.ja}（デモ入力）"

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        if f.pattern:  # numbers of cards and registrations: try digit strings of each length
            candidates = ["".join(demo.rng.choices("0123456789", k=n)) for n in range(1, 21)] + [
                "A1",
                "ab",
                "AB12",
            ]
            return next((c for c in candidates if re.fullmatch(f.pattern, c)), None)
        if f.prefill == "person.name" or "name" in f.id:
            return demo.name
        text = demo.sample_text(f) or self.demo_fallback(f)
        return text[: f.max_length] if f.max_length else text

    # -- paper: short texts in character cells, longer ones on ruled lines

    def print_rows(self, f: Field) -> int:
        return 1

    def print_layout(self, f: Field) -> PrintLayout:
        if not self.multiline and f.max_length and f.max_length <= _CELLS_UP_TO:
            return PrintLayout.character_cells(f.max_length)
        return PrintLayout.text_area(self.print_rows(f))

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("kanji_kana", max_length=self.limit(f), multiline=self.multiline)


def rows_for(limit: int, *, least: int, most: int) -> int:
    """Ruled lines for `limit` characters at one line per row of cells, between `least` and `most`."""
    return max(least, min(most, math.ceil(limit / CELLS_PER_ROW)))

"""`kana`: a フリガナ in full-width katakana; hiragana and half-width kana are converted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.jp import kana

from ._text import TextBase
from .base import CleanContext, DemoSource, OcrHints, PrintLayout
from .messages import invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field

# Cells per printed row of a フリガナ: a name's reading fits in 20.
KANA_CELLS_PER_ROW = 20


@registry.register
class KanaType(TextBase):
    name = "kana"
    keys = ("max_length", "prefill")
    prefill_keys = ("person.name_kana",)
    default_max_length = 100

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        value = super().clean(f, raw, context)
        converted = kana.to_katakana(value)
        if not kana.is_katakana(converted):
            raise invalid(
                "not_katakana",
                "フリガナはカタカナで入力してください（ひらがなで入力するとカタカナに変換します）。漢字や英字は使えません。",
                "Please write this in katakana (hiragana is converted for you). Kanji and Latin letters cannot be used.",
            )
        self.check_length(f, converted)
        return converted

    def is_reading_of(self, f: Field, other: Field) -> bool:
        from .text import TextType

        return type(other.kind) is TextType

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return demo.name_kana

    def print_layout(self, f: Field) -> PrintLayout:
        """Character cells, 20 to a row: one row for a name, two at most (longer readings are rare)."""
        return PrintLayout.character_cells(
            min(self.limit(f), 2 * KANA_CELLS_PER_ROW), per_row=KANA_CELLS_PER_ROW
        )

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("katakana", min_length=1, max_length=self.limit(f))

    def normalise_ocr(self, f: Field, text: str) -> str:
        """ﾐﾄﾞﾘ ﾀﾛｳ, みどり　たろう → ミドリ　タロウ (jp.kana.to_katakana: width, hiragana, one 全角 space)."""
        return kana.to_katakana(text)

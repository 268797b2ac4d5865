"""`textarea`: several lines of text, kept with `\\n` line breaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from madoguchi.jp import kana

from ._text import TextBase, rows_for
from .base import PrintLayout
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


@registry.register
class TextareaType(TextBase):
    name = "textarea"
    keys = ("max_length", "prefill", "default")
    prefill_keys = ("person.address",)
    multiline = True
    default_max_length = 4000
    template = "textarea"

    def demo_fallback(self, f: Field) -> str:
        return "窓口での手続きについて、事前に確認させてください。"

    def print_layout(self, f: Field) -> PrintLayout:
        return PrintLayout.text_area(rows_for(self.limit(f), least=3, most=10))

    def normalise_ocr(self, f: Field, text: str) -> str:
        lines = (" ".join(kana.normalise_width(line).split()) for line in text.splitlines())
        return "\n".join(line for line in lines if line)

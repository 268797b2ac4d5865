"""`text`: one line of text; an optional `pattern` (matched after NFKC) with its message."""

from __future__ import annotations

from ._text import TextBase
from .registry import registry


@registry.register
class TextType(TextBase):
    name = "text"
    keys = ("max_length", "pattern", "pattern_message", "prefill", "default")
    prefill_keys = ("person.name", "person.address")
    default_max_length = 200

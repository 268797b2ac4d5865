"""The one error type every validator in ``madoguchi.jp`` raises.

Each error carries a stable ``code`` for programs and a message in Japanese and English for people. A
message says what went wrong and what to do. Messages about numbers (個人番号, 法人番号, telephone,
postal code, account number) never repeat what was typed, so such an error can be logged safely; date
and name messages quote the part that is wrong, so the person can see what to fix.
"""

from __future__ import annotations


class JpValueError(ValueError):
    """Bad Japanese input: ``code`` for programs, ``message_ja`` / ``message_en`` for people."""

    def __init__(self, code: str, message_ja: str, message_en: str) -> None:
        super().__init__(message_ja)
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en

    def message(self, lang: str = "ja") -> str:
        """The message in ``lang``: English for any ``en`` tag (``en``, ``en-us``), Japanese otherwise."""
        return self.message_en if is_english(lang) else self.message_ja

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message_en={self.message_en!r})"


def is_english(lang: str) -> bool:
    """True for English language tags (``en``, ``en-GB``, ``en_US``); everything else is Japanese."""
    return lang.lower().replace("_", "-").split("-")[0] == "en"

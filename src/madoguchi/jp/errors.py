"""The one error type every validator in ``madoguchi.jp`` raises.

Each error carries a stable ``code`` for programs and a message in Japanese and English for people. A
message says what went wrong and what to do. Messages about numbers (個人番号, 法人番号, telephone,
postal code, account number) never repeat what was typed, so such an error can be logged safely; date
and name messages quote the part that is wrong, so the person can see what to fix.
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError, is_english

__all__ = ["JpValueError", "is_english"]


class JpValueError(MadoguchiError, ValueError):
    """Bad Japanese input: ``code`` for programs, ``message_ja`` / ``message_en`` for people."""

    str_format = "{ja}"

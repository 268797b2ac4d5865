"""Characters that free text typed by people may not contain (pure: no Django).

One rule for every free-text input — the form fields of the procedure registry (`procedures.fields`), case
messages and notes, FAQ questions and replies, names at sign-up, the API's notes:

- **Bidirectional controls** (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, U+200E/U+200F
  and U+061C marks) are refused. They are invisible and reorder what a reader sees: "申請書\u202efdp.exe"
  shows as "申請書exe.pdf", and a note or a name can be made to read differently on a staff screen than it
  was typed. Japanese and English text never needs them; right-to-left scripts display correctly without
  them (the Unicode bidi algorithm orders their letters itself).
- **Control characters** (C0 and C1, DEL) are refused, except a tab and a line break in multi-line text.
- **Surrogates** (only in broken input) and **private-use characters** (no font shows them the same way on
  every PC; a 外字 must be written with its standard character or described in words) are refused.

Zero-width joiners and non-joiners, variation selectors (異体字セレクタ for the exact glyph of a name) and
line/paragraph separators are allowed: they do not reorder text and have real uses.

`unsafe_character` finds the first refused character; `check_text` raises `UnsafeTextError`, whose
messages name the problem and the character (as U+XXXX, since it is invisible) and say what to do.
"""

from __future__ import annotations

import unicodedata

from madoguchi.core.errors import MadoguchiError

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f"
    + "".join(chr(c) for c in range(0x202A, 0x202F))
    + "".join(chr(c) for c in range(0x2066, 0x206A))
)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co"})
MULTILINE_ALLOWED = frozenset("\n\r\t")


class UnsafeTextError(MadoguchiError):
    """Free text holds a character it may not: `code` is "bidi_control" or "invalid_characters"."""


def unsafe_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` that free text may not contain, or None."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    for ch in value:
        if ch in allowed:
            continue
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ch
    return None


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def problem_of(ch: str) -> UnsafeTextError:
    """The error for one refused character, in the words of this module's rules."""
    point = _codepoint(ch)
    if ch in BIDI_CONTROLS:
        return UnsafeTextError(
            "bidi_control",
            f"文字の並び順を入れ替える、目に見えない制御文字（{point}）が含まれています。この文字は使えません。"
            "文章をコピーして貼り付けた場合は、その部分を削除して、直接入力し直してください。",
            f"The text contains an invisible control character that reorders text ({point}, a bidirectional "
            "control). It cannot be used. If you pasted the text, delete that part and type it again.",
        )
    if ch == "\t" or unicodedata.category(ch) == "Cc":
        what_ja, what_en = "目に見えない制御文字", "an invisible control character"
    elif unicodedata.category(ch) == "Co":
        what_ja, what_en = "外字など、表示できない文字", "a private-use character that cannot be displayed"
    else:
        what_ja, what_en = "壊れた文字", "a broken character"
    return UnsafeTextError(
        "invalid_characters",
        f"使用できない文字（{what_ja}、{point}）が含まれています。その文字を削除してから入力し直してください。",
        f"The text contains a character that cannot be used ({what_en}, {point}). Please remove it and try "
        "again.",
    )


def check_text(value: str, *, multiline: bool = False) -> None:
    """Raise `UnsafeTextError` when `value` holds a character free text may not contain."""
    ch = unsafe_character(value, multiline=multiline)
    if ch is not None:
        raise problem_of(ch)

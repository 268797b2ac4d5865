"""Character classes shared by the validators (private)."""

from __future__ import annotations

# Full-width digits ０-９ to ASCII. Only these: NFKC would also turn ①, ² or ¹ into digits, which a
# person never means when typing a number into a form.
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# Hyphens and dashes people type (or IMEs produce) between groups of digits. "ー" is the katakana
# prolonged sound mark, a common mistype for a hyphen in Japanese input.
DASHES = "-‐‑‒–—―−－ー─━ｰ"

# Whitespace that separates groups: ASCII and ideographic space, tabs.
SPACES = " \u3000\t"


def strip_separators(text: str, extra: str = "") -> str:
    """Full-width digits to ASCII, then drop dashes, spaces and ``extra`` characters."""
    text = text.translate(FULLWIDTH_DIGITS)
    drop = DASHES + SPACES + extra
    return "".join(ch for ch in text if ch not in drop)


def is_ascii_digits(text: str, length: int) -> bool:
    """True when ``text`` is exactly ``length`` ASCII digits (``str.isdigit`` accepts too much)."""
    return len(text) == length and text.isascii() and text.isdigit()

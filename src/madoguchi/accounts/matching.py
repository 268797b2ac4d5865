"""Normalise what an identity provider says about a person so it compares with the registry (住民記録).

Both sides go through the same functions, so a match means "the same text once width, spaces and the way
block numbers are written are set aside", never "similar". The rules are listed in docs/identity.md.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from madoguchi.jp.kana import normalise_width, to_katakana

_SPACES = re.compile(r"[\s\u3000]+")
# Hyphen-like characters used between block numbers: 3-12, 3－12, 3‐12, 3ー12, 3−12.
_DASHES = re.compile(r"(?<=\d)[-‐‑‒–—―−ー─━](?=\d)")
_CHOME = re.compile(r"(\d+)丁目")
_BANCHI = re.compile(r"(\d+)番地?(?=\d)")
_BAN_END = re.compile(r"(\d+)番地?$")
_GO = re.compile(r"(\d+)号")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_KANJI_NUMBER_BEFORE_CHOME = re.compile(r"([〇一二三四五六七八九十]+)(?=丁目)")
# A formatted address may start with the country and the postal code: 日本 〒100-0001 東京都…
_LEADING_COUNTRY_AND_POSTAL_CODE = re.compile(r"^(?:日本国?|JAPAN|Japan)?〒?(?:\d{3}-?\d{4})?")


def normalise_name(name: str) -> str:
    """氏名 for comparison: NFKC, ASCII half-width, kana full-width, and no spaces (「緑川　花子」=「緑川 花子」)."""
    text = normalise_width(unicodedata.normalize("NFKC", name or ""))
    return _SPACES.sub("", text)


def normalise_kana(kana: str) -> str:
    """フリガナ for comparison: katakana, no spaces (みどりかわ はなこ = ミドリカワ　ハナコ)."""
    return _SPACES.sub("", to_katakana(kana or ""))


def _kanji_chome(match: re.Match) -> str:
    text = match.group(1)
    if text == "十":
        return "10"
    if "十" in text:
        tens, _, ones = text.partition("十")
        return str(
            int((tens or "一").translate(_KANJI_DIGITS)) * 10 + int((ones or "0").translate(_KANJI_DIGITS))
        )
    return text.translate(_KANJI_DIGITS)


def normalise_address(address: str) -> str:
    """住所 for comparison: width and spaces removed, 「1丁目3番12号」「1-3-12」 written the same way."""
    text = normalise_width(unicodedata.normalize("NFKC", address or ""))
    text = _SPACES.sub("", text)
    text = _LEADING_COUNTRY_AND_POSTAL_CODE.sub("", text)
    text = _KANJI_NUMBER_BEFORE_CHOME.sub(_kanji_chome, text)
    text = _DASHES.sub("-", text)
    text = _CHOME.sub(r"\1-", text)
    text = _BANCHI.sub(r"\1-", text)
    text = _BAN_END.sub(r"\1", text)
    text = _GO.sub(r"\1", text)
    return text


def parse_birth_date(value: Any) -> dt.date | None:
    """OIDC `birthdate` is YYYY-MM-DD; a year alone (0000-MM-DD or YYYY) is not enough to match anyone."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.date.fromisoformat(unicodedata.normalize("NFKC", value).strip())
    except ValueError:
        return None
    return parsed if parsed.year > 1800 else None


def address_text(value: Any) -> str:
    """The address of the claims as one line: a string, or the OIDC address object's parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        formatted = value.get("formatted")
        if isinstance(formatted, str) and formatted.strip():
            return formatted
        parts = [value.get(key) for key in ("region", "locality", "street_address")]
        return "".join(part for part in parts if isinstance(part, str))
    return ""

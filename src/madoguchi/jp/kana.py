"""Kana and character width: katakana readings (フリガナ) of names, and full/half-width clean-up."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import TYPE_CHECKING

import jaconv

if TYPE_CHECKING:
    from sudachipy import Dictionary, Tokenizer

__all__ = ["is_katakana", "normalise_width", "suggest_reading", "to_katakana"]

_FULLWIDTH_SPACE = "\u3000"
_KATAKANA_LETTERS = "\u30a1-\u30fa"  # ァ … ヺ, including ヴ ヵ ヶ ヷ–ヺ
_IS_KATAKANA = re.compile(rf"[{_KATAKANA_LETTERS}\u30fc\u30fb\u3000]+")
_HAS_KATAKANA_LETTER = re.compile(rf"[{_KATAKANA_LETTERS}]")
# NFKC turns a spacing voiced mark (か゛) into a space plus the combining mark (か ゙); join it back.
_DETACHED_VOICED_MARK = re.compile("(?<=[\u3041-\u3096\u30a1-\u30fa]) ([\u3099\u309a])")
_STRAY_VOICED_MARK = re.compile("[\u3099\u309a]")
# Dashes typed in place of the prolonged sound mark: ハ-ト, ﾊｰﾄ, ハ−ト.
_DASH_AFTER_KANA = re.compile(rf"(?<=[{_KATAKANA_LETTERS}])[-‐‑‒–—―−─━ー]+")
_FULLWIDTH_ALNUM = str.maketrans(
    {
        chr(cp): chr(cp - 0xFEE0)
        for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    }
)


def _compose(text: str) -> str:
    """NFKC, keeping 「か゛」 as 「ガ」 rather than 「か ゙」; a voiced mark on nothing (ア゛, ゛) is dropped."""
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFC", _DETACHED_VOICED_MARK.sub(r"\1", text))
    return _STRAY_VOICED_MARK.sub("", text)


def to_katakana(text: str) -> str:
    """A katakana reading as staff expect it: ﾔﾏﾀﾞ ﾀﾛｳ, やまだ　たろう → ヤマダ　タロウ.

    Hiragana and half-width katakana become full-width katakana, dashes after kana become ー, and any
    run of spaces becomes one full-width space (between surname and given name). Other characters
    are kept, NFKC-normalised, so ``to_katakana(unicodedata.normalize("NFKC", s)) == to_katakana(s)``.
    """
    text = jaconv.hira2kata(_compose(text))
    text = _DASH_AFTER_KANA.sub(lambda run: "ー" * len(run[0]), text)
    return _FULLWIDTH_SPACE.join(text.split())


def is_katakana(text: str) -> bool:
    """True when ``text`` is full-width katakana, ー, ・ and full-width spaces only (and has a letter)."""
    return bool(_IS_KATAKANA.fullmatch(text)) and bool(_HAS_KATAKANA_LETTER.search(text))


def normalise_width(text: str) -> str:
    """ASCII letters and digits to half-width (ＡＢＣ１２３ → ABC123), kana to full-width (ｶﾞ → ガ)."""
    return jaconv.h2z(text.translate(_FULLWIDTH_ALNUM), kana=True, ascii=False, digit=False)


# --- reading suggestions ---------------------------------------------------------------------------

# Old-style forms that are common in names and absent from the dictionary; the reading is the same.
_ITAIJI = str.maketrans({"髙": "高", "﨑": "崎", "𠮷": "吉", "德": "徳", "栁": "柳"})
_UNSURE_POS = frozenset({"補助記号", "記号", "空白"})
_READING = re.compile(rf"[{_KATAKANA_LETTERS}\u30fc]+")
_KANA_ONLY = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe]+")

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()
_per_thread = threading.local()


def _tokenizer() -> Tokenizer:
    """One Sudachi dictionary per process, loaded on first use; one tokenizer per thread."""
    global _dictionary
    tokenizer = getattr(_per_thread, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
        tokenizer = _dictionary.create(mode=SplitMode.C)
        _per_thread.tokenizer = tokenizer
    return tokenizer


def _reading_of(part: str) -> str:
    if _KANA_ONLY.fullmatch(part):
        return to_katakana(part)
    if any(ch.isdigit() for ch in part):
        return ""  # 山田3 is a typo, not a name to read aloud
    readings = []
    for morpheme in _tokenizer().tokenize(part.translate(_ITAIJI)):
        reading = morpheme.reading_form()
        if (
            morpheme.is_oov()
            or morpheme.part_of_speech()[0] in _UNSURE_POS
            or not _READING.fullmatch(reading)
        ):
            return ""
        readings.append(reading)
    return "".join(readings)


def suggest_reading(name: str) -> str:
    """A katakana reading to pre-fill the フリガナ field: 山田　太郎 → ヤマダ　タロウ; "" when unsure.

    It is a suggestion for the person to confirm, never a fact: a name's reading is whatever its owner
    registered (東海林 may be ショウジ or トウカイリン). Words the Sudachi core dictionary does not know,
    numbers and symbols give "".
    """
    parts = _compose(name).split()
    readings = [_reading_of(part) for part in parts]
    if not readings or not all(readings):
        return ""
    return _FULLWIDTH_SPACE.join(readings)

"""Banks and branches (全銀協 codes, from the offline ``zengin-code`` data), account numbers, and
account-holder names in the half-width kana that 全銀 transfer files require.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import jaconv

from ._chars import strip_separators
from .errors import JpValueError
from .kana import to_katakana

__all__ = [
    "AccountHolderError",
    "AccountNumberError",
    "Bank",
    "Branch",
    "find_bank",
    "find_branch",
    "is_valid_account_number",
    "normalise_account_holder",
    "normalise_account_number",
    "search_banks",
    "search_branches",
]


@dataclass(frozen=True)
class Bank:
    """A financial institution. ``name`` is as 全銀協 lists it, without 銀行/信用金庫 (みずほ, 三菱ＵＦＪ)."""

    code: str  # 金融機関コード, 4 digits
    name: str
    kana: str  # full-width katakana as published (ミズホ)


@dataclass(frozen=True)
class Branch:
    """A branch (支店) of a bank."""

    bank_code: str
    code: str  # 支店コード, 3 digits
    name: str
    kana: str


class AccountNumberError(JpValueError):
    """An account number that is not 1–7 digits."""


class AccountHolderError(JpValueError):
    """An account holder name with characters 全銀 transfers cannot carry."""


@cache
def _banks() -> dict[str, Any]:
    # zengin_code reads every bank and branch file when imported (~0.3 s), so import it on first use.
    import zengin_code

    return zengin_code.Bank.all


def _code(text: object, length: int) -> str | None:
    if not isinstance(text, str):
        return None
    digits = strip_separators(text)
    if not (1 <= len(digits) <= length and digits.isascii() and digits.isdigit()):
        return None
    return digits.zfill(length)


def find_bank(code: str) -> Bank | None:
    """The bank with 金融機関コード ``code`` ("0001", "1", "０００１"), or None."""
    bank_code = _code(code, 4)
    source = _banks().get(bank_code) if bank_code else None
    if source is None:
        return None
    return Bank(code=source.code, name=source.name, kana=source.kana)


def find_branch(bank_code: str, branch_code: str) -> Branch | None:
    """The branch ``branch_code`` (3 digits) of bank ``bank_code``, or None."""
    code4, code3 = _code(bank_code, 4), _code(branch_code, 3)
    bank = _banks().get(code4) if code4 else None
    source = bank.branches.get(code3) if bank is not None and code3 else None
    if source is None:
        return None
    return Branch(bank_code=bank.code, code=source.code, name=source.name, kana=source.kana)


# zengin-code's readings write small kana large (トウキヨウ): a typed トウキョウ is compared the same way.
_SMALL_TO_LARGE = str.maketrans(
    dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True))
)


def _matches(text: str, name: str, kana: str) -> int | None:
    """0 when the name or reading starts with `text`, 1 when it contains it, None otherwise."""
    folded_name = unicodedata.normalize("NFKC", name)
    reading = to_katakana(text).translate(_SMALL_TO_LARGE)
    kana = kana.translate(_SMALL_TO_LARGE)
    if folded_name.startswith(text) or kana.startswith(reading):
        return 0
    if text in folded_name or reading in kana:
        return 1
    return None


def search_banks(text: str, *, limit: int = 20) -> list[Bank]:
    """Banks whose name or reading contains ``text`` (みずほ, ミズホ, ﾐｽﾞﾎ), names starting with it first;
    a code (1–4 digits) finds that bank. At most ``limit``."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return []
    code = _code(text, 4)
    if code is not None:
        bank = find_bank(code)
        return [bank] if bank else []
    ranked = []
    for source in _banks().values():
        rank = _matches(text, source.name, source.kana)
        if rank is not None:
            ranked.append((rank, source.code, Bank(code=source.code, name=source.name, kana=source.kana)))
    return [bank for _rank, _code_, bank in sorted(ranked, key=lambda row: row[:2])][:limit]


def search_branches(bank_code: str, text: str, *, limit: int = 20) -> list[Branch]:
    """Branches of bank ``bank_code`` whose name or reading contains ``text`` (or with that code)."""
    code4 = _code(bank_code, 4)
    bank = _banks().get(code4) if code4 else None
    text = unicodedata.normalize("NFKC", text or "").strip()
    if bank is None or not text:
        return []
    code = _code(text, 3)
    if code is not None:
        branch = find_branch(bank.code, code)
        return [branch] if branch else []
    ranked = []
    for source in bank.branches.values():
        rank = _matches(text, source.name, source.kana)
        if rank is not None:
            branch = Branch(bank_code=bank.code, code=source.code, name=source.name, kana=source.kana)
            ranked.append((rank, source.code, branch))
    return [branch for _rank, _code_, branch in sorted(ranked, key=lambda row: row[:2])][:limit]


# --- account numbers -------------------------------------------------------------------------------


def normalise_account_number(text: str) -> str:
    """The 7-digit 口座番号: full-width digits and hyphens allowed, shorter numbers zero-padded on the left.

    全銀 transfer records carry the account number as 7 digits, right-aligned and zero-filled, so
    "12345" is "0012345". ゆうちょ銀行 記号・番号 (5 + 8 digits) must first be converted to its 振込用
    店名・口座番号, which this function does not do.
    """
    digits = _code(text, 7)
    if digits is None or digits == "0000000":
        raise AccountNumberError(
            "invalid_account_number",
            "口座番号は7桁以内の数字で入力してください（例：1234567）。",
            "Enter the account number as up to 7 digits (e.g. 1234567).",
        )
    return digits


def is_valid_account_number(s: object) -> bool:
    """True when ``s`` is 1–7 digits (not all zero); never raises."""
    return isinstance(s, str) and _code(s, 7) not in (None, "0000000")


# --- account holder names --------------------------------------------------------------------------

# Conservative 全銀 character set for 受取人名 (payee names): half-width katakana without ｦ and small kana,
# ﾞ ﾟ, A–Z, 0–9, space and ( ) - . — the set all our sources allow (docs/jp.md). Some banks also take
# / , ｢ ｣ ¥; we refuse them rather than write a file one bank may reject.
_ALLOWED = frozenset(
    [chr(cp) for cp in range(0xFF71, 0xFFA0)]  # ｱ … ﾝ ﾞ ﾟ
    + list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ()-.")
)
# What 全銀 writes instead: small kana as big kana (キュウ → ｷﾕｳ), ヲ → ｵ, ヰ ヱ → ｲ ｴ, ー → -, ・ → space.
_TO_ZENGIN = str.maketrans(
    {
        **dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True)),
        "ヲ": "オ",
        "ヰ": "イ",
        "ヱ": "エ",
        "ー": "-",
        "・": " ",
        "\u3000": " ",
    }
)
_DASHES_TO_HYPHEN = re.compile(r"[‐‑‒–—―−─━]")
_VOICED_MARKS = {"\u3099": "ﾞ", "\u309a": "ﾟ"}


def normalise_account_holder(text: str) -> str:
    """A payee name as 全銀 carries it: やまだ　たろう → ﾔﾏﾀﾞ ﾀﾛｳ, キュウヨ → ｷﾕｳﾖ, センター → ｾﾝﾀ-.

    Hiragana and katakana of any width become half-width katakana, small kana become big, letters
    become upper case, spaces collapse to one. Kanji and other characters outside the set raise
    AccountHolderError, naming them, since only the person knows how their name is read.
    """
    katakana = to_katakana(text).upper().translate(_TO_ZENGIN)
    katakana = " ".join(_DASHES_TO_HYPHEN.sub("-", katakana).split())
    result = []
    for ch in unicodedata.normalize("NFD", katakana):
        half = _VOICED_MARKS.get(ch) or jaconv.z2h(ch, kana=True, ascii=True, digit=True)
        result.append(half)
    holder = "".join(result)
    invalid = list(dict.fromkeys(ch for ch in holder if ch not in _ALLOWED))
    if not holder:
        raise AccountHolderError(
            "empty_account_holder",
            "口座名義をカタカナで入力してください。",
            "Enter the account holder name in katakana.",
        )
    if invalid:
        shown, shown_en = "、".join(invalid[:5]), ", ".join(invalid[:5])
        raise AccountHolderError(
            "invalid_account_holder",
            f"口座名義に使えない文字が含まれています（{shown}）。カタカナ・英大文字・数字・スペース・( ) - . で入力してください。",
            f"The account holder name contains characters banks cannot carry ({shown_en}). "
            "Use katakana, capital letters, digits, spaces and ( ) - . only.",
        )
    return holder

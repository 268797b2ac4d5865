"""Japanese telephone numbers: one written form for what people type.

Where the hyphens go in a fixed-line number depends on the 市外局番 (area code, 2–5 digits including the
leading 0; 03-1234-5678, 0467-12-3456, 01267-1-2345), which only 総務省's numbering table can tell. So a
fixed-line number keeps the grouping the person typed when it is a valid one, and is otherwise written
as plain digits. Mobile, IP, M2M and free-dial numbers have a fixed grouping and are always hyphenated.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import JpValueError

__all__ = ["PhoneNumberError", "normalise_phone", "phone_digits"]


class PhoneNumberError(JpValueError):
    """Text that is not a Japanese telephone number."""


# Prefix → grouping of the digits after it, for the numbers whose grouping is fixed by their prefix.
_FIXED_GROUPING = {
    "020": (3, 4, 4),  # M2M
    "050": (3, 4, 4),  # IP phone
    "060": (3, 4, 4),  # FMC
    "070": (3, 4, 4),  # mobile / PHS
    "080": (3, 4, 4),
    "090": (3, 4, 4),
    "0120": (4, 3, 3),  # free dial
    "0800": (4, 3, 4),  # free dial
    "0570": (4, 3, 3),  # navi dial
}
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー─━ｰ", "-"))
_ALLOWED = re.compile(r"[0-9()\- ]+")
_GROUPED = re.compile(r"(0[0-9]{1,4})-([0-9]{1,4})-([0-9]{4})")


def _error(code: str, ja: str, en: str) -> PhoneNumberError:
    return PhoneNumberError(code, ja, en)


def _invalid() -> PhoneNumberError:
    return _error(
        "invalid_phone_number",
        "電話番号は0から始まる10桁または11桁の数字で入力してください（例：03-1234-5678、090-1234-5678）。",
        "Enter a Japanese phone number: 10 or 11 digits starting with 0 (e.g. 03-1234-5678, 090-1234-5678).",
    )


def _clean(text: object) -> str:
    """Digits, hyphens and parentheses in ASCII, spaces collapsed, +81 turned into a leading 0."""
    if not isinstance(text, str) or not text.strip():
        raise _error("empty_phone_number", "電話番号を入力してください。", "Enter a phone number.")
    cleaned = " ".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split())
    if cleaned.startswith("+"):
        if not cleaned.startswith("+81"):
            raise _error(
                "foreign_phone_number",
                "日本国内の電話番号を入力してください（海外の番号は受け付けていません）。",
                "Enter a Japanese phone number; numbers outside Japan are not accepted.",
            )
        rest = cleaned[3:].lstrip(" -")
        rest = re.sub(r"^\(0\)\s*", "", rest)  # +81 (0)3 1234 5678
        cleaned = rest if rest.startswith("0") else "0" + rest
    if not _ALLOWED.fullmatch(cleaned):
        raise _invalid()
    return cleaned


def _expected_length(digits: str) -> int:
    return 11 if digits[:3] in ("020", "050", "060", "070", "080", "090") or digits[:4] == "0800" else 10


def phone_digits(text: str) -> str:
    """Only the digits (0312345678), for comparing and de-duplicating numbers."""
    digits = re.sub(r"[^0-9]", "", _clean(text))
    if not digits.startswith("0") or digits.startswith("00") or len(digits) != _expected_length(digits):
        raise _invalid()
    return digits


def normalise_phone(text: str) -> str:
    """A Japanese number written one way: ０９０（１２３４）５６７８, +81 90 1234 5678 → 090-1234-5678.

    Accepts full-width digits, any hyphen or dash, spaces, parentheses and a +81 prefix. Raises
    PhoneNumberError (bilingual) unless it is a 10- or 11-digit number starting with 0 (11 digits for
    020/050/060/070/080/090/0800, 10 otherwise). Fixed-line numbers keep the person's grouping when it
    is valid (3 groups, last of 4 digits, 10 digits in all), else come back as plain digits.
    """
    digits = phone_digits(text)
    for prefix, groups in sorted(_FIXED_GROUPING.items(), key=lambda item: -len(item[0])):  # 0800 before 080
        if digits.startswith(prefix) and len(digits) == sum(groups):
            first, second = groups[0], groups[0] + groups[1]
            return f"{digits[:first]}-{digits[first:second]}-{digits[second:]}"
    typed = re.sub(r"[ ()]+", "-", _clean(text)).strip("-")
    typed = re.sub(r"-+", "-", typed)
    match = _GROUPED.fullmatch(typed)
    if match and len(match[1]) + len(match[2]) == 6:
        return typed
    return digits

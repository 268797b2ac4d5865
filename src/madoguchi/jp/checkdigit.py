"""Check digits of Japanese public numbers: 個人番号, 法人番号, 地方公共団体コード.

The ``is_valid_*`` functions accept full-width digits, ignore hyphens and spaces, and return False for
anything else (``None``, ints, letters); they never raise. The ``*_check_digit`` functions compute the
digit for a base number and raise ``CheckDigitError`` on bad input.

A valid check digit only proves the number is well formed, not that it was ever issued. Each scheme
misses some single-digit typos; the exact blind spots are listed in ``docs/jp.md``.
"""

from __future__ import annotations

from ._chars import is_ascii_digits, strip_separators
from .errors import JpValueError

__all__ = [
    "CheckDigitError",
    "corporate_number_check_digit",
    "is_valid_corporate_number",
    "is_valid_local_government_code",
    "is_valid_my_number",
    "local_government_code_check_digit",
    "my_number_check_digit",
]

# 個人番号: 行政手続における特定の個人を識別するための番号の利用等に関する法律の規定による通知カード及び
# 個人番号カード並びに情報提供ネットワークシステムによる特定個人情報の提供等に関する省令 (平成26年総務省令
# 第85号) 第5条. Qn counted from the right is n+1 (n ≤ 6) and n−5 (n ≥ 7); read from the left that is:
_MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# 法人番号: 法人番号の指定等に関する省令 (平成26年財務省令第70号) 第2条. Qn counted from the right is 1 for
# odd n and 2 for even n; read from the left over the 12 base digits that is:
_CORPORATE_WEIGHTS = (2, 1) * 6

# 地方公共団体コード: 総務省「全国地方公共団体コード」の検査数字 (JIS X 0402), weights 6,5,4,3,2 on the
# first five digits.
_LOCAL_GOVERNMENT_WEIGHTS = (6, 5, 4, 3, 2)


class CheckDigitError(JpValueError):
    """The base number given to a ``*_check_digit`` function is not the right number of digits."""


def _digits(value: object, length: int) -> str | None:
    """The ASCII digits of ``value`` when it is a string of exactly ``length`` digits, else None."""
    if not isinstance(value, str):
        return None
    digits = strip_separators(value)
    return digits if is_ascii_digits(digits, length) else None


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


def _base_or_raise(value: object, length: int, name_ja: str, name_en: str) -> str:
    digits = _digits(value, length)
    if digits is None:
        raise CheckDigitError(
            "invalid_base_number",
            f"{name_ja}の検査数字を計算するには、先頭の{length}桁の数字を渡してください。",
            f"To compute the check digit of a {name_en}, pass its first {length} digits.",
        )
    return digits


def my_number_check_digit(first11: str) -> int:
    """The 12th digit of a 個人番号 (My Number) from its first 11 digits."""
    digits = _base_or_raise(first11, 11, "個人番号", "My Number")
    remainder = _weighted_sum(digits, _MY_NUMBER_WEIGHTS) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(s: object) -> bool:
    """True when ``s`` is 12 digits whose last digit is the 個人番号 check digit."""
    digits = _digits(s, 12)
    return digits is not None and my_number_check_digit(digits[:11]) == int(digits[11])


def corporate_number_check_digit(base12: str) -> int:
    """The leading digit (1–9) of a 法人番号 from its 12-digit base number (会社法人等番号 etc.)."""
    digits = _base_or_raise(base12, 12, "法人番号", "corporate number")
    return 9 - _weighted_sum(digits, _CORPORATE_WEIGHTS) % 9


def is_valid_corporate_number(s: object) -> bool:
    """True when ``s`` is 13 digits whose first digit is the 法人番号 check digit."""
    digits = _digits(s, 13)
    return digits is not None and corporate_number_check_digit(digits[1:]) == int(digits[0])


def local_government_code_check_digit(first5: str) -> int:
    """The 6th digit of a 地方公共団体コード: the last digit of 11 − (weighted sum mod 11)."""
    digits = _base_or_raise(first5, 5, "地方公共団体コード", "local government code")
    return (11 - _weighted_sum(digits, _LOCAL_GOVERNMENT_WEIGHTS) % 11) % 10


def is_valid_local_government_code(s: object) -> bool:
    """True when ``s`` is 6 digits whose last digit is the 地方公共団体コード check digit."""
    digits = _digits(s, 6)
    return digits is not None and local_government_code_check_digit(digits[:5]) == int(digits[5])

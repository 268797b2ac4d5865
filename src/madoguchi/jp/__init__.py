"""Pure Japanese validators and conversions: 和暦, kana and width, 郵便番号, check digits, banks, phones.

Nothing here imports Django (an import-linter contract keeps it so). Every error is a ``JpValueError``
with a ``code`` and a Japanese and English message. See docs/jp.md for the rules and their sources.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Each name is imported from its module when first used (PEP 562), not all at once: a module that needs
# one check digit (the My Number log filter, at every start-up) should not load the bank and postal tables.
_WHERE = {
    "AccountHolderError": "banks",
    "AccountNumberError": "banks",
    "Bank": "banks",
    "Branch": "banks",
    "find_bank": "banks",
    "find_branch": "banks",
    "is_valid_account_number": "banks",
    "normalise_account_holder": "banks",
    "normalise_account_number": "banks",
    "CheckDigitError": "checkdigit",
    "corporate_number_check_digit": "checkdigit",
    "is_valid_corporate_number": "checkdigit",
    "is_valid_local_government_code": "checkdigit",
    "is_valid_my_number": "checkdigit",
    "local_government_code_check_digit": "checkdigit",
    "my_number_check_digit": "checkdigit",
    "JpValueError": "errors",
    "is_katakana": "kana",
    "normalise_width": "kana",
    "suggest_reading": "kana",
    "to_katakana": "kana",
    "PhoneNumberError": "phone",
    "normalise_phone": "phone",
    "phone_digits": "phone",
    "PostalAddress": "postal",
    "PostalCodeError": "postal",
    "format_postal_code": "postal",
    "lookup_postal_addresses": "postal",
    "lookup_postal_code": "postal",
    "normalise_postal_code": "postal",
    "register_local_postal_codes": "postal",
    "DateParseError": "wareki",
    "ERAS": "wareki",
    "Era": "wareki",
    "PartialDate": "wareki",
    "Wareki": "wareki",
    "format_date": "wareki",
    "format_wareki": "wareki",
    "parse_date": "wareki",
    "parse_partial_date": "wareki",
    "to_wareki": "wareki",
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from .banks import (
        AccountHolderError,
        AccountNumberError,
        Bank,
        Branch,
        find_bank,
        find_branch,
        is_valid_account_number,
        normalise_account_holder,
        normalise_account_number,
    )
    from .checkdigit import (
        CheckDigitError,
        corporate_number_check_digit,
        is_valid_corporate_number,
        is_valid_local_government_code,
        is_valid_my_number,
        local_government_code_check_digit,
        my_number_check_digit,
    )
    from .errors import JpValueError
    from .kana import is_katakana, normalise_width, suggest_reading, to_katakana
    from .phone import PhoneNumberError, normalise_phone, phone_digits
    from .postal import (
        PostalAddress,
        PostalCodeError,
        format_postal_code,
        lookup_postal_addresses,
        lookup_postal_code,
        normalise_postal_code,
        register_local_postal_codes,
    )
    from .wareki import (
        ERAS,
        DateParseError,
        Era,
        PartialDate,
        Wareki,
        format_date,
        format_wareki,
        parse_date,
        parse_partial_date,
        to_wareki,
    )

__all__ = [
    "ERAS",
    "AccountHolderError",
    "AccountNumberError",
    "Bank",
    "Branch",
    "CheckDigitError",
    "DateParseError",
    "Era",
    "JpValueError",
    "PartialDate",
    "PhoneNumberError",
    "PostalAddress",
    "PostalCodeError",
    "Wareki",
    "corporate_number_check_digit",
    "find_bank",
    "find_branch",
    "format_date",
    "format_postal_code",
    "format_wareki",
    "is_katakana",
    "is_valid_account_number",
    "is_valid_corporate_number",
    "is_valid_local_government_code",
    "is_valid_my_number",
    "local_government_code_check_digit",
    "lookup_postal_addresses",
    "lookup_postal_code",
    "my_number_check_digit",
    "normalise_account_holder",
    "normalise_account_number",
    "normalise_phone",
    "normalise_postal_code",
    "normalise_width",
    "parse_date",
    "parse_partial_date",
    "phone_digits",
    "register_local_postal_codes",
    "suggest_reading",
    "to_katakana",
    "to_wareki",
]

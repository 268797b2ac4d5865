"""Pure Japanese validators and conversions: 和暦, kana and width, 郵便番号, check digits, banks, phones.

Nothing here imports Django (an import-linter contract keeps it so). Every error is a ``JpValueError``
with a ``code`` and a Japanese and English message. See docs/jp.md for the rules and their sources.
"""

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

"""Field types: one class per type of form field, registered in `registry` (see base.py and docs/procedures.md).

Importing this package registers every type, in the order of `spec.FIELD_TYPES`.
"""

from __future__ import annotations

# isort: off
# Each module registers its type; this order is the registration order, which messages listing types follow.
from . import (  # noqa: F401
    text,
    textarea,
    kana,
    date,
    postal_code,
    address,
    phone,
    email,
    number,
    money,
    select,
    radio,
    checkbox,
    household_member,
    bank_account,
    file,
    my_number,
)

# isort: on
from .base import BOX_KINDS, CHARSETS, CleanContext, DemoSource, FieldType, OcrHints, PrintLayout, UnknownType
from .messages import Invalid, Message
from .registry import Registry, UnknownFieldTypeError, registry

__all__ = [
    "BOX_KINDS",
    "CHARSETS",
    "CleanContext",
    "DemoSource",
    "FieldType",
    "Invalid",
    "Message",
    "OcrHints",
    "PrintLayout",
    "Registry",
    "UnknownFieldTypeError",
    "UnknownType",
    "registry",
]

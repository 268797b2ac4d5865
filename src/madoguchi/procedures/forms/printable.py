"""What one printed form holds: the spec and layout, a case's values, the basic items, the 受付番号, and the QR
payload each page carries (pure: no Django, no ReportLab; `render.render_forms` draws these)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..spec import ProcedureSpec
from .layout import FormLayout

QR_PREFIX = "MDG1"


@dataclass(frozen=True)
class Basics:
    """The four basic items printed at the top of every form (氏名, 住所, 生年月日, 性別), from the register or
    as given. `sex` is the register's code: "1" 男, "2" 女 ("" leaves it to be ticked by hand)."""

    name: str = ""
    address: str = ""
    birth_date: dt.date | None = None
    sex: str = ""

    @classmethod
    def of(cls, value: Basics | Mapping[str, Any] | None) -> Basics:
        """`value` as Basics: a Basics, a mapping with the same keys (birth_date a date or ISO text), or None."""
        if value is None:
            return cls()
        if isinstance(value, Basics):
            return value
        birth = value.get("birth_date")
        if isinstance(birth, str) and birth:
            birth = dt.date.fromisoformat(birth)
        return cls(
            name=str(value.get("name") or ""),
            address=str(value.get("address") or ""),
            birth_date=birth if isinstance(birth, dt.date) else None,
            sex=normalise_sex(value.get("sex")),
        )


def normalise_sex(value: Any) -> str:
    """The register's code of a sex given as a code, a word or a label ("1", "男", "male" → "1")."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    if text in ("1", "男", "男性", "male", "m"):
        return "1"
    if text in ("2", "女", "女性", "female", "f"):
        return "2"
    return ""


@dataclass(frozen=True)
class PrintableForm:
    """One form to print: the procedure's spec and layout, the case's cleaned values (field id → value, as a
    case stores them; empty for a blank form), the basic items, the 受付番号 (None: a blank form, "-" in the
    QR), the procedure version number and the printed date (today when None)."""

    spec: ProcedureSpec
    layout: FormLayout
    values: Mapping[str, Any] = field(default_factory=dict)
    basics: Basics | None = None
    case_number: str | None = None
    version: int | None = None
    printed_on: dt.date | None = None


def qr_payload(*, case_number: str | None, procedure: str, version: int | None, page: int, pages: int) -> str:
    """`MDG1|<case>|<procedure>|<version>|<page>/<pages>`; "-" for a blank form's case (or an unknown version)."""
    case = case_number or "-"
    return f"{QR_PREFIX}|{case}|{procedure}|{version if version is not None else '-'}|{page}/{pages}"


@dataclass(frozen=True)
class QrPayload:
    case_number: str | None
    procedure: str
    version: int | None
    page: int
    pages: int


def parse_qr_payload(text: str) -> QrPayload:
    """The fields of a form's QR code; ValueError when `text` is not one."""
    parts = text.strip().split("|")
    if len(parts) != 5 or parts[0] != QR_PREFIX or "/" not in parts[4]:
        raise ValueError(f"not a Madoguchi form code: {text!r}")
    page, pages = parts[4].split("/", 1)
    return QrPayload(
        case_number=None if parts[1] == "-" else parts[1],
        procedure=parts[2],
        version=None if parts[3] == "-" else int(parts[3]),
        page=int(page),
        pages=int(pages),
    )

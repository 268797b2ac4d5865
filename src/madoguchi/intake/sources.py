"""Printed matter the paper intake reads that is not a procedure's form (a *form source*).

A room above the intake that prints its own letters with a return part registers a source for the QR codes it
prints: their "procedure" starts with the source's prefix (the benefits room's 確認書: ``benefit:<program>``).
The intake then reads such a page as it reads every form — the same engine, registration, field types, OCR
hints, cross-checks and verification screen — but asks the source for the spec and layout, and lets the source
file the verified values instead of creating a case. The intake sits below those rooms and imports none of
them; they register themselves when Django starts (their `AppConfig.ready`).

A source answers (see `FormSource`):

- `spec(key, version)` and `layout(key, version)`: what to read the page with (None: not a version it printed);
- `title(key, lang)`: the name staff see;
- `refusal(key, version, reference)`: why a form with this QR reference cannot be filed at all (an unknown
  reference, a program closed), checked as soon as the form is read, so nobody verifies it in vain;
- `crosscheck(key, values)`: notes about values that need a person (field → (ja, en)); they only ever lower a
  confidence, as the intake's own cross-checks do;
- `file(...)`: files the verified values and returns the 受付番号 of what they became, or raises `Refused`
  (the form cannot be filed) or `ValuesRefused` (these fields need another look);
- `person(key, reference)`: the registry person the printed matter with this QR reference is addressed to
  (their id), or None. A source's form has no case to name its person: the intake names this one in the audit
  rows of every look at the form, its fields and its page images, so that the auditor's search by person
  finds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from madoguchi.core.errors import is_english

if TYPE_CHECKING:  # start-up imports this module (the sources register then): no spec or YAML reader yet
    from madoguchi.procedures.forms.layout import FormLayout
    from madoguchi.procedures.spec import ProcedureSpec


@dataclass(frozen=True)
class Refusal:
    """Why a form cannot be filed, in Japanese and English."""

    ja: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if is_english(lang) else self.ja


class Refused(Exception):
    """The form cannot be filed (raised by `FormSource.file`)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.en)
        self.refusal = refusal


class ValuesRefused(Exception):
    """Some fields need another look before the form can be filed: field id → (ja, en)."""

    def __init__(self, errors: Mapping[str, tuple[str, str]]) -> None:
        super().__init__("; ".join(en for _ja, en in errors.values()))
        self.errors = dict(errors)


class FormSource(Protocol):
    prefix: str

    def spec(self, key: str, version: int | None) -> ProcedureSpec | None: ...

    def layout(self, key: str, version: int | None) -> FormLayout | None: ...

    def title(self, key: str, lang: str) -> str: ...

    def refusal(self, key: str, version: int | None, reference: str) -> Refusal | None: ...

    def crosscheck(self, key: str, values: Mapping[str, Any]) -> Mapping[str, tuple[str, str]]: ...

    def file(
        self, *, key: str, version: int | None, reference: str, values: Mapping[str, Any], actor, note: str
    ) -> str: ...

    def person(self, key: str, reference: str) -> int | None: ...

    # Optional: who may see and verify this source's forms (a returned 確認書 shows a bank account; only the
    # benefits staff may). A source without it leaves its forms to every staff member of the intake.
    # def may_verify(self, staff) -> bool: ...


_sources: dict[str, FormSource] = {}


def register(source: FormSource) -> None:
    """Register `source` for the QR codes whose procedure starts with `source.prefix` (once per prefix)."""
    prefix = source.prefix
    if not prefix or not prefix.endswith(":"):
        raise ValueError(
            f"a form source's prefix ends with ':' ({prefix!r}): procedure slugs never contain one"
        )
    existing = _sources.get(prefix)
    if existing is not None and type(existing) is not type(source):
        raise ValueError(f"form source {prefix!r} is registered twice")
    _sources[prefix] = source


def source_for(key: str | None) -> FormSource | None:
    """The source of a QR code's procedure `key`, or None (a procedure of the catalog, or unknown)."""
    if not key or ":" not in key:
        return None
    return _sources.get(key.split(":", 1)[0] + ":")


def may_verify(key: str | None, staff) -> bool:
    """Whether `staff` may see and verify forms of the QR procedure `key`: yes for a procedure's form; for a
    form source's printed matter, as the source says (`may_verify`, when it has one)."""
    source = source_for(key)
    check = getattr(source, "may_verify", None)
    return check is None or bool(check(staff))


def closed_prefixes(staff) -> list[str]:
    """The prefixes of the sources whose forms `staff` may not see (to leave them out of the queues)."""
    return [
        prefix
        for prefix, source in _sources.items()
        if getattr(source, "may_verify", None) is not None and not source.may_verify(staff)
    ]


__all__ = [
    "FormSource",
    "Refusal",
    "Refused",
    "ValuesRefused",
    "closed_prefixes",
    "may_verify",
    "register",
    "source_for",
]

"""From the boxes read on a form's pages to the values a case would store (pure: no Django).

`read_form(pages, spec, layout)` gathers each field's boxes (its parts, over several pages), turns the text
read into the raw value the field type takes (`normalise_ocr`, the registry's OCR hook), cleans and validates
the whole form with the procedure's own rules (`procedures.schema.validate`, as the online form does) and
gives every field a calibrated confidence: the engine's score, capped when the text does not fit the field's
OCR hints (length, characters) and made low when the value fails validation. A field whose confidence reaches
`ACCEPT_THRESHOLD` (and that is valid) can go into the case without a person; the rest are for verification.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.jp import kana, wareki
from madoguchi.jp.errors import JpValueError
from madoguchi.procedures import schema
from madoguchi.procedures.fields.base import OcrHints
from madoguchi.procedures.forms.layout import (
    BASIC_ADDRESS,
    BASIC_BIRTH_DATE,
    BASIC_NAME,
    BASIC_SEX,
    FieldBox,
    FormLayout,
)
from madoguchi.procedures.spec import Field, ProcedureSpec

from .page import FieldRead, PageResult

# Chosen on the calibration half of the synthetic corpus (bench/ocr, docs/intake.md "Engine and figures"): the
# lowest threshold at which the accepted fields of that half were at least 99.8 % right.
ACCEPT_THRESHOLD = 0.9
INVALID_CAP = 0.2  # a value that fails its field's own validation is never accepted
HINT_CAP = 0.4  # a text outside the field's OCR hints (too short or long, a character it cannot hold)
# Names are written with 異体字 the models do not tell apart from the common form (髙 and 高, 﨑 and 崎, 𠮷 and
# 吉): a name read with one of these is always looked at by a person (or checked against the registry).
VARIANT_PRONE = "高髙崎﨑吉𠮷"
VARIANT_CAP = 0.85
# Free Japanese handwriting is only ever proposed (issue of paper intake, "handwriting, honestly"): on a form
# printed blank (its QR carries no 受付番号, so a person wrote it by hand) a field written in free text (kanji and
# kana on lines or in cells: charset kanji_kana or any) is capped below the threshold and goes to a person.
# Digits, ticks, circles and katakana in cells stay automatic. A form printed pre-filled at the counter (a
# 受付番号 in its QR) is typed, and its text fields are read automatically. make bench-ocr: hand-print set.
HANDWRITTEN_FREE_TEXT_CAP = 0.6
FREE_TEXT_CHARSETS = ("kanji_kana", "any")


@dataclass(frozen=True)
class FieldValue:
    """One field as read from paper: `value` as the case stores it (the cleaned value, as from the online
    form), `raw` the text read (before normalising), the calibrated `confidence`, `valid` and the first
    validation `error` (Japanese; `error_en` in English), and the keys of the boxes it was read from."""

    field_id: str
    value: Any
    raw: str
    confidence: float
    valid: bool
    error: str | None = None
    boxes: list[str] = field(default_factory=list)
    error_en: str | None = None
    empty: bool = False

    def accepted(self, threshold: float = ACCEPT_THRESHOLD) -> bool:
        """Whether the field goes into the case without a person."""
        return self.valid and self.confidence >= threshold


@dataclass
class FormReading:
    procedure: str
    fields: dict[str, FieldValue]
    basics: dict[str, FieldValue]  # "name", "address", "birth_date", "sex"
    missing_pages: list[int] = field(default_factory=list)

    def accepted(self, threshold: float = ACCEPT_THRESHOLD) -> dict[str, FieldValue]:
        return {key: value for key, value in self.fields.items() if value.accepted(threshold)}

    def to_review(self, threshold: float = ACCEPT_THRESHOLD) -> dict[str, FieldValue]:
        return {key: value for key, value in self.fields.items() if not value.accepted(threshold)}


def _hints_fit(hints: OcrHints | None, text: str, kind: str = "") -> bool:
    """Whether the text read fits what the box can hold (length and characters; a date: its digits)."""
    if hints is None or hints.checkbox or not text:
        return True
    body = "".join(text.split())
    if kind == "date":
        body = "".join(ch for ch in body if ch.isdigit())
    if hints.max_length is not None and hints.max_length and len(body) > hints.max_length:
        return False
    if hints.min_length and len(body) < hints.min_length:
        return False
    return not (hints.whitelist and any(ch not in hints.whitelist for ch in body))


def _part_text(box: FieldBox, read: FieldRead) -> str:
    """A part of a group (a bank account) as the field's clean takes it: digits as they are, kana cells with
    one full-width space between words."""
    text = read.raw
    if box.ocr is not None and box.ocr.charset == "katakana":
        return kana.to_katakana(text)
    if box.kind in ("digits", "date"):
        return "".join(text.split())
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _collect(pages: Sequence[PageResult], procedure: str) -> tuple[dict[str, FieldRead], list[int]]:
    reads: dict[str, FieldRead] = {}
    seen: set[int] = set()
    for page in pages:
        if page.status != "read" or page.procedure != procedure:
            continue
        if page.page is not None:
            seen.add(page.page)
        for key, read in page.fields.items():
            if key not in reads or read.confidence > reads[key].confidence:
                reads[key] = read
    return reads, sorted(seen)


def read_form(
    pages: Sequence[PageResult], spec: ProcedureSpec, layout: FormLayout, *, today: dt.date | None = None
) -> FormReading:
    """The values of one paper form read from its pages (see the module's docstring)."""
    reads, seen = _collect(pages, layout.procedure)
    missing = [n for n in range(1, layout.page_count + 1) if n not in seen]
    handwritten = not any(p.case_number for p in pages)  # printed blank: filled in by hand
    raw: dict[str, Any] = {}
    texts: dict[str, str] = {}
    scores: dict[str, float] = {}
    used: dict[str, list[str]] = {}
    empties: dict[str, bool] = {}
    for f in spec.fields:
        boxes = [b for b in layout.boxes_of(f.id) if b.kind not in ("group", "none")]
        if not boxes:
            continue
        found = [(b, reads[b.key]) for b in boxes if b.key in reads]
        used[f.id] = [b.key for b, _r in found]
        if not found:
            continue  # its page was not scanned: left out, as an answer not given
        fits = all(_hints_fit(b.ocr, r.raw, b.kind) for b, r in found)
        confidence = min(r.confidence for _b, r in found)
        if not fits:
            confidence = min(confidence, HINT_CAP)
        if is_name(f) and any(ch in VARIANT_PRONE for _b, r in found for ch in r.raw):
            confidence = min(confidence, VARIANT_CAP)
        if handwritten and any(_free_text(b) for b, _r in found):
            confidence = min(confidence, HANDWRITTEN_FREE_TEXT_CAP)
        scores[f.id] = confidence
        empties[f.id] = all(r.empty for _b, r in found)
        if any(b.part is not None for b, _r in found):
            raw[f.id] = {b.part: _part_text(b, r) for b, r in found if b.part is not None}
            texts[f.id] = " / ".join(f"{b.part}: {r.raw}" for b, r in found if b.part is not None)
        else:
            text = found[0][1].raw
            texts[f.id] = text
            raw[f.id] = _normalise(f, text)
    result = schema.validate(spec, raw, today=today)
    fields: dict[str, FieldValue] = {}
    for f in spec.fields:
        if f.id not in used:
            continue
        errors = result.errors.get(f.id) or []
        valid = not errors
        confidence = scores.get(f.id, 0.0)
        if not valid:
            confidence = min(confidence, INVALID_CAP)
        fields[f.id] = FieldValue(
            field_id=f.id, value=result.cleaned.get(f.id, f.kind.empty_value(f)), raw=texts.get(f.id, ""),
            confidence=round(confidence, 4), valid=valid, error=errors[0].ja if errors else None,
            boxes=used[f.id], error_en=errors[0].en if errors else None, empty=empties.get(f.id, True),
        )  # fmt: skip
    return FormReading(layout.procedure, fields, read_basics(reads, handwritten=handwritten), missing)


def _free_text(box) -> bool:
    """A box a person fills with free Japanese text (not digits, ticks, circles or katakana cells)."""
    if box.kind in ("checkbox", "choices", "digits", "date"):
        return False
    return box.ocr is None or box.ocr.charset in FREE_TEXT_CHARSETS


def is_name(f: Field) -> bool:
    """A person's name (氏名, a household member): where 異体字 matter."""
    return (
        f.kind.name == "household_member" or "氏名" in f.label.ja or f.id == "name" or f.id.endswith("_name")
    )


def _normalise(f: Field, text: str) -> Any:
    if not text:
        return f.kind.normalise_ocr(f, "") if f.kind.name == "checkbox" else ""
    return f.kind.normalise_ocr(f, text)


def read_basics(reads: Mapping[str, FieldRead], *, handwritten: bool = False) -> dict[str, FieldValue]:
    """The four basic items of the first page: 氏名 and 住所 (text), 生年月日 (ISO date), 性別 ("1", "2")."""
    out: dict[str, FieldValue] = {}
    for name, key in (("name", BASIC_NAME), ("address", BASIC_ADDRESS)):
        read = reads.get(key)
        if read is None:
            continue
        value = " ".join(kana.normalise_width(read.raw).split())
        valid = bool(value)
        confidence = read.confidence if valid else min(read.confidence, INVALID_CAP)
        if key == BASIC_NAME and any(ch in VARIANT_PRONE for ch in value):
            confidence = min(confidence, VARIANT_CAP)
        if handwritten:  # 氏名 and 住所 written by hand: free Japanese handwriting, only proposed
            confidence = min(confidence, HANDWRITTEN_FREE_TEXT_CAP)
        out[name] = FieldValue(
            key, value, read.raw, confidence, valid,
            None if valid else "記入がありません", [key], None if valid else "Nothing written", read.empty,
        )  # fmt: skip
    read = reads.get(BASIC_BIRTH_DATE)
    if read is not None:
        try:
            value: Any = wareki.parse_date(read.raw).isoformat()
            valid, error, error_en = True, None, None
        except (JpValueError, ValueError):
            value, valid = None, False
            error, error_en = "生年月日を読み取れません", "The date of birth could not be read"
        confidence = read.confidence if valid else min(read.confidence, INVALID_CAP)
        out["birth_date"] = FieldValue(
            BASIC_BIRTH_DATE,
            value,
            read.raw,
            confidence,
            valid,
            error,
            [BASIC_BIRTH_DATE],
            error_en,
            read.empty,
        )
    read = reads.get(BASIC_SEX)
    if read is not None:
        valid = read.raw in ("1", "2")
        out["sex"] = FieldValue(
            BASIC_SEX, read.raw if valid else "", read.raw,
            read.confidence if valid else min(read.confidence, INVALID_CAP), valid,
            None if valid else "性別の印がひとつではありません", [BASIC_SEX],
            None if valid else "Not exactly one sex is ticked", read.empty,
        )  # fmt: skip
    return out


__all__ = ["ACCEPT_THRESHOLD", "FieldValue", "FormReading", "read_basics", "read_form"]

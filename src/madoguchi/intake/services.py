"""Every write of the paper intake: receive a file (original kept first), read its pages, group them into forms,
check and accept fields, take a person's verification, and file the case (channel=paper).

Order of safety: the original bytes are committed before anything reads them; each page row (and its image)
is committed on its own; a form is read, checked and filed in one transaction, so a failure leaves the pages
and their statuses, never half a form or half a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case
from madoguchi.core import audit
from madoguchi.core.errors import MadoguchiError
from madoguchi.intake import crosschecks, recognition, sources
from madoguchi.intake.models import (
    Batch,
    FieldReading,
    FileStatus,
    Page,
    PageStatus,
    PaperForm,
    ReadingStatus,
    ScannedFile,
    Source,
)
from madoguchi.procedures import schema
from madoguchi.procedures.fields.messages import Message
from madoguchi.procedures.forms.printable import QrPayload
from madoguchi.procedures.models import ProcedureVersion
from madoguchi.procedures.selectors import form_layout, spec_of
from madoguchi.residents import selectors as resident_selectors

logger = logging.getLogger(__name__)

ENGINE_STATUSES = {
    "read": PageStatus.READ,
    "blank": PageStatus.BLANK,
    "unknown_form": PageStatus.UNCLASSIFIED,
    "unreadable": PageStatus.UNREADABLE,
    "encrypted": PageStatus.ENCRYPTED,
    "too_large": PageStatus.TOO_LARGE,
}
REGISTRY_PURPOSE = "紙申請の読取照合（氏名・生年月日）"
UNSAFE_NAME = str.maketrans({c: "_" for c in "/\\\x00"})


class IntakeError(MadoguchiError):
    http_status = 400


# ---------------------------------------------------------------------------------------------------------
# Receiving


def start_batch(*, name: str = "", source: str, actor=None) -> Batch:
    name = (name or "").strip()[:100] or timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return Batch.objects.create(name=name, source=Source(source), created_by=actor)


@dataclass(frozen=True)
class Received:
    file: ScannedFile
    duplicate: bool  # the same bytes were received before: `file` is the first one


def receive_file(*, batch: Batch, data: bytes, filename: str) -> Received:
    """Store the bytes as received (committed before anything reads them); the same bytes again: duplicate."""
    if not data:
        raise IntakeError(
            "empty_file",
            "ファイルが空です。スキャンしたファイルをもう一度選んでください。",
            "The file is empty. Choose the scanned file again.",
        )
    digest = hashlib.sha256(data).hexdigest()
    first = ScannedFile.objects.filter(sha256=digest).first()
    if first is not None:
        return Received(first, True)
    name = (filename or "scan").rsplit("/", 1)[-1].translate(UNSAFE_NAME)[:200]
    suffix = name.rsplit(".", 1)[-1].lower()[:5] if "." in name else "bin"
    try:
        with transaction.atomic():
            scanned = ScannedFile(batch=batch, sha256=digest, original_name=name, size=len(data))
            scanned.original.save(f"{secrets.token_hex(16)}.{suffix}", ContentFile(data), save=False)
            scanned.save()
    except IntegrityError:  # the same file, received at the same moment by another worker
        return Received(ScannedFile.objects.get(sha256=digest), True)
    return Received(scanned, False)


# ---------------------------------------------------------------------------------------------------------
# Reading pages


def process_file(*, scanned_file: ScannedFile, actor=None) -> list[Page]:
    """Read every page of a received file (once: a processed file is left as it is); returns its pages.

    Each page gets a status whatever happens to it; an unexpected error on one page marks that page "failed"
    and the next page is read.
    """
    if scanned_file.status != FileStatus.RECEIVED:
        return list(scanned_file.pages.all())
    with scanned_file.original.open("rb") as handle:
        data = handle.read()
    done = set(scanned_file.pages.values_list("index", flat=True))  # an interrupted run: read the rest
    try:
        for source in recognition.load_pages(data, scanned_file.original_name):
            if source.index not in done:
                _process_source_page(scanned_file, source, actor)
    except Exception:  # the loader itself failed: the file is kept, the failure recorded on a page
        logger.exception("intake: reading file %s failed", scanned_file.pk)
        next_index = (scanned_file.pages.order_by("-index").values_list("index", flat=True).first() or 0) + 1
        Page.objects.create(
            scanned_file=scanned_file, index=next_index, status=PageStatus.FAILED, message="loader failed"
        )
        scanned_file.status = FileStatus.FAILED
    else:
        scanned_file.status = FileStatus.PROCESSED
    scanned_file.processed_at = timezone.now()
    scanned_file.save(update_fields=["status", "processed_at"])
    return list(scanned_file.pages.all())


def _process_source_page(scanned_file: ScannedFile, source: Any, actor) -> Page:
    status = ENGINE_STATUSES.get(source.status, PageStatus.UNREADABLE)
    page = Page(
        scanned_file=scanned_file, index=source.index, status=status, message=(source.message or "")[:300]
    )
    if source.image is not None:
        page.image.save(
            f"{secrets.token_hex(16)}.png", ContentFile(recognition.png_bytes(source.image)), save=False
        )
    if source.status != "ok" or source.image is None:
        if source.status == "ok":
            page.status = PageStatus.UNREADABLE
        page.save()
        return page
    page.status = PageStatus.FAILED  # until the reading below says otherwise
    page.save()
    try:
        result = recognition.read_page(source.image)
        _apply_page_result(page, result, actor)
    except Exception as exc:
        logger.exception("intake: reading page %s of file %s failed", source.index, scanned_file.pk)
        Page.objects.filter(pk=page.pk).update(status=PageStatus.FAILED, message=str(exc)[:300])
        page.refresh_from_db()
    return page


def _apply_page_result(page: Page, result: Any, actor, *, classified_by=None) -> None:
    page.status = ENGINE_STATUSES.get(result.status, PageStatus.UNREADABLE)
    qr = getattr(result, "qr", None)
    page.qr = (getattr(result, "qr_text", None) or _qr_text(qr))[:200]
    page.message = (getattr(result, "message", "") or page.message)[:300]
    page.candidates = [list(c) for c in (getattr(result, "candidates", None) or [])]
    page.case_number = (getattr(result, "case_number", None) or "")[:40]
    if result.status != "read":
        page.save()
        return
    source = sources.source_for(result.procedure)
    version = None if source is not None else recognition.version_of(result.procedure, result.version)
    if source is None and version is None:
        page.status = PageStatus.UNCLASSIFIED
        page.message = f"unknown procedure or version in the QR: {result.procedure} {result.version}"[:300]
        page.save()
        return
    if version is not None:
        page.procedure = version.procedure
        page.version = version
    page.page_number = result.page
    page.result = recognition.field_reads_json(result)
    if classified_by is not None:
        page.status = PageStatus.CLASSIFIED
        page.classified_by = classified_by
    aligned = getattr(result, "aligned", None)
    if aligned is not None:
        page.aligned.save(
            f"{secrets.token_hex(16)}.png", ContentFile(recognition.png_bytes(aligned)), save=False
        )
    page.save()
    if source is not None:
        _join_form(page, actor, source_key=result.procedure, source_version=result.version)
    else:
        _join_form(page, actor)


def _qr_text(qr: Any) -> str:
    if qr is None:
        return ""
    if isinstance(qr, str):
        return qr[:200]
    version = qr.version if qr.version is not None else "-"
    return f"MDG1|{qr.case_number or '-'}|{qr.procedure}|{version}|{qr.page}/{qr.pages}"[:200]


def _join_form(page: Page, actor, *, source_key: str = "", source_version: int | None = None) -> PaperForm:
    """Put a read page into its form (same version and 受付番号; a blank form's pages: the same batch) and
    read the form once every page is there. A form source's page (`source_key`) joins a form of the same
    source, version and reference."""
    if source_key:
        source = sources.source_for(source_key)
        layout = source.layout(source_key, source_version) if source else None
        if layout is None:
            raise LookupError(f"no form source for {source_key} version {source_version}")
    else:
        layout = form_layout(page.version)
    with transaction.atomic():
        forms = PaperForm.objects.select_for_update().filter(
            version=page.version,
            source_key=source_key,
            source_version=source_version,
            case_number=page.case_number,
            status=PaperForm.Status.INCOMPLETE,
        )
        if not page.case_number:
            forms = forms.filter(batch=page.scanned_file.batch)
        form = next(
            (f for f in forms.order_by("id") if not f.pages.filter(page_number=page.page_number).exists()),
            None,
        )
        if form is None:
            form = PaperForm.objects.create(
                batch=page.scanned_file.batch,
                procedure=page.procedure,
                version=page.version,
                source_key=source_key,
                source_version=source_version,
                case_number=page.case_number,
                page_count=layout.page_count,
            )
        Page.objects.filter(pk=page.pk).update(form=form)
        page.form = form
    numbers = set(form.pages.values_list("page_number", flat=True))
    if numbers >= set(range(1, form.page_count + 1)):
        read_form(form=form, actor=actor)
    return form


# ---------------------------------------------------------------------------------------------------------
# Reading a form


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def read_form(*, form: PaperForm, actor=None) -> PaperForm:
    """Read, check and accept every field of a complete form; file the case when nothing is unsure.

    A form source's form (a benefit's 確認書) the source refuses outright (an unknown reference, a closed
    program) keeps its readings for the record and becomes `invalid` with the reason; nobody is asked to
    verify it."""
    spec = recognition.spec_of_form(form)
    layout = recognition.layout_of_form(form)
    pages = list(form.pages.order_by("page_number"))
    results = [
        recognition.page_result_from_json(
            p.page_number, p.result, _qr_of(p, layout.page_count), form.form_name, form.form_version
        )
        for p in pages
    ]
    reading = recognition.read_form(results, spec, layout)
    threshold = recognition.accept_threshold()
    source = sources.source_for(form.source_key) if form.source_key else None
    case = _case_named(form.case_number) if source is None else None
    values = _form_values(reading)
    readings = {
        field_id: crosschecks.Reading(field_id, item.value, float(item.confidence))
        for field_id, item in values.items()
    }
    with transaction.atomic():
        result = crosschecks.run_checks(
            spec,
            readings,
            threshold=threshold,
            persons_born_on=resident_selectors.persons_born_on,
            case_data=case.data if case is not None else None,
        )
        refusal = None
        if source is not None:
            refusal = source.refusal(form.source_key, form.source_version, form.case_number)
            plain = {field_id: _json_value(item.value) for field_id, item in values.items()}
            for field_id, (ja, en) in source.crosscheck(form.source_key, plain).items():
                if field_id in readings:
                    readings[field_id].note("source", False, ja, en, cap=max(0.0, threshold - 0.01))
        if result.looked_up_registry:
            audit.record_access(
                actor=actor,
                action="match",
                object_type="paper_form",
                object_id=form.pk,
                person_id=result.person_id,
                fields=["name", "name_kana", "birth_date"],
                purpose=REGISTRY_PURPOSE,
                channel="intake",
            )
        page_of_key = {key: p for p in pages for key in p.result}
        order = {f.id: i for i, f in enumerate(spec.fields)}
        form.readings.all().delete()
        rows = []
        for field_id, item in values.items():
            checked = readings[field_id]
            boxes = [b for b in (getattr(item, "boxes", None) or ()) if b]
            box_key = _box_key(boxes[0]) if boxes else field_id
            page = page_of_key.get(box_key) or next(
                (p for p in pages for key in p.result if key.split(".")[0] == field_id), None
            )
            crop = (page.result.get(box_key) or {}).get("crop") if page else None
            if crop is None and page is not None:
                crop = next(
                    (
                        v.get("crop")
                        for k, v in page.result.items()
                        if k == field_id or k.startswith(field_id + ".")
                    ),
                    None,
                )
            valid = bool(getattr(item, "valid", True)) and not getattr(item, "error", "")
            accepted = valid and checked.confidence >= threshold
            rows.append(
                FieldReading(
                    form=form,
                    field_id=field_id,
                    position=order.get(field_id, -1) + 1 if field_id in order else 0,
                    page=page,
                    crop=crop or [],
                    raw=str(getattr(item, "raw", "") or "")[:2000],
                    proposed=_json_value(item.value),
                    engine_confidence=float(item.confidence),
                    confidence=min(float(item.confidence), checked.confidence),
                    checks=checked.checks,
                    error=str(getattr(item, "error", "") or "")[:300],
                    error_en=str(getattr(item, "error_en", "") or "")[:300],
                    value=_json_value(item.value),
                    status=ReadingStatus.AUTO if accepted else ReadingStatus.PENDING,
                )
            )
        FieldReading.objects.bulk_create(rows)
        if refusal is not None:
            _refuse(form, refusal)
            return form
        form.status = PaperForm.Status.VERIFYING
        form.save(update_fields=["status"])
        if not any(row.status == ReadingStatus.PENDING for row in rows):
            _file_form(form, actor=None, person_id=result.person_id)
    return form


def _refuse(form: PaperForm, refusal: sources.Refusal) -> None:
    """The form cannot be filed: `invalid`, with the reason in both languages (the form page shows it)."""
    form.status = PaperForm.Status.INVALID
    form.problem = f"{refusal.ja}\n{refusal.en}"[:2000]
    form.save(update_fields=["status", "problem"])


def _qr_of(page: Page, pages: int) -> QrPayload | None:
    if not page.qr:
        return None
    from madoguchi.procedures.forms.printable import parse_qr_payload

    try:
        return parse_qr_payload(page.qr)
    except ValueError:
        return None


def _box_key(box: Any) -> str:
    return box if isinstance(box, str) else getattr(box, "key", str(box))


def _form_values(reading: Any) -> dict[str, Any]:
    """field id → FieldValue of the engine's form reading: the four basic items first, then the form's."""
    values: dict[str, Any] = {}
    basics = getattr(reading, "basics", None) or {}
    for key, item in basics.items() if isinstance(basics, Mapping) else ():
        values[key if key.startswith("basics.") else f"basics.{key}"] = item
    for key, item in (getattr(reading, "fields", None) or {}).items():
        values[key] = item
    return values


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _case_named(case_number: str) -> Case | None:
    return Case.objects.filter(reference=case_number).first() if case_number else None


# ---------------------------------------------------------------------------------------------------------
# Filing


def _file_form(form: PaperForm, *, actor, person_id: int | None = None) -> PaperForm:
    """A form without unsure fields becomes a case (channel=paper), or completes the case its QR names; a form
    source's form is filed by its source (a benefit's 確認書: an application of the household)."""
    readings = list(form.readings.all())
    summary = _summary(readings)
    if form.source_key:
        return _file_by_source(form, readings, actor=actor, summary=summary)
    existing = _case_named(form.case_number)
    if existing is not None:
        for page in form.pages.order_by("page_number"):
            _attach_page(existing, page, actor)
        if actor is not None:
            case_services.add_internal_note(case=existing, author=actor, body=summary)
        form.case = existing
    else:
        raw = {
            r.field_id: r.value
            for r in readings
            if not r.field_id.startswith("basics.") and not _empty(r.value)
        }
        person = None
        if person_id is not None:
            from madoguchi.residents.models import Person

            person = Person.objects.filter(pk=person_id).first()
        try:
            with transaction.atomic():
                case = case_services.create_paper_case(
                    procedure=form.procedure,
                    version=form.version,
                    raw=raw,
                    person=person,
                    actor=actor,
                    note=summary,
                )
                for page in form.pages.order_by("page_number"):
                    _attach_page(case, page, actor)
        except case_services.CaseValidationError as exc:
            _send_back(form, readings, exc.errors)
            return form
        form.case = case
    form.status = PaperForm.Status.DONE
    form.problem = ""
    form.completed_by = actor
    form.completed_at = timezone.now()
    form.save(update_fields=["case", "status", "problem", "completed_by", "completed_at"])
    return form


def _file_by_source(form: PaperForm, readings: list[FieldReading], *, actor, summary: str) -> PaperForm:
    source = sources.source_for(form.source_key)
    if source is None:
        _refuse(
            form, sources.Refusal("この様式を取り込む機能がありません。", "Nothing files this kind of form.")
        )
        return form
    values = {r.field_id: r.value for r in readings if not r.field_id.startswith("basics.")}
    try:
        with transaction.atomic():
            filed_as = source.file(
                key=form.source_key,
                version=form.source_version,
                reference=form.case_number,
                values=values,
                actor=actor,
                note=summary,
            )
    except sources.ValuesRefused as exc:
        _send_back(
            form,
            readings,
            {field_id: [Message("refused", ja, en)] for field_id, (ja, en) in exc.errors.items()},
        )
        return form
    except sources.Refused as exc:
        _refuse(form, exc.refusal)
        return form
    form.filed_as = filed_as[:40]
    form.status = PaperForm.Status.DONE
    form.problem = ""
    form.completed_by = actor
    form.completed_at = timezone.now()
    form.save(update_fields=["filed_as", "status", "problem", "completed_by", "completed_at"])
    return form


def _attach_page(case: Case, page: Page, actor) -> None:
    if not page.image:
        return
    with page.image.open("rb") as handle:
        data = handle.read()
    upload = SimpleUploadedFile(f"scan-{page.scanned_file_id}-p{page.index}.png", data, "image/png")
    case_services.attach_file(case=case, uploaded=upload, by=actor, max_bytes=max(len(data), 1) + 1)


def _summary(readings: Iterable[FieldReading]) -> str:
    """The history note of a paper case: how many fields were read without a person, and who checked the rest."""
    readings = list(readings)
    auto = sum(1 for r in readings if r.status == ReadingStatus.AUTO)
    checked = [r for r in readings if r.status in (ReadingStatus.CONFIRMED, ReadingStatus.CORRECTED)]
    corrected = [r.field_id for r in readings if r.status == ReadingStatus.CORRECTED]
    people = sorted({str(r.decided_by.email) for r in checked if r.decided_by_id})
    note = f"{case_services.PAPER_NOTE}: 自動確定 {auto} 項目、職員確認 {len(checked)} 項目"
    if corrected:
        note += f"（修正: {', '.join(corrected)}）"
    if people:
        note += f" 確認者: {', '.join(people)}"
    return note


def _send_back(form: PaperForm, readings: list[FieldReading], errors: Mapping[str, Any]) -> None:
    """The procedure's own rules refused the values: the fields they name go back to the verification queue."""
    problems = []
    for reading in readings:
        messages = errors.get(reading.field_id)
        if not messages:
            continue
        text = "; ".join(m.text("ja") if hasattr(m, "text") else str(m) for m in messages)
        problems.append(f"{reading.field_id}: {text}")
        reading.status = ReadingStatus.PENDING
        reading.error = text[:300]
        reading.error_en = "; ".join(m.text("en") if hasattr(m, "text") else str(m) for m in messages)[:300]
        reading.save(update_fields=["status", "error", "error_en"])
    unknown = [key for key in errors if key not in {r.field_id for r in readings}]
    for key in unknown:  # a required field the engine found nowhere: a person types it
        text = "; ".join(m.text("ja") if hasattr(m, "text") else str(m) for m in errors[key])
        problems.append(f"{key}: {text}")
        FieldReading.objects.create(
            form=form, field_id=key, status=ReadingStatus.PENDING, error=text[:300], confidence=0.0
        )
    form.status = PaperForm.Status.VERIFYING
    form.problem = "\n".join(problems)[:2000]
    form.save(update_fields=["status", "problem"])


# ---------------------------------------------------------------------------------------------------------
# People: classifying pages, verifying fields


def classify_page(*, page: Page, version: ProcedureVersion, page_number: int, actor) -> Page:
    """A person says which form and page a page without a readable QR is; the engine reads it as that page."""
    if page.status != PageStatus.UNCLASSIFIED or not page.image:
        raise IntakeError(
            "not_classifiable",
            "このページはすでに分類済みか、画像がありません。一覧を更新してください。",
            "This page is already classified or has no image. Reload the list.",
        )
    layout = form_layout(version)
    if not 1 <= page_number <= layout.page_count:
        raise IntakeError(
            "no_such_page",
            f"この様式は {layout.page_count} ページです。1〜{layout.page_count} を選んでください。",
            f"This form has {layout.page_count} pages. Choose 1 to {layout.page_count}.",
        )
    from PIL import Image

    with page.image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    result = recognition.read_page_as(image, layout, version=version.number, page=page_number)
    if result.status != "read":
        raise IntakeError(
            "classification_unreadable",
            "指定した様式としても読み取れませんでした。紙をもう一度スキャンしてください。",
            "The page could not be read as that form either. Scan the paper again.",
        )
    _apply_page_result(page, result, actor, classified_by=actor)
    return page


class VerificationError(IntakeError):
    pass


def verify_reading(*, reading: FieldReading, actor, raw: Any = None) -> FieldReading:
    """A person accepts the proposed value (`raw` None) or types the right one (validated by the field's own
    rules); returns the reading, marked confirmed or corrected by `actor`. The form is filed when it was the
    last unsure field."""
    form = reading.form
    if form.status == PaperForm.Status.DONE:
        raise VerificationError(
            "form_done", "この申請書はすでに受け付け済みです。", "This form has already been filed."
        )
    if form.status == PaperForm.Status.INVALID:
        raise VerificationError(
            "form_refused",
            "この申請書は取り込めません。申請書の画面で理由を確認してください。",
            "This form cannot be filed. See the reason on the form's page.",
        )
    value = reading.proposed
    status = ReadingStatus.CONFIRMED
    if raw is not None:
        value = clean_value(reading=reading, raw=raw)
        if value != reading.proposed:
            status = ReadingStatus.CORRECTED
    elif reading.error and not reading.field_id.startswith("basics."):
        value = clean_value(
            reading=reading, raw=reading.proposed
        )  # still refused: the person must correct it
    with transaction.atomic():
        reading.value = value
        reading.status = status
        reading.error = reading.error_en = ""
        reading.decided_by = actor
        reading.decided_at = timezone.now()
        reading.save(update_fields=["value", "status", "error", "error_en", "decided_by", "decided_at"])
        if not form.readings.filter(status=ReadingStatus.PENDING).exists():
            _file_form(form, actor=actor, person_id=_person_of(form))
    return reading


def _person_of(form: PaperForm) -> int | None:
    if form.source_key:
        return None  # its source knows whose form it is (the QR's reference)
    readings = {r.field_id: r for r in form.readings.all()}
    spec = spec_of(form.version)
    checked = {k: crosschecks.Reading(k, r.value, 1.0) for k, r in readings.items()}
    return crosschecks.check_registry(spec, checked, 1.0, resident_selectors.persons_born_on).person_id


def clean_value(*, reading: FieldReading, raw: Any) -> Any:
    """A typed value as the case would store it; VerificationError with the field's own message when invalid."""
    if reading.field_id.startswith("basics."):
        return str(raw or "").strip()
    spec = recognition.spec_of_form(reading.form)
    field = spec.field(reading.field_id)
    data = {r.field_id: r.value for r in reading.form.readings.all() if not r.field_id.startswith("basics.")}
    data[reading.field_id] = raw
    result = schema.validate(spec, data, files={}, household=None, today=timezone.localdate())
    messages = result.errors.get(field.id)
    if messages:
        raise VerificationError(
            "invalid_value",
            "; ".join(m.text("ja") for m in messages),
            "; ".join(m.text("en") for m in messages),
        )
    return _json_value(result.cleaned.get(field.id))


# ---------------------------------------------------------------------------------------------------------
# The watched folder


@dataclass(frozen=True)
class WatchedFile:
    name: str
    moved_to: str  # the path the file now has (done/ or failed/)
    scanned_file_id: int | None
    duplicate: bool


def sweep_watch_dir(*, directory: str, min_age_seconds: float, process: bool = True) -> list[WatchedFile]:
    """Take every file of `directory` nobody has written to for `min_age_seconds`: keep its original, move it
    to done/ (or failed/ when it could not even be stored), then read it (`process`: at once; else the caller
    queues it). A file is moved only after its bytes are committed, so nothing is lost."""
    import shutil
    import time
    from pathlib import Path

    root = Path(directory)
    done, failed = root / "done", root / "failed"
    done.mkdir(parents=True, exist_ok=True)
    failed.mkdir(parents=True, exist_ok=True)
    now = time.time()
    taken: list[WatchedFile] = []
    batch: Batch | None = None
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if now - path.stat().st_mtime < min_age_seconds:
            continue  # the scanner may still be writing it
        target_dir = done
        received = None
        try:
            if batch is None:
                batch = start_batch(
                    name=f"folder {timezone.localtime():%Y-%m-%d %H:%M}", source=Source.FOLDER
                )
            received = receive_file(batch=batch, data=path.read_bytes(), filename=path.name)
        except Exception:
            logger.exception("intake: could not store %s from the watched folder", path.name)
            target_dir = failed
        target = target_dir / path.name
        if target.exists():
            target = target_dir / f"{path.stem}-{secrets.token_hex(4)}{path.suffix}"
        shutil.move(str(path), target)
        taken.append(
            WatchedFile(
                name=path.name,
                moved_to=str(target),
                scanned_file_id=received.file.pk if received else None,
                duplicate=bool(received and received.duplicate),
            )
        )
        if process and received is not None and not received.duplicate:
            process_file(scanned_file=received.file)
    return taken

"""Reads of the paper intake: the JSON contract of a page, the queues, and audited looks at scans and readings.

A scan and its readings are personal data (a name, an address, a birth date on paper): every staff look at a
form, a page image or a crop writes an audit row (`core.audit.record_access`), as opening a case does, naming
the person the form is about (`person_of_form`). One look, one row: a page that shows crops or a page image
puts a look token into their URLs (`crop_look_token`, `page_image_look_token`), and the image's request with
it writes no second row (`core.audit`, "One look, one row, across the requests of one page").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from madoguchi.core import audit
from madoguchi.intake import sources
from madoguchi.intake.models import (
    Batch,
    FieldReading,
    Page,
    PageStatus,
    PaperForm,
    ReadingStatus,
    ScannedFile,
)

PURPOSE = "紙申請の読取確認"


def page_report(page: Page, *, file_name: str | None = None) -> dict[str, Any]:
    """One page as `madoguchi intake scan --json` prints it (docs/intake.md, "The JSON contract")."""
    form = page.form
    fields: dict[str, dict[str, Any]] = {}
    if form is not None:
        for reading in form.readings.filter(page=page).order_by("position", "id"):
            fields[reading.field_id] = {
                "value": reading.value,
                "confidence": round(reading.confidence, 4),
                "accepted": reading.status == ReadingStatus.AUTO,
            }
    sourced = form is not None and bool(form.source_key)  # a form source's page (a benefit's 確認書)
    return {
        "file": file_name or page.scanned_file.original_name,
        "page": page.index,
        "status": page.status,
        "procedure": form.source_key if sourced else (page.procedure.slug if page.procedure_id else None),
        "version": form.source_version if sourced else (page.version.number if page.version_id else None),
        "case": (form.reference or None) if form is not None else None,
        "fields": fields,
    }


def duplicate_report(first: ScannedFile, *, file_name: str) -> dict[str, Any]:
    """The line for a file received before: status "duplicate", the case(s) of the first one."""
    cases = sorted(
        {p.form.reference for p in first.pages.select_related("form__case") if p.form and p.form.reference}
    )
    return {
        "file": file_name,
        "page": None,
        "status": "duplicate",
        "procedure": None,
        "version": None,
        "case": cases[0] if cases else None,
        "fields": {},
    }


def file_reports(scanned: ScannedFile, *, file_name: str | None = None) -> list[dict[str, Any]]:
    pages = scanned.pages.select_related("procedure", "version", "form__case", "scanned_file").order_by(
        "index"
    )
    return [page_report(page, file_name=file_name) for page in pages]


# ---------------------------------------------------------------------------------------------------------
# Queues (no personal data in these lists: procedure, page, status, counts)


def recent_batches(limit: int = 20):
    return (
        Batch.objects.select_related("created_by")
        .annotate(
            n_files=Count("files", distinct=True),
            n_pages=Count("files__pages", distinct=True),
        )
        .order_by("-created_at", "-id")[:limit]
    )


def batch_pages(batch: Batch):
    return (
        Page.objects.filter(scanned_file__batch=batch)
        .select_related("scanned_file", "procedure", "form__case")
        .order_by("scanned_file_id", "index")
    )


def classification_queue(limit: int = 50):
    return (
        Page.objects.filter(status=PageStatus.UNCLASSIFIED)
        .exclude(image="")
        .select_related("scanned_file__batch")
        .order_by("id")[:limit]
    )


def _open_to(forms, staff, prefix: str = ""):
    """`forms` (a queryset of forms, or of what `prefix` leads to them) without those of the sources `staff` may
    not see (`sources.may_verify`: a returned 確認書 is for the benefits staff). `staff` None: all of them."""
    if staff is None:
        return forms
    for closed in sources.closed_prefixes(staff):
        forms = forms.exclude(**{f"{prefix}source_key__startswith": closed})
    return forms


def verification_queue(limit: int = 100, *, staff=None):
    """Forms with fields to check, oldest first, with how many fields wait (a form that cannot be filed at
    all, `invalid`, is not among them: `refused_forms` lists those); for `staff`, the forms they may see."""
    return (
        _open_to(PaperForm.objects.filter(status=PaperForm.Status.VERIFYING), staff)
        .annotate(pending=Count("readings", filter=Q(readings__status=ReadingStatus.PENDING)))
        .filter(pending__gt=0)
        .select_related("procedure", "batch")
        .order_by("id")[:limit]
    )


def refused_forms(limit: int = 50, *, staff=None):
    """Forms that cannot be filed (a 確認書 with an unknown reference or for a closed program): the reason is on
    the form's page. No personal data in the list."""
    return (
        _open_to(PaperForm.objects.filter(status=PaperForm.Status.INVALID), staff)
        .select_related("procedure")
        .order_by("-id")[:limit]
    )


def next_pending_reading(*, after_form: int = 0, skip: int | None = None, staff=None) -> FieldReading | None:
    """The next field to check: the first unsure field of the oldest form (skipping `skip`) that `staff` may
    see."""
    readings = _open_to(
        FieldReading.objects.filter(status=ReadingStatus.PENDING, form__status=PaperForm.Status.VERIFYING),
        staff,
        prefix="form__",
    )
    if skip is not None:
        readings = readings.filter(id__gt=skip)
    return (
        readings.select_related("form__procedure", "form__version", "page")
        .order_by("form_id", "position", "id")
        .first()
    )


# ---------------------------------------------------------------------------------------------------------
# Audited looks


def person_of_form(form: PaperForm | None) -> int | None:
    """Whom a form is about, for the audit rows of its looks: its case's person; for a form source's printed
    matter, which has no case (a benefit's 確認書), the person the source says it is addressed to; otherwise
    None (a procedure's form not filed yet). Asked once per form instance: a page and the crops it embeds name
    the same person."""
    if form is None:
        return None
    if not hasattr(form, "_audit_person_id"):
        if form.case_id:
            person_id = form.case.person_id
        else:
            source = sources.source_for(form.source_key)
            person_id = source.person(form.source_key, form.case_number) if source is not None else None
        form._audit_person_id = person_id
    return form._audit_person_id


def _form_look(staff, form: PaperForm, fields) -> dict[str, Any]:
    """A look at `fields` of a form (its readings, their crops): what its audit row and look tokens name."""
    return {
        "actor": staff,
        "action": "view",
        "object_type": "paper_form",
        "object_id": form.pk,
        "person_id": person_of_form(form),
        "fields": fields,
        "purpose": PURPOSE,
    }


def _page_look(staff, page: Page) -> dict[str, Any]:
    return {
        "actor": staff,
        "action": "view",
        "object_type": "scan_page",
        "object_id": page.pk,
        "person_id": person_of_form(page.form) if page.form_id else None,
        "fields": ["image"],
        "purpose": PURPOSE,
    }


def _refuse_unless_open(staff, form: PaperForm | None, object_type: str, object_id, client_ip) -> None:
    """PermissionDenied (the styled 403 page), with a `refused` audit row, when `form` is a source's printed
    matter that `staff` may not see (`sources.may_verify`)."""
    if form is None or sources.may_verify(form.source_key, staff):
        return
    audit.record_access(
        actor=staff,
        action="refused",
        object_type=object_type,
        object_id=object_id,
        person_id=person_of_form(form),
        fields=(),
        purpose=f"{PURPOSE}: not a form this staff member may see",
        client_ip=client_ip,
    )
    raise PermissionDenied("this form is for its source's staff only")


def form_for_staff(*, staff, form_id: int, client_ip: str | None = None) -> PaperForm | None:
    """A form with the look at every one of its fields recorded (the whole-form page shows them all, with their
    crops: `crop_look_token`). A source's form that `staff` may not see: PermissionDenied."""
    form = (
        PaperForm.objects.select_related("procedure", "version", "case", "batch").filter(pk=form_id).first()
    )
    if form is None:
        return None
    _refuse_unless_open(staff, form, "paper_form", form.pk, client_ip)
    fields = list(form.readings.values_list("field_id", flat=True))
    audit.record_access(**_form_look(staff, form, fields), client_ip=client_ip)
    return form


def reading_for_staff(
    *, staff, reading: FieldReading, client_ip: str | None = None, look_token: str = ""
) -> FieldReading:
    """The look at one field (the verification page, or its crop). `look_token`: the crop's, from the page that
    embeds it; valid for this staff member and field, the page's row stands for this look. A source's form
    that `staff` may not see: PermissionDenied."""
    _refuse_unless_open(staff, reading.form, "paper_form", reading.form_id, client_ip)
    audit.record_access(
        **_form_look(staff, reading.form, [reading.field_id]), client_ip=client_ip, look_token=look_token
    )
    return reading


def crop_look_token(*, staff, reading: FieldReading) -> str:
    """The look token for the URL of a reading's crop on a page that recorded the look at its field
    (`form_for_staff`, `reading_for_staff`); "" when it did not (the crop then writes its own row)."""
    return audit.look_token(**_form_look(staff, reading.form, [reading.field_id]))


def page_image_for_staff(
    *, staff, page_id: int, client_ip: str | None = None, look_token: str = ""
) -> Page | None:
    """A scanned page with the look at its image recorded (the classification page, or the image itself: with
    the page's `look_token`, the page's row stands for this look)."""
    page = Page.objects.select_related("form__case").filter(pk=page_id).exclude(image="").first()
    if page is None:
        return None
    _refuse_unless_open(staff, page.form if page.form_id else None, "scan_page", page.pk, client_ip)
    audit.record_access(**_page_look(staff, page), client_ip=client_ip, look_token=look_token)
    return page


def page_image_look_token(*, staff, page: Page) -> str:
    """The look token for the URL of a page's image on a page that recorded the look at it
    (`page_image_for_staff`); "" when it did not."""
    return audit.look_token(**_page_look(staff, page))

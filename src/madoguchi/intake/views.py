"""Office pages of the paper intake (/office/intake/…, namespace "intake", `staff_required`): upload scans,
see what became of each page, classify pages without a readable QR, and verify unsure fields with the keyboard.

Thin: writes are `intake.services` calls; looks at scans and readings go through `intake.selectors`, which
audit them. Works without JavaScript; `intake/intake.js` adds drag and drop and the verification shortcuts.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core.audit import client_ip_of, look_token_of, url_with_look_token
from madoguchi.core.i18n import lang_of
from madoguchi.intake import recognition, selectors, services, tasks
from madoguchi.intake.models import (
    PAGE_ADVICE,
    Batch,
    FieldReading,
    PageStatus,
    PaperForm,
    ReadingStatus,
    Source,
)
from madoguchi.procedures import schema
from madoguchi.procedures.forms.layout import PAGE_WIDTH
from madoguchi.procedures.models import ProcedureVersion
from madoguchi.procedures.selectors import form_layout

ACCEPTED_SUFFIXES = (".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg")
BASIC_LABELS = {
    "basics.name": ("氏名", "Full name"),
    "basics.address": ("住所", "Address"),
    "basics.birth_date": ("生年月日", "Date of birth"),
    "basics.sex": ("性別", "Sex"),
}


def _label(reading: FieldReading, lang: str) -> str:
    if reading.field_id in BASIC_LABELS:
        ja, en = BASIC_LABELS[reading.field_id]
        return en if lang == "en" else ja
    try:
        return recognition.spec_of_form(reading.form).field(reading.field_id).label.get(lang)
    except (KeyError, LookupError):
        return reading.field_id


def _status_rows(pages, lang: str) -> list[dict]:
    return [
        {
            "page": page,
            "status": PageStatus(page.status).label,
            "advice": PAGE_ADVICE.get(page.status, ""),
            "ok": page.status in (PageStatus.READ, PageStatus.CLASSIFIED),
        }
        for page in pages
    ]


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "intake/home.html",
        {
            "nav": "intake",
            "batches": selectors.recent_batches(),
            "to_classify": selectors.classification_queue().count(),
            "to_verify": selectors.verification_queue(staff=request.user),
            "refused": selectors.refused_forms(staff=request.user),
            "max_mb": settings.INTAKE_MAX_UPLOAD_MB,
        },
    )


@staff_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Many files at once (the plain file input, or dropped files that intake.js puts into it)."""
    files = request.FILES.getlist("files")
    limit = settings.INTAKE_MAX_UPLOAD_MB * 1024 * 1024
    if not files:
        messages.error(
            request, _("ファイルが選ばれていません。スキャンしたファイルを選んでから送ってください。")
        )
        return redirect("intake:home")
    batch = services.start_batch(name=request.POST.get("batch", ""), source=Source.UPLOAD, actor=request.user)
    lang = lang_of(request)
    for uploaded in files:
        name = uploaded.name or "scan"
        if not name.lower().endswith(ACCEPTED_SUFFIXES):
            messages.error(
                request,
                _(
                    "%(name)s は受け付けられない種類のファイルです。PDF、TIFF、PNG、JPEGのいずれかを送ってください。"
                )
                % {"name": name},
            )
            continue
        if uploaded.size > limit:
            messages.error(
                request,
                _("%(name)s は大きすぎます（上限 %(mb)s MB）。分けてもう一度送ってください。")
                % {"name": name, "mb": settings.INTAKE_MAX_UPLOAD_MB},
            )
            continue
        try:
            received = services.receive_file(batch=batch, data=uploaded.read(), filename=name)
        except services.IntakeError as exc:
            messages.error(request, f"{name}: {exc.message(lang)}")
            continue
        if received.duplicate:
            messages.warning(
                request,
                _("%(name)s は %(date)s に取り込み済みのファイルと同じです。二重に受け付けません。")
                % {"name": name, "date": received.file.created_at.strftime("%Y-%m-%d %H:%M")},
            )
            continue
        transaction.on_commit(
            lambda pk=received.file.pk, actor=request.user.pk: tasks.process_file.delay(pk, actor),
            robust=True,
        )
    return redirect("intake:batch", pk=batch.pk)


@staff_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    return render(
        request,
        "intake/batch.html",
        {
            "nav": "intake",
            "batch": batch,
            "rows": _status_rows(selectors.batch_pages(batch), lang_of(request)),
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Classification


def _version_choices(lang: str) -> list[dict]:
    versions = ProcedureVersion.objects.filter(procedure__is_active=True).select_related("procedure")
    return [
        {
            "id": v.pk,
            "label": f"{v.procedure.name_for(lang)} (v{v.number})",
            "slug": v.procedure.slug,
            "number": v.number,
            "pages": form_layout(v).page_count,
        }
        for v in versions.order_by("procedure__slug", "-number")
    ]


@staff_required
def classify_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "intake/classify_list.html", {"nav": "intake", "pages": selectors.classification_queue()}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def classify(request: HttpRequest, pk: int) -> HttpResponse:
    lang = lang_of(request)
    page = selectors.page_image_for_staff(staff=request.user, page_id=pk, client_ip=client_ip_of(request))
    if page is None:
        raise Http404("no such page")
    choices = _version_choices(lang)
    error = ""
    if request.method == "POST" and page.status == PageStatus.UNCLASSIFIED:
        version = ProcedureVersion.objects.filter(pk=request.POST.get("version") or 0).first()
        try:
            number = int(request.POST.get("page_number") or 1)
        except ValueError:
            number = 0
        if version is None:
            error = _("様式を選んでください。")
        else:
            try:
                services.classify_page(page=page, version=version, page_number=number, actor=request.user)
            except services.IntakeError as exc:
                error = exc.message(lang)
            else:
                messages.success(request, _("ページを分類して読み取りました。"))
                following = selectors.classification_queue().first()
                return (
                    redirect("intake:classify", pk=following.pk)
                    if following
                    else redirect("intake:classify_list")
                )
    proposal = (page.candidates or [None])[0]
    proposed_id = next(
        (c["id"] for c in choices if proposal and c["slug"] == proposal[0] and c["number"] == proposal[1]),
        None,
    )
    return render(
        request,
        "intake/classify.html",
        {
            "nav": "intake",
            "page": page,
            "image_url": url_with_look_token(
                reverse("intake:page_image", args=[page.pk]),
                selectors.page_image_look_token(staff=request.user, page=page),
            ),
            "choices": choices,
            "proposed_id": proposed_id,
            "proposed_page": proposal[2] if proposal else 1,
            "proposal_score": round(float(proposal[3]) * 100) if proposal and len(proposal) > 3 else None,
            "error": error,
            "done": page.status != PageStatus.UNCLASSIFIED,
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Verification


def _widget(reading: FieldReading, lang: str, value, errors=()) -> dict:
    """The input of one reading: the procedure field's own widget, or a text input for a basic item."""
    if reading.field_id in BASIC_LABELS:
        return {
            "basic": True,
            "name": reading.field_id,
            "input_id": "f-" + reading.field_id.replace(".", "-"),
            "label": _label(reading, lang),
            "value": "" if value is None else value,
            "errors": [e.text(lang) if hasattr(e, "text") else str(e) for e in errors],
        }
    spec = recognition.spec_of_form(reading.form)
    field = spec.field(reading.field_id)
    context = schema.field_context(field, value, list(errors), lang, spec=spec)
    context["basic"] = False
    return context


def _crop_url(request: HttpRequest, reading: FieldReading) -> str:
    """The crop's URL, with the look token of this page (whose row the crop's request then does not repeat)."""
    if not (reading.page_id and reading.crop):
        return ""
    return url_with_look_token(
        reverse("intake:crop", args=[reading.pk]),
        selectors.crop_look_token(staff=request.user, reading=reading),
    )


def _raw_of(reading: FieldReading, post) -> object:
    if reading.field_id in BASIC_LABELS:
        return post.get(reading.field_id, "")[:500]
    field = recognition.spec_of_form(reading.form).field(reading.field_id)
    return schema.raw_from_post([field], post.getlist).get(field.id)


@staff_required
def verify_next(request: HttpRequest) -> HttpResponse:
    """Field by field: the next unsure field of the oldest form (after the one skipped, with ?after=)."""
    try:
        after = int(request.GET.get("after") or 0) or None
    except ValueError:
        after = None
    reading = selectors.next_pending_reading(skip=after, staff=request.user) or (
        selectors.next_pending_reading(staff=request.user) if after else None
    )
    if reading is None:
        return render(request, "intake/verify_done.html", {"nav": "intake"})
    return redirect("intake:verify", pk=reading.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    lang = lang_of(request)
    reading = get_object_or_404(
        FieldReading.objects.select_related("form__procedure", "form__version", "form__case", "page"), pk=pk
    )
    selectors.reading_for_staff(staff=request.user, reading=reading, client_ip=client_ip_of(request))
    if reading.status != ReadingStatus.PENDING:  # decided meanwhile (another clerk, another tab)
        messages.info(request, _("この項目は確認済みです。次の項目を表示します。"))
        return redirect("intake:verify_next")
    errors: list = []
    value = reading.value if reading.value is not None else reading.proposed
    if request.method == "POST":
        raw = _raw_of(reading, request.POST)
        try:
            services.verify_reading(reading=reading, actor=request.user, raw=raw)
        except services.IntakeError as exc:
            errors = [exc.message(lang)]
            value = raw
        else:
            return redirect("intake:verify_next")
    pending = reading.form.readings.filter(status=ReadingStatus.PENDING).count()
    return render(
        request,
        "intake/verify.html",
        {
            "nav": "intake",
            "reading": reading,
            "label": _label(reading, lang),
            "field": _widget(reading, lang, value, [schema.Message("invalid", e, e) for e in errors]),
            "error": errors[0]
            if errors
            else (reading.error_en if lang == "en" and reading.error_en else reading.error),
            "crop_url": _crop_url(request, reading),
            "confidence": round(reading.confidence * 100),
            "checks": [
                {"ok": c.get("ok"), "text": c.get("en" if lang == "en" else "ja", "")} for c in reading.checks
            ],
            "pending": pending,
            "form": reading.form,
            "procedure_name": reading.form.title(lang),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Form by form: every field of one form, the unsure ones editable, in one submission."""
    lang = lang_of(request)
    form = selectors.form_for_staff(staff=request.user, form_id=pk, client_ip=client_ip_of(request))
    if form is None:
        raise Http404("no such form")
    readings = list(form.readings.select_related("page", "decided_by").order_by("position", "id"))
    errors: dict[int, list] = {}
    posted: dict[int, object] = {}
    editable = form.status not in (PaperForm.Status.DONE, PaperForm.Status.INVALID)
    if request.method == "POST" and editable:
        for reading in readings:
            if reading.status != ReadingStatus.PENDING:
                continue
            raw = _raw_of(reading, request.POST)
            try:
                services.verify_reading(reading=reading, actor=request.user, raw=raw)
            except services.IntakeError as exc:
                errors[reading.pk] = [schema.Message("invalid", exc.ja, exc.en)]
                posted[reading.pk] = raw
        if not errors:
            messages.success(request, _("確認した内容を保存しました。"))
            return redirect("intake:form", pk=form.pk)
        form.refresh_from_db()
        readings = list(form.readings.select_related("page", "decided_by").order_by("position", "id"))
    rows = []
    for reading in readings:
        value = posted.get(reading.pk, reading.value if reading.value is not None else reading.proposed)
        rows.append(
            {
                "reading": reading,
                "label": _label(reading, lang),
                "pending": editable and reading.status == ReadingStatus.PENDING,
                "field": _widget(reading, lang, value, errors.get(reading.pk, ())),
                "crop_url": _crop_url(request, reading),
                "confidence": round(reading.confidence * 100),
                "status": ReadingStatus(reading.status).label,
                "shown": _shown(reading, lang),
            }
        )
    error_items = [
        {
            "target": row["field"]["input_id"],
            "label": row["label"],
            "message": errors[row["reading"].pk][0].text(lang),
        }
        for row in rows
        if row["reading"].pk in errors
    ]
    return render(
        request,
        "intake/form.html",
        {
            "nav": "intake",
            "form": form,
            "procedure_name": form.title(lang),
            "rows": rows,
            "error_items": error_items,
            "any_pending": any(row["pending"] for row in rows),
        },
    )


def _shown(reading: FieldReading, lang: str) -> str:
    if reading.value is None:
        return ""
    if reading.field_id in BASIC_LABELS:
        return str(reading.value)
    try:
        field = recognition.spec_of_form(reading.form).field(reading.field_id)
    except (KeyError, LookupError):
        return str(reading.value)
    return field.kind.format(field, reading.value, lang)


# ---------------------------------------------------------------------------------------------------------
# Images (audited; never cached). The page that embeds one recorded the look and gave its URL a look token:
# with a valid one for this staff member, the image's request writes no second row (it is checked for access
# exactly as without one).


def _png(image) -> HttpResponse:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def page_image(request: HttpRequest, pk: int) -> HttpResponse:
    from PIL import Image

    page = selectors.page_image_for_staff(
        staff=request.user, page_id=pk, client_ip=client_ip_of(request), look_token=look_token_of(request)
    )
    if page is None:
        raise Http404("no such page")
    with page.image.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    image.thumbnail((1400, 1400))
    return _png(image)


@staff_required
def crop(request: HttpRequest, pk: int) -> HttpResponse:
    """The zone of one field, cut from the page registered to its layout (with a margin around it)."""
    from PIL import Image

    reading = get_object_or_404(
        FieldReading.objects.select_related("page", "form__case", "form__version"), pk=pk
    )
    page = reading.page
    if page is None or not reading.crop:
        raise Http404("no crop")
    selectors.reading_for_staff(
        staff=request.user,
        reading=reading,
        client_ip=client_ip_of(request),
        look_token=look_token_of(request),
    )
    source = page.aligned or page.image
    with source.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    try:
        page_width = recognition.layout_of_form(reading.form).page_size[0]
    except LookupError:
        page_width = PAGE_WIDTH
    scale = image.width / page_width
    x, y, width, height = (float(v) for v in reading.crop[:4])
    margin = 6.0
    box = (
        max(0, int((x - margin) * scale)),
        max(0, int((y - margin) * scale)),
        min(image.width, int((x + width + margin) * scale)),
        min(image.height, int((y + height + margin) * scale)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        raise Http404("empty crop")
    return _png(image.crop(box))

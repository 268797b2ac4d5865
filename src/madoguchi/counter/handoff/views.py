"""Office pages of the core-system hand-off (連携ファイル): the formats with a download form each, the
department's recent exports, a re-export. Staff who work cases (`selectors.may_export`) only; other staff see
a page that says so. Every file is made by `services` (recorded and audited) before it is sent."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core import audit
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.i18n import lang_of

from . import selectors, services
from .forms import ExportForm
from .registry import register

CHARSETS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "cp932": "shift_jis"}
# The office menu's entry (office/layout.html, shown when `handoff_allowed`): marked here so that this app's
# catalogue, which translates it, keeps it when `makemessages` runs.
MENU_ENTRY = gettext_noop("連携ファイル")


def exporter_required(view: Callable) -> Callable:
    """Signed-in staff who may export; other staff get a 403 page saying who may."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.may_export(request.user):
            return render(request, "handoff/forbidden.html", {"nav": "handoff"}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _procedure_choices(fmt, request: HttpRequest) -> list[tuple[str, str]]:
    lang = lang_of(request)
    return [
        (p.slug, p.name_for(lang))
        for p in selectors.procedures_for(fmt, department_id=request.user.department_id)
    ]


def _forms(request: HttpRequest, posted: ExportForm | None = None) -> list[ExportForm]:
    today = timezone.localdate()
    forms = []
    for fmt in register:
        if posted is not None and posted.fmt.name == fmt.name:
            forms.append(posted)
            continue
        since = selectors.next_since(fmt.name, department_id=request.user.department_id, today=today)
        forms.append(
            ExportForm(
                fmt=fmt,
                procedures=_procedure_choices(fmt, request),
                initial=ExportForm.initial_for(since, today),
            )
        )
    return forms


def _page(
    request: HttpRequest, *, posted: ExportForm | None = None, problems: list[str] | None = None, status=200
):
    lang = lang_of(request)
    labels = {fmt.name: fmt.label(lang) for fmt in register}
    context = {
        "nav": "handoff",
        "forms": [
            {"form": form, "label": form.fmt.label(lang), "description": form.fmt.description(lang)}
            for form in _forms(request, posted)
        ],
        "problems": problems or [],
        "exports": [
            {"export": export, "label": labels.get(export.format, export.format)}
            for export in selectors.recent_exports(department_id=request.user.department_id)
        ],
    }
    return render(request, "handoff/office.html", context, status=status)


def _download(outcome: services.ExportOutcome) -> HttpResponse:
    export = outcome.export
    response = HttpResponse(
        outcome.content, content_type=f"text/csv; charset={CHARSETS.get(export.encoding, 'utf-8')}"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@exporter_required
def office_index(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@exporter_required
def office_export(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("format", "")
    if name not in register:
        return _page(request, problems=[_unknown_format(request, name)], status=400)
    fmt = register.get(name)
    form = ExportForm(request.POST, fmt=fmt, procedures=_procedure_choices(fmt, request))
    if not form.is_valid():
        return _page(request, posted=form, status=400)
    encoding, bom = form.encoding_and_bom()
    try:
        outcome = services.export_cases(
            fmt.name,
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
            procedures=form.procedures(),
            actor=request.user,
            encoding=encoding,
            bom=bom,
            channel="screen",
            client_ip=audit.client_ip_of(request),
        )
    except MadoguchiError as exc:
        return _page(request, posted=form, problems=exc.message(lang_of(request)).splitlines(), status=400)
    return _download(outcome)


@require_POST
@exporter_required
def office_reexport(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        outcome = services.reexport(
            export_id, actor=request.user, channel="screen", client_ip=audit.client_ip_of(request)
        )
    except MadoguchiError as exc:
        status = 404 if getattr(exc, "code", "") == "export_not_found" else 400
        return _page(request, problems=exc.message(lang_of(request)).splitlines(), status=status)
    return _download(outcome)


def _unknown_format(request: HttpRequest, name: str) -> str:
    try:
        register.get(name)
    except MadoguchiError as exc:
        return exc.message(lang_of(request))
    return ""

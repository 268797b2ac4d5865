"""The counter screen (書かない窓口) for staff: read a bundle's QR code or short code, or start without one;
identify the person, record the identity check, correct the forms with the resident, confirm (one case per
procedure), print every form at once, and mark the visit signed and done.

Thin: every write is a `counter.services` call; registry reads go through `residents.access` (audited,
支援措置 respected). Works without JavaScript; `counter/scan.js` adds reading the QR code with the camera.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.cases import workflow
from madoguchi.core.audit import client_ip_of
from madoguchi.core.charts import column_chart
from madoguchi.core.i18n import lang_of
from madoguchi.counter import bundle as plan_engine
from madoguchi.counter import printing, selectors, services, widgets
from madoguchi.counter.models import IdentityDocument, Visit, VisitForm
from madoguchi.jp.wareki import DateParseError, parse_date
from madoguchi.procedures import schema
from madoguchi.procedures.selectors import spec_of
from madoguchi.residents import access

MAX_INPUT = 100


def _visit_of(request: HttpRequest, pk: int) -> Visit:
    """A visit of the signed-in clerk (others' visits are a 404)."""
    return get_object_or_404(
        Visit.objects.select_related("clerk", "identity_checked_by"), pk=pk, clerk=request.user
    )


@staff_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """Read a code: the QR code (camera or a keyboard-wedge scanner types it and Enter) or the short code."""
    lang = lang_of(request)
    error = ""
    code = ""
    if request.method == "POST":
        code = request.POST.get("code", "")[:MAX_INPUT]
        try:
            visit = services.claim_bundle(code=code, staff=request.user, client_ip=client_ip_of(request))
        except (services.CounterError, workflow.TransitionNotAllowed) as exc:
            error = exc.message(lang)
        else:
            messages.success(request, _("事前入力の内容を読み込みました。コードはもう使えません。"))
            return redirect("counter:visit", pk=visit.pk)
    recent = Visit.objects.filter(clerk=request.user, arrived_at__date=timezone.localdate()).order_by(
        "-arrived_at"
    )[:20]
    return render(
        request,
        "counter/desk.html",
        {
            "nav": "counter",
            "error": error,
            "code": "" if error else code,
            "recent": recent,
            "guides": [{"id": g.id, "title": g.title.get(lang)} for g in selectors.guides()],
        },
        status=400 if error else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def start_without_bundle(request: HttpRequest, event: str) -> HttpResponse:
    """Answer the guide's questions with the resident, choose the procedures, and open a visit."""
    guide = selectors.get_guide(event)
    if guide is None:
        raise Http404("no such life event")
    lang = lang_of(request)
    source = request.POST if request.method == "POST" else request.GET
    raw = {q.id: source.get(q.id, "")[:40] for q in guide.questions}
    checked = selectors.engine.check_answers(guide, raw)
    raw_date = source.get("date", "").strip()[:40]
    try:
        event_date = parse_date(raw_date) if raw_date and guide.event_date else None
    except DateParseError:
        event_date = None
    if request.method == "POST":
        slugs = request.POST.getlist("procedure")
        try:
            visit = services.start_visit(
                staff=request.user,
                guide_id=guide.id,
                answers=checked.answers,
                event_date=event_date,
                slugs=slugs,
            )
        except (services.CounterError, workflow.TransitionNotAllowed) as exc:
            messages.error(request, exc.message(lang))
            return redirect(reverse("counter:start", args=[guide.id]) + "?" + request.POST.urlencode())
        return redirect("counter:visit", pk=visit.pk)
    answered = request.GET.get("answered") == "1"
    suggestions = selectors.procedures_for(guide, checked.answers, event_date=event_date) if answered else []
    return render(
        request,
        "counter/desk_start.html",
        {
            "nav": "counter",
            "title": guide.title.get(lang),
            "event": guide.id,
            "event_date_label": guide.event_date.label.get(lang) if guide.event_date else "",
            "raw_date": raw_date,
            "questions": [
                {
                    "id": q.id,
                    "text": q.text.get(lang),
                    "value": raw.get(q.id, ""),
                    "options": [{"value": o.value, "label": o.label.get(lang)} for o in q.options],
                }
                for q in guide.questions
            ],
            "unanswered": selectors.engine.UNANSWERED_LABEL.get(lang),
            "answered": answered,
            "suggestions": [
                {
                    "slug": s.ref.slug,
                    "name": s.ref.name.get(lang),
                    "certain": s.certain,
                    "online": s.ref.online,
                }
                for s in suggestions
            ],
            "hidden": [(k, v) for k, v in request.GET.items() if k != "answered"][:40],
        },
    )


def _shared_person_facts(visit: Visit) -> tuple[str, dt.date | None]:
    """The name and birth date the forms give (a bundle's answers), to suggest the registry person."""
    sources = plan_engine.share_sources(
        {
            f.procedure.slug: (spec_of(f.version), services.form_values(f))
            for f in visit.forms.filter(case__isnull=True)
        }
    )
    name = sources.get("prefill:person.name") or ""
    birth = sources.get("prefill:person.birth_date") or ""
    try:
        birth_date = parse_date(birth) if isinstance(birth, str) and birth else None
    except DateParseError:
        birth_date = None
    if not name:
        for case in visit.cases:
            name = case.applicant_name
            break
    return (name if isinstance(name, str) else ""), birth_date


def _form_rows(visit: Visit, lang: str) -> list[dict]:
    rows = []
    for form in visit.forms.select_related("procedure", "version", "from_version", "case", "visit"):
        spec = spec_of(form.version)
        item = {
            "form": form,
            "name": form.procedure.name_for(lang),
            "case": form.case,
            "follow_on": form.follow_on,
            "url": reverse("counter:form", args=[visit.pk, form.pk]),
            "bring": [f.label.get(lang) for f in spec.fields if f.kind.is_upload],
            "added": [],
            "removed": [],
            "problems": 0,
        }
        if form.from_version is not None:
            added, removed = plan_engine.version_changes(spec_of(form.from_version), spec)
            item["added"] = [f.label.get(lang) for f in added]
            item["removed"] = [f.label.get(lang) for f in removed]
        if form.case_id is None:
            result = schema.validate(
                plan_engine.counter_form(spec), services.form_values(form), today=timezone.localdate()
            )
            item["problems"] = len(result.errors)
        rows.append(item)
    return rows


def _person_view(request, visit: Visit):
    if visit.person_id is None:
        return None, ""
    try:
        return access.person_for_staff(
            staff=request.user,
            person_id=visit.person_id,
            purpose="identity_check",
            client_ip=client_ip_of(request),
        ), ""
    except access.AccessError as exc:
        return None, exc.message(lang_of(request))


@staff_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_of(request, pk)
    lang = lang_of(request)
    person, person_error = _person_view(request, visit)
    search = None
    search_error = ""
    query_name, query_birth = "", None
    if person is None and visit.confirmed_at is None:
        query_name = request.GET.get("name", "")[:MAX_INPUT]
        raw_birth = request.GET.get("birth_date", "")[:40]
        if not query_name and not raw_birth:
            query_name, query_birth = _shared_person_facts(visit)
        else:
            try:
                query_birth = parse_date(raw_birth) if raw_birth else None
            except DateParseError as exc:
                search_error = exc.message(lang)
        if query_name and not search_error:
            try:
                search = access.search_persons_for_staff(
                    staff=request.user,
                    query=access.PersonQuery(name=query_name, birth_date=query_birth),
                    purpose="identity_check",
                    client_ip=client_ip_of(request),
                )
            except access.AccessError as exc:
                search_error = exc.message(lang)
    context = services.visit_context(visit)
    forms = _form_rows(visit, lang)
    present = {row["form"].procedure.slug for row in forms}
    follow_ons = []
    guide = selectors.get_guide(context.get("guide") or "") if context.get("guide") else None
    if guide is not None and visit.done_at is None:
        event_date = dt.date.fromisoformat(context["event_date"]) if context.get("event_date") else None
        follow_ons = [
            {"slug": s.ref.slug, "name": s.ref.name.get(lang), "certain": s.certain}
            for s in selectors.procedures_for(guide, context.get("answers") or {}, event_date=event_date)
            if s.ref.slug not in present
        ]
    return render(
        request,
        "counter/visit.html",
        {
            "nav": "counter",
            "visit": visit,
            "person": person,
            "person_error": person_error,
            "search": search,
            "search_error": search_error,
            "query_name": query_name,
            "query_birth": query_birth.isoformat() if query_birth else request.GET.get("birth_date", "")[:40],
            "documents": IdentityDocument.choices,
            "forms": forms,
            "pending": [row for row in forms if row["case"] is None],
            "follow_ons": follow_ons,
            "guide_title": guide.title.get(lang) if guide else "",
        },
    )


@staff_required
@require_POST
def select_person(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_of(request, pk)
    try:
        person_id = int(request.POST.get("person", ""))
        services.select_person(
            visit=visit, staff=request.user, person_id=person_id, client_ip=client_ip_of(request)
        )
    except ValueError:
        messages.error(request, _("住民記録から本人を選んでください。"))
    except (services.CounterError, access.AccessError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
    return redirect("counter:visit", pk=visit.pk)


@staff_required
@require_POST
def identity_check(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_of(request, pk)
    try:
        services.record_identity_check(
            visit=visit,
            staff=request.user,
            document=request.POST.get("document", ""),
            note=request.POST.get("note", "")[: services.IDENTITY_NOTE_MAX],
        )
    except (services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(request, _("本人確認を記録しました。"))
    return redirect(reverse("counter:visit", args=[visit.pk]) + "#identity")


def _form_of(request: HttpRequest, pk: int, form_id: int) -> VisitForm:
    visit = _visit_of(request, pk)
    return get_object_or_404(
        VisitForm.objects.select_related("procedure", "version", "visit"), pk=form_id, visit=visit
    )


@staff_required
@require_http_methods(["GET", "POST"])
def edit_form(request: HttpRequest, pk: int, form_id: int) -> HttpResponse:
    """One procedure's form, every step on one page, with the same widgets as online; re-validated."""
    form = _form_of(request, pk, form_id)
    if form.case_id is not None:
        messages.info(request, _("この手続きはすでに申請済みです。"))
        return redirect("counter:visit", pk=pk)
    lang = lang_of(request)
    spec = plan_engine.counter_form(spec_of(form.version))
    values = services.form_values(form)
    errors: dict = {}
    if request.method == "POST":
        raw = schema.raw_from_post(spec.fields, request.POST.getlist)
        try:
            result = services.save_form(form=form, raw=raw, staff=request.user)
        except (services.CounterError, workflow.TransitionNotAllowed) as exc:
            messages.error(request, exc.message(lang))
            return redirect("counter:visit", pk=pk)
        if result.ok:
            messages.success(
                request, _("「%(name)s」の内容を保存しました。") % {"name": form.procedure.name_for(lang)}
            )
            return redirect(reverse("counter:visit", args=[pk]) + "#forms")
        values = {**services.form_values(form), **result.suggestions}
        errors = result.errors
    elif request.GET.get("check") or form.from_version is not None:
        errors = schema.validate(spec, values, today=timezone.localdate()).errors
    steps, error_items = [], []
    for step in spec.steps:
        contexts, items = widgets.render_fields(step.fields, values, errors, lang, spec=spec)
        steps.append({"title": step.title.get(lang), "fields": contexts})
        error_items.extend(items)
    added, removed = ([], [])
    if form.from_version is not None:
        added, removed = plan_engine.version_changes(spec_of(form.from_version), spec_of(form.version))
    return render(
        request,
        "counter/visit_form.html",
        {
            "nav": "counter",
            "visit": form.visit,
            "form": form,
            "name": form.procedure.name_for(lang),
            "steps": steps,
            "error_items": error_items,
            "added": [f.label.get(lang) for f in added],
            "removed": [f.label.get(lang) for f in removed],
            "bring": [f.label.get(lang) for f in spec_of(form.version).fields if f.kind.is_upload],
        },
    )


@staff_required
@require_POST
def add_form(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_of(request, pk)
    try:
        form = services.add_form(visit=visit, slug=request.POST.get("procedure", "")[:80], staff=request.user)
    except (services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
        return redirect("counter:visit", pk=pk)
    messages.success(
        request, _("「%(name)s」を追加しました。") % {"name": form.procedure.name_for(lang_of(request))}
    )
    return redirect("counter:form", pk=pk, form_id=form.pk)


@staff_required
@require_POST
def remove_form(request: HttpRequest, pk: int, form_id: int) -> HttpResponse:
    form = _form_of(request, pk, form_id)
    try:
        services.remove_form(form=form, staff=request.user)
    except (services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
    return redirect(reverse("counter:visit", args=[pk]) + "#forms")


@staff_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_of(request, pk)
    lang = lang_of(request)
    try:
        cases = services.confirm_visit(visit=visit, staff=request.user)
    except services.ConfirmRefused:
        messages.error(
            request,
            _(
                "直す必要のある書類があります。書類ごとの「入力・修正」から直してください。申請は作成していません。"
            ),
        )
    except (services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang))
    else:
        messages.success(
            request,
            _("%(count)s 件の申請を受け付けました：%(references)s")
            % {"count": len(cases), "references": "、".join(c.reference for c in cases)},
        )
    return redirect(reverse("counter:visit", args=[pk]) + "#forms")


def _basics(request, visit: Visit) -> dict:
    """Name, address, birth date and sex for the printed forms: from the registry person (audited; no
    address under 支援措置), else from the forms' answers."""
    person, _error = _person_view(request, visit)
    if person is not None:
        return {
            "name": person.name,
            "address": "" if person.address_withheld else person.address,
            "birth_date": person.birth_date,
            "sex": person.sex,
        }
    name = next((c.applicant_name for c in visit.cases), "")
    return {"name": name, "address": "", "birth_date": None, "sex": ""}


@staff_required
@require_POST
def print_forms(request: HttpRequest, pk: int) -> HttpResponse:
    """One PDF of every filed form; a failure shows a message and the button again (the cases are kept)."""
    visit = _visit_of(request, pk)
    try:
        pdf = services.print_visit(
            visit=visit, staff=request.user, basics=_basics(request, visit), client_ip=client_ip_of(request)
        )
    except (printing.PrintFailed, services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
        return redirect(reverse("counter:visit", args=[pk]) + "#print")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="visit-{visit.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def mark(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    visit = _visit_of(request, pk)
    action = {"signed": services.mark_signed, "done": services.mark_done}.get(what)
    if action is None:
        raise Http404("no such step")
    try:
        action(visit=visit, staff=request.user)
    except (services.CounterError, workflow.TransitionNotAllowed) as exc:
        messages.error(request, exc.message(lang_of(request)))
    return redirect(reverse("counter:visit", args=[pk]) + "#print")


@staff_required
@require_http_methods(["GET"])
def figures(request: HttpRequest) -> HttpResponse:
    """The counter's visit figures for the last 7, 30 or 90 days (default 30; anything else is the default)."""
    lang = lang_of(request)
    try:
        days = int(request.GET.get("days", ""))
    except ValueError:
        days = selectors.DEFAULT_FIGURE_PERIOD
    if days not in selectors.FIGURE_PERIODS:
        days = selectors.DEFAULT_FIGURE_PERIOD
    until = timezone.now()
    data = selectors.visit_figures(
        since=until - dt.timedelta(days=days),
        until=until,
        department_id=request.user.department_id,
        lang=lang,
    )
    busiest_hour = max(data.by_hour, key=lambda pair: pair[1]) if data.visits else None
    return render(
        request,
        "counter/figures.html",
        {
            "nav": "counter",
            "days": days,
            "periods": selectors.FIGURE_PERIODS,
            "figures": data,
            "busiest_hour": busiest_hour,
            "hour_chart": column_chart([(f"{hour}", n) for hour, n in data.by_hour]),
            "day_chart": column_chart([(day.strftime("%m/%d"), n) for day, n in data.by_day]),
            "has_department": request.user.department_id is not None,
        },
    )

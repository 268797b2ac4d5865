"""The resident's pre-fill bundle (まとめて入力), on a phone and without signing in.

From a guide result, /prefill/<event>/ lists the online procedures that apply; 「入力を始める」 opens a bundle
(its answers are encrypted on the server; the session keeps only a random draft token). The pages ask the
questions several forms share once, then each form's own fields, validated by each procedure's own form; a
review page; then the QR code (inline SVG, segno) and the short code to show at the counter. Plain HTML
forms: everything works without JavaScript.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.core.i18n import lang_of
from madoguchi.counter import bundle as plan_engine
from madoguchi.counter import selectors, services, widgets
from madoguchi.jp.wareki import DateParseError, parse_date
from madoguchi.procedures import schema

SESSION_KEY = "counter_bundle"
MAX_INPUT = 40


def _guide_answers(request: HttpRequest, guide) -> tuple[dict, object]:
    raw = {q.id: request.GET.get(q.id, request.POST.get(q.id, ""))[:MAX_INPUT] for q in guide.questions}
    checked = selectors.engine.check_answers(guide, raw)
    raw_date = (request.GET.get("date") or request.POST.get("date") or "").strip()[:MAX_INPUT]
    try:
        event_date = parse_date(raw_date) if raw_date and guide.event_date else None
    except DateParseError:
        event_date = None
    return checked.answers, event_date


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, event: str) -> HttpResponse:
    """The online procedures of a guide result, to fill in at once; POST opens the bundle."""
    guide = selectors.get_guide(event)
    if guide is None:
        raise Http404("no such life event")
    lang = lang_of(request)
    answers, event_date = _guide_answers(request, guide)
    online = selectors.online_procedures_for(guide, answers, event_date=event_date)
    if request.method == "POST":
        chosen = [slug for slug in request.POST.getlist("procedure") if slug in {p.slug for p in online}]
        if not chosen:
            messages.error(request, _("入力する手続きを1つ以上選んでください。"))
        else:
            _discard_current(request)
            _bundle, token = services.start_bundle(
                guide_id=guide.id, answers=answers, event_date=event_date, slugs=chosen
            )
            request.session[SESSION_KEY] = token
            return redirect("prefill:page", number=1)
    return render(
        request,
        "counter/prefill_start.html",
        {
            "title": guide.title.get(lang),
            "guide_url": reverse("guide:detail", args=[guide.id]) + "?" + request.GET.urlencode(),
            "procedures": [{"slug": p.slug, "name": p.name.get(lang)} for p in online],
            "answers": [(k, v) for k, v in request.GET.items() if k != "answered"][:40],
            "days": settings.BUNDLE_DAYS,
        },
    )


def _discard_current(request: HttpRequest) -> None:
    bundle = services.bundle_for_draft(request.session.get(SESSION_KEY, ""))
    if bundle is not None and bundle.issued_at is None:
        services.discard_bundle(bundle=bundle)
    request.session.pop(SESSION_KEY, None)


def _current(request: HttpRequest):
    bundle = services.bundle_for_draft(request.session.get(SESSION_KEY, ""))
    if bundle is None:
        return None, None, None
    payload = services.bundle_payload(bundle)
    return bundle, payload, services.bundle_plan(payload)


def _gone(request: HttpRequest) -> HttpResponse:
    messages.info(
        request,
        _("入力の途中の内容は、時間がたったため削除されました。もう一度、手続きの案内から始めてください。"),
    )
    return redirect("guide:index")


def _page_title(plan: plan_engine.Plan, page: plan_engine.Page, lang: str) -> tuple[str, str, str]:
    """(procedure name or "", step title, step description)."""
    if page.kind == plan_engine.SHARED_PAGE:
        names = (
            "、".join(plan.specs[s].name.get(lang) for s in plan.slugs)
            if lang == "ja"
            else ", ".join(plan.specs[s].name.get(lang) for s in plan.slugs)
        )
        return (
            "",
            _("共通の項目"),
            _("次の手続きで共通の項目です。ここで一度入力すれば、すべての書類に使われます：%(names)s")
            % {"names": names},
        )
    spec = plan.specs[page.slug]
    step = spec.step(page.step_id)
    return spec.name.get(lang), step.title.get(lang), step.description.get(lang) if step.description else ""


def _page_fields(plan: plan_engine.Plan, page: plan_engine.Page):
    if page.kind == plan_engine.SHARED_PAGE:
        return [s.field for s in plan.shared], plan.shared_spec()
    return list(page.fields), plan.specs[page.slug]


def _page_values(plan: plan_engine.Plan, values: dict, page: plan_engine.Page) -> dict:
    if page.kind == plan_engine.SHARED_PAGE:
        shared = values.get("shared") or {}
        return {s.name: shared.get(s.key) for s in plan.shared}
    return plan.form_values(values, page.slug)


@never_cache
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, number: int) -> HttpResponse:
    bundle, payload, plan = _current(request)
    if bundle is None:
        return _gone(request)
    if not 1 <= number <= len(plan.pages):
        raise Http404("no such page")
    lang = lang_of(request)
    current = plan.pages[number - 1]
    fields, spec = _page_fields(plan, current)
    values = payload["values"]
    errors: dict = {}
    shown = _page_values(plan, values, current)
    if request.method == "POST":
        raw = schema.raw_from_post(fields, request.POST.getlist)
        result = plan_engine.apply_page(plan, values, current, raw, today=timezone.localdate())
        services.save_bundle_values(bundle=bundle, values=result.values)
        if result.ok and request.POST.get("action") != "stay":
            if number < len(plan.pages):
                return redirect("prefill:page", number=number + 1)
            return redirect("prefill:review")
        errors = result.errors
        shown = {**_page_values(plan, result.values, current), **result.suggestions}
    elif request.GET.get("check"):
        result = plan_engine.apply_page(plan, values, current, {}, today=timezone.localdate())
        errors = result.errors
    contexts, error_items = widgets.render_fields(fields, shown, errors, lang, spec=spec)
    procedure_name, step_title, description = _page_title(plan, current, lang)
    return render(
        request,
        "counter/prefill_page.html",
        {
            "fields": contexts,
            "error_items": error_items,
            "procedure_name": procedure_name,
            "step_title": step_title,
            "step_description": description,
            "step_number": number,
            "step_count": len(plan.pages),
            "steps_range": [
                {"state": "done" if n < number - 1 else ("current" if n == number - 1 else "todo")}
                for n in range(len(plan.pages))
            ],
            "previous_url": reverse("prefill:page", args=[number - 1]) if number > 1 else "",
        },
    )


def _review_sections(plan, payload, results, lang):
    sections = []
    for slug in plan.slugs:
        spec = plan.specs[slug]
        pages = {p.step_id: i + 1 for i, p in enumerate(plan.pages) if p.slug == slug}
        shared_page = 1 if plan.shared else None
        shared_ids = set(plan.shared_of(slug))
        rows = []
        for section in schema.display_rows(spec, results[slug].cleaned, lang):
            step = spec.step(section.step_id)
            for f, (label, text) in zip(step.fields, section.rows, strict=True):
                number = shared_page if f.id in shared_ids else pages.get(step.id)
                rows.append(
                    {
                        "label": label,
                        "text": text,
                        "change_url": reverse("prefill:page", args=[number]) if number else "",
                    }
                )
        sections.append(
            {
                "slug": slug,
                "name": spec.name.get(lang),
                "rows": rows,
                "bring": [f.label.get(lang) for f in plan.not_asked.get(slug, ())],
            }
        )
    return sections


def _qr_svg(reference: str, title: str) -> str:
    # segno's markup of the reference: only the <svg>, <title> and <path> elements it generates.
    return segno.make(reference, error="m").svg_inline(scale=6, border=4, title=title)


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """Every form as it will be handed over; POST issues the QR code and the short code (shown once)."""
    bundle, payload, plan = _current(request)
    if bundle is None:
        return _gone(request)
    lang = lang_of(request)
    results = plan_engine.validate_all(plan, payload["values"], today=timezone.localdate())
    first_bad = plan_engine.first_page_with_errors(plan, results)
    if first_bad is not None:
        messages.error(request, _("まだ入力されていない項目や、直す必要のある項目があります。"))
        return redirect(reverse("prefill:page", args=[first_bad + 1]) + "?check=1")
    if request.method == "POST":
        try:
            issued = services.issue_bundle(bundle=bundle)
        except services.BundleIncomplete as exc:
            messages.error(request, exc.message(lang))
            return redirect("prefill:review")
        response = render(
            request,
            "counter/prefill_done.html",
            {
                "qr_svg": _qr_svg(issued.reference, _("窓口で見せるQRコード")),
                "short_code": issued.short_code_display,
                "expires_at": issued.expires_at,
                "procedures": [plan.specs[s].name.get(lang) for s in plan.slugs],
                "bring": [
                    f"{plan.specs[s].name.get(lang)}：{f.label.get(lang)}"
                    for s in plan.slugs
                    for f in plan.not_asked.get(s, ())
                ],
            },
        )
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "counter/prefill_review.html",
        {
            "sections": _review_sections(plan, payload, results, lang),
            "issued": bundle.issued_at is not None,
            "last_page_url": reverse("prefill:page", args=[len(plan.pages)]),
            "days": settings.BUNDLE_DAYS,
        },
    )


@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Delete the bundle being filled in (or issued) now."""
    bundle = services.bundle_for_draft(request.session.get(SESSION_KEY, ""))
    if bundle is not None:
        services.discard_bundle(bundle=bundle)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("入力した内容を削除しました。"))
    return redirect("guide:index")

"""Pages of the life-event guide (手続ナビ): /guide/ lists the life events, /guide/<event>/ asks the guide's
questions in a plain GET form and lists the procedures that apply, grouped by where they are done.

Works without JavaScript. Thin: read the request, call counter.selectors and the pure counter.guide, render.
Invalid answers or dates come back as the form with what was typed and a message; an unknown event is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from madoguchi.core import clock
from madoguchi.counter import guide as engine
from madoguchi.counter import selectors
from madoguchi.jp.wareki import DateParseError, format_date, parse_date

# Where a procedure is done, in the order the page lists them.
GROUPS = (
    ("online", gettext_lazy("オンラインで申請できる手続き")),
    ("window", gettext_lazy("市役所の窓口で行う手続き")),
    ("office", gettext_lazy("ほかの窓口・機関で行う手続き")),
)
MAX_INPUT = 40  # characters kept of one query parameter
DATE_RANGE_YEARS = 100  # an event date further from today than this is refused
WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _lang(request: HttpRequest) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "ja") == "en" else "ja"


def _date_text(day: dt.date, lang: str) -> str:
    """令和8年（2026年）4月14日（火） / Tuesday 14 April 2026."""
    if lang == "en":
        return f"{WEEKDAYS_EN[day.weekday()]} {format_date(day, 'en')}"
    return f"{format_date(day, 'ja')}（{WEEKDAYS_JA[day.weekday()]}）"


def _next_business_day(day: dt.date) -> dt.date:
    """`day`, or the next day the offices are open when it is a weekend, holiday or 年末年始 (a deadline that
    falls on a closed day moves to the next open day)."""
    while not clock.is_business_day(day):
        day += dt.timedelta(days=1)
    return day


@require_GET
def guide_index(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    items = [
        {
            "id": g.id,
            "title": g.title.get(lang),
            "summary": g.summary.get(lang),
            "url": reverse("guide:detail", args=[g.id]),
        }
        for g in selectors.guides()
    ]
    return render(request, "counter/guide_index.html", {"guides": items})


def _read_date(raw: str, lang: str, today: dt.date) -> tuple[dt.date | None, str]:
    """The event date typed (西暦 or 和暦), or an error message in `lang`."""
    if not raw:
        return None, ""
    try:
        day = parse_date(raw)
    except DateParseError as exc:
        return None, exc.message(lang)
    if abs(day.year - today.year) > DATE_RANGE_YEARS:
        return None, _("%(years)s年以内の日付を入力してください。") % {"years": DATE_RANGE_YEARS}
    return day, ""


@require_GET
def guide_detail(request: HttpRequest, event: str) -> HttpResponse:
    guide = selectors.get_guide(event)
    if guide is None:
        raise Http404("no such life event")
    lang = _lang(request)
    today = timezone.localdate()
    submitted = request.GET.get("answered") == "1"

    raw = {q.id: request.GET.get(q.id, "")[:MAX_INPUT] for q in guide.questions}
    raw_date = request.GET.get("date", "").strip()[:MAX_INPUT] if guide.event_date else ""
    checked = engine.check_answers(guide, raw)
    event_date, date_error = _read_date(raw_date, lang, today)

    registry = None
    if not submitted:  # the first visit: what the register knows, changeable before asking
        registry = selectors.registry_answers_for(request.user, guide, today=today, event_date=event_date)
        if registry:
            raw = {**raw, **{k: v for k, v in registry.answers.items() if not raw.get(k)}}
            if registry.event_date is not None and not raw_date:
                raw_date = registry.event_date.isoformat()

    error_items = [
        {
            "target": f"q-{q.id}-{q.options[0].value}",
            "label": q.text.get(lang),
            "message": checked.errors[q.id].get(lang),
        }
        for q in guide.questions
        if q.id in checked.errors
    ]
    if date_error:
        error_items.insert(
            0, {"target": "event-date", "label": guide.event_date.label.get(lang), "message": date_error}
        )

    context = {
        "title": guide.title.get(lang),
        "summary": guide.summary.get(lang),
        "updated": guide.updated,
        "version": guide.version,
        "event_date_field": _event_date_field(guide, raw_date, date_error, registry, lang),
        "questions": _question_fields(guide, raw, checked.errors, registry, lang),
        "error_items": error_items,
        "registry_used": bool(registry),
        "submitted": submitted and not error_items,
    }
    if submitted and not error_items:
        context.update(_results(guide, checked.answers, event_date, today, lang))
        context["prefill_url"] = reverse("prefill:start", args=[guide.id]) + "?" + request.GET.urlencode()
    return render(request, "counter/guide_detail.html", context)


def _event_date_field(guide, raw_date, error, registry, lang):
    if guide.event_date is None:
        return None
    return {
        "label": guide.event_date.label.get(lang),
        "help": guide.event_date.help.get(lang) if guide.event_date.help else "",
        "value": raw_date,
        "error": error,
        "from_registry": bool(
            registry and registry.event_date and raw_date == registry.event_date.isoformat()
        ),
    }


def _question_fields(guide, raw, errors, registry, lang):
    fields = []
    for question in guide.questions:
        value = raw.get(question.id, "")
        options = [
            {
                "id": f"q-{question.id}-{o.value}",
                "value": o.value,
                "label": o.label.get(lang),
                "checked": value == o.value,
            }
            for o in question.options
        ]
        options.append(
            {
                "id": f"q-{question.id}-unknown",
                "value": "",
                "label": engine.UNANSWERED_LABEL.get(lang),
                "checked": value not in question.values,
            }
        )
        fields.append(
            {
                "id": question.id,
                "text": question.text.get(lang),
                "help": question.help.get(lang) if question.help else "",
                "error": errors[question.id].get(lang) if question.id in errors else "",
                "options": options,
                "from_registry": bool(registry and registry.answers.get(question.id) == value and value),
            }
        )
    return fields


def _where_text(where: engine.Where, departments: dict[str, str], lang: str) -> str:
    if where.kind == "office":
        return where.office.get(lang)
    name = departments.get(where.department or "", where.department or "")
    if where.kind == "online":
        return _("オンライン（担当：%(department)s）") % {"department": name}
    return f"{name} {where.window.get(lang)}" if where.window else name


def _results(guide, answers, event_date, today, lang) -> dict:
    departments = selectors.department_names(lang)
    applicable = engine.evaluate(guide, answers, procedures=selectors.procedure_refs(), event_date=event_date)
    groups = {kind: [] for kind, _label in GROUPS}
    for item in applicable:
        deadline_date = item.deadline_date
        open_day = _next_business_day(deadline_date) if deadline_date else None
        groups[item.where.kind].append(
            {
                "id": item.id,
                "title": item.title.get(lang),
                "reason": item.reason.get(lang),
                "certain": item.certain,
                "undecided": [guide.question(q).text.get(lang) for q in item.undecided],
                "where": _where_text(item.where, departments, lang),
                "online": item.where.kind == "online",
                "bring": [b.get(lang) for b in item.bring],
                "deadline": item.deadline.get(lang) if item.deadline else "",
                "deadline_date": _date_text(deadline_date, lang) if deadline_date else "",
                "deadline_moved": _date_text(open_day, lang)
                if open_day and open_day != deadline_date
                else "",
                "overdue": bool(open_day and open_day < today),
                "procedure_url": reverse("portal:procedure", args=[item.procedure]) if item.procedure else "",
                "apply_url": reverse("portal:apply", args=[item.procedure])
                if item.procedure and item.where.kind == "online"
                else "",
            }
        )
    return {
        "groups": [{"kind": kind, "label": label, "items": groups[kind]} for kind, label in GROUPS],
        "certain_count": sum(1 for a in applicable if a.certain),
        "possible_count": sum(1 for a in applicable if not a.certain),
        "event_date_text": _date_text(event_date, lang) if event_date else "",
    }

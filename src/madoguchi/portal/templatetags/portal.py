"""Template tags of the resident portal (also loaded by base.html for the header)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.cases import workflow

register = template.Library()


@register.simple_tag
def timeline_label(action: str) -> str:
    """What a history row means for the resident, in their words (cases.workflow)."""
    return workflow.history_label(action, workflow.RESIDENT)


@register.simple_tag
def municipality_name() -> str:
    """The municipality's name; MUNICIPALITY_NAME_EN (when configured) on English pages."""
    if get_language() == "en":
        return getattr(settings, "MUNICIPALITY_NAME_EN", "") or settings.MUNICIPALITY_NAME
    return settings.MUNICIPALITY_NAME


@register.simple_tag
def municipality_name_html() -> str:
    """The name for page text: marked lang="ja" when an English page has only the Japanese name."""
    name = municipality_name()
    if get_language() == "en" and name == settings.MUNICIPALITY_NAME:
        return format_html('<span lang="ja">{}</span>', name)
    return name


@register.filter(expects_localtime=True)
def when(value) -> str:
    """A date and time as people in the page's language write it (2024年4月1日 9:30 / April 1, 2024 9:30 a.m.)."""
    if not value:
        return ""
    return f"{date_format(value, 'DATE_FORMAT')} {time_format(value, 'TIME_FORMAT')}"


@register.filter(expects_localtime=True)
def day(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


@register.inclusion_tag("portal/_language_switch.html", takes_context=True)
def language_switch(context) -> dict:
    """Links to the same page in the other language (/… is Japanese, /en/… is English)."""
    request = context.get("request")
    current = get_language()
    path = request.get_full_path() if request is not None else "/"
    links = []
    for code, label in settings.LANGUAGES:
        target = translate_url(path, code)
        if target == path and code != current:
            # Not resolvable (e.g. a 404 page): fall back to the home page of that language.
            target = "/en/" if code == "en" else "/"
        links.append({"code": code, "label": label, "url": target, "current": code == current})
    return {"links": links}


@register.simple_tag(takes_context=True)
def unread_notice_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_resident", False):
        return 0
    from madoguchi.notify.models import Notice

    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


@register.simple_tag
def status_badge(status: str) -> str:
    """A status badge: symbol + text + colour (JIS X 8341-3: never colour alone), in residents' words."""
    return format_html(
        '<span class="badge badge--{}"><span class="badge__symbol" aria-hidden="true">{}</span>{}</span>',
        status.replace("_", "-"),
        workflow.status_symbol(status),
        workflow.status_label(status, workflow.RESIDENT),
    )


@register.inclusion_tag("portal/_form_field.html")
def form_field(bound_field, css_class: str = "") -> dict:
    """One Django form field with its label, help and errors tied to the input (aria-describedby)."""
    auto_id = bound_field.auto_id
    help_id = f"{auto_id}-help" if bound_field.help_text else ""
    error_id = f"{auto_id}-error" if bound_field.errors else ""
    attrs = {}
    described_by = " ".join(part for part in (error_id, help_id) if part)
    if described_by:
        attrs["aria-describedby"] = described_by
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    if bound_field.field.required:
        attrs["aria-required"] = "true"
    if css_class:
        attrs["class"] = css_class
    return {
        "field": bound_field,
        "widget": bound_field.as_widget(attrs=attrs),
        "help_id": help_id,
        "error_id": error_id,
    }


@register.simple_tag
def form_error_items(form) -> list[dict]:
    """Error-summary entries of a Django form: each message links to its field."""
    if form is None or not form.is_bound or not form.errors:
        return []
    fields = list(form)
    first_id = fields[0].auto_id if fields else ""
    items = [{"target": first_id, "message": message} for message in form.non_field_errors()]
    for bound_field in fields:
        items.extend({"target": bound_field.auto_id, "message": message} for message in bound_field.errors)
    return items


NEXT_STEP_LABELS = {
    "what": _("次にすること"),
    "bring": _("持ち物"),
    "fee": _("手数料"),
    "collect": _("受け取りの場所・時間"),
    "takes": _("かかる時間"),
}


@register.inclusion_tag("portal/_next_step.html")
def next_step(case, status: str = "", title: str = "") -> dict:
    """What happens after the case's status (or `status`), from the procedure's `next_steps` (the version the
    case was filed under); nothing when the procedure does not say."""
    from madoguchi.procedures.selectors import spec_of

    step = spec_of(case.procedure_version).next_step(status or case.status)
    if step is None:
        return {"rows": []}
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    rows: list[dict] = []
    for key, text in step.lines(lang):
        if rows and rows[-1]["key"] == key:
            rows[-1]["items"].append(text)
        else:
            rows.append({"key": key, "label": NEXT_STEP_LABELS[key], "items": [text]})
    return {"rows": rows, "title": title, "status": status or case.status}

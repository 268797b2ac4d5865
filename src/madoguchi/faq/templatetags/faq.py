"""Template tags of the FAQ: the chat widget (once per page) and small helpers for the analytics charts."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()

_RENDERED = "_faq_widget_rendered"


@register.simple_tag(takes_context=True)
def faq_widget(context) -> str:
    """The chat card (at the end of the page, never floating) and panel: at most once per request, not on the full-page chat, never on staff pages."""
    request = context.get("request")
    if request is None or getattr(request, _RENDERED, False):
        return ""
    if _without_widget(request):
        return ""  # the full-page chat needs no widget; staff pages are not for residents
    setattr(request, _RENDERED, True)
    return mark_safe(
        render_to_string("faq/widget.html", {}, request=request)
    )  # our own template, rendered with autoescape


def _without_widget(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and (
        match.namespace == "office"
        or (match.namespace == "faq" and (match.url_name == "chat" or match.url_name.startswith("office_")))
    )


@register.simple_tag(takes_context=True)
def faq_nav_link(context) -> str:
    """The navigation's entry to the chat (one tap away from anywhere, floating over nothing): a link to the
    full-page chat, which the widget's script turns into the opener of its dialog. Not on staff pages."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None) if request is not None else None
    if request is None or (match is not None and match.namespace == "office"):
        return ""
    current = match is not None and match.namespace == "faq" and match.url_name == "chat"
    return mark_safe(
        render_to_string("faq/_nav_link.html", {"current": current}, request=request)
    )  # our own template, rendered with autoescape


@register.filter
def percent(value) -> str:
    """72.4 → "72%"; None → "—"."""
    if value is None:
        return "—"
    return f"{round(float(value))}%"


@register.filter
def bar_width(value) -> str:
    """A share 0–100 as an SVG length (the bar of a chart row); at least a sliver when not zero."""
    share = float(value or 0)
    return f"{max(share, 1.0) if share > 0 else 0:.1f}"

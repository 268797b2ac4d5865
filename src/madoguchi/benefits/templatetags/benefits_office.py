"""The office navigation's entry to the benefit desk (給付金の受付), for the staff who work on benefits only."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from madoguchi.benefits.access import is_benefits_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def benefits_desk_nav(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_benefits_staff(user):
        return ""
    return mark_safe(  # our own template, rendered with autoescape
        render_to_string("benefits/_desk_nav.html", {"current": context.get("nav") == "benefits_desk"})
    )

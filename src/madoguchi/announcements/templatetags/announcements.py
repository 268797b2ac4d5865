"""The announcements the portal's home and My Page show: `{% load announcements %}{% home_announcements %}`.

The portal's templates include them with one line, so the portal's views need not know this room.
"""

from __future__ import annotations

from django import template

from madoguchi.announcements import selectors
from madoguchi.core.i18n import lang_of

register = template.Library()

HOME_COUNT = 3
MYPAGE_COUNT = 10


@register.inclusion_tag("announcements/_home.html", takes_context=True)
def home_announcements(context) -> dict:
    request = context["request"]
    return {"announcements": list(selectors.public()[:HOME_COUNT]), "lang": lang_of(request)}


@register.inclusion_tag("announcements/_mypage.html", takes_context=True)
def mypage_announcements(context) -> dict:
    request = context["request"]
    return {
        "announcements": list(selectors.for_resident(request.user)[:MYPAGE_COUNT]),
        "lang": lang_of(request),
    }


@register.filter
def title_of(announcement, lang: str) -> str:
    return announcement.title_for(lang)


@register.filter
def body_of(announcement, lang: str) -> str:
    return announcement.body_for(lang)


@register.filter
def department_of(department, lang: str) -> str:
    return department.name_for(lang) if department else ""

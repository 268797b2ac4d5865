"""The header of every office page (office/layout.html), as a template context processor.

Office pages are the pages of the office itself, of the nursery rounds, of the core-system hand-off
(`handoff:*`), of the benefit programs (`benefits:*`) and of the FAQ office (`faq:office_*`).
On them every template gets the language links, the staff member's department, the page language and the
punctuation that goes with it; `nav` (the menu entry marked as the current page) is empty unless the view
names it. A view's own context wins over these, so a view sets `nav` (and the FAQ office its `tab`) itself.
Other pages (the portal, the FAQ for residents, the API) get nothing from here.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url

from madoguchi.core.i18n import lang_of
from madoguchi.counter.handoff.selectors import may_export

OFFICE_NAMESPACES = frozenset({"office", "nursery", "handoff", "intake", "benefits"})
FAQ_OFFICE_PREFIX = "office_"  # the FAQ's staff URLs: faq:office_entries, faq:office_inquiries, ...


def is_office_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if match.namespace in OFFICE_NAMESPACES:
        return True
    return match.namespace == "faq" and (match.url_name or "").startswith(FAQ_OFFICE_PREFIX)


def office_chrome(request: HttpRequest) -> dict:
    if not is_office_page(request):
        return {}
    lang = lang_of(request)
    path = request.get_full_path()
    user = getattr(request, "user", None)
    department = getattr(user, "department", None) if user is not None and user.is_authenticated else None
    return {
        "language_links": [
            {"code": code, "label": label, "url": translate_url(path, code), "current": code == lang}
            for code, label in settings.LANGUAGES
        ],
        "staff_department": department.name_for(lang) if department else "",
        "handoff_allowed": may_export(user) if user is not None else False,
        "nav": "",
        "lang": lang,
        "sep": " · " if lang == "en" else "・",
        "colon": ": " if lang == "en" else "：",
    }

"""The page language as Madoguchi's bilingual code names it: "ja" or "en"."""

from __future__ import annotations

from django.http import HttpRequest


def lang_of(request: HttpRequest) -> str:
    """ "en" on an English page, "ja" on every other.

    LocaleMiddleware sets `request.LANGUAGE_CODE` to the language it activated for the request (the /en/ URL
    prefix); a request that did not pass through it counts as Japanese.
    """
    return "en" if getattr(request, "LANGUAGE_CODE", "ja") == "en" else "ja"

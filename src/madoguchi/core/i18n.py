"""The language of a request, as the bilingual messages of Madoguchi need it."""

from __future__ import annotations


def lang_of(request) -> str:
    """ "en" on English pages (/en/…), "ja" everywhere else."""
    return "en" if getattr(request, "LANGUAGE_CODE", "ja") == "en" else "ja"

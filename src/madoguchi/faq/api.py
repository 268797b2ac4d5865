"""The FAQ over the API (mounted by the lead at /api/v1/faq): ask a question, read one entry.

Public (no sign-in): the same answers as the chat, with the engine's JSON shape plus the entry texts. Questions
are logged masked like the chat's, with channel "api"; nothing in a response is HTML.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from madoguchi.api.errors import error_responses
from madoguchi.faq import selectors, services

router = Router(tags=["faq"])


class AskIn(Schema):
    question: str = Field(
        ...,
        max_length=100_000,
        description="The resident's question (any length; read up to 1,000 characters).",
    )
    lang: str | None = Field(
        None, description="ja, en or ja-easy; anything else: detected from the question."
    )
    limit: int = Field(5, ge=1, le=50)


class HitOut(Schema):
    id: str
    score: float


class LinkOut(Schema):
    slug: str
    name: str


class EntryOut(Schema):
    id: str
    category: str
    question: str
    answer: str
    easy_answer: str = Field(description="やさしい日本語 version of the answer, or empty.")
    lang: str = Field(description="Language of question and answer (ja when no English version exists).")
    procedure: LinkOut | None = Field(
        None, description="The portal procedure this entry is about, when published."
    )
    life_event: str = Field(description="Life-event code of the portal's guide (catalog filter), or empty.")


class AskOut(Schema):
    results: list[HitOut]
    abstain: bool
    kind: str = Field(description="answer, abstain, empty, status (about one's own application) or human.")
    lang: str
    answer: EntryOut | None = None
    related: list[EntryOut] = []


def _entry_out(view: selectors.EntryView) -> dict:
    return {
        "id": view.faq_id,
        "category": view.category,
        "question": view.question,
        "answer": view.answer,
        "easy_answer": view.easy_answer,
        "lang": view.lang,
        "procedure": {"slug": view.procedure_slug, "name": view.procedure_name}
        if view.procedure_slug
        else None,
        "life_event": view.life_event,
    }


@router.post("/ask", response={200: AskOut, **error_responses(413, 422)}, auth=None, summary="Ask the FAQ")
def ask(request: HttpRequest, payload: AskIn):
    """Answer one question; `abstain: true` means the FAQ has no confident answer (offer an inquiry)."""
    result = services.ask(question=payload.question, lang=payload.lang, channel="api", limit=payload.limit)
    return {
        **result.to_dict(),
        "kind": result.kind,
        "lang": result.lang,
        "answer": _entry_out(result.best) if result.best else None,
        "related": [_entry_out(v) for v in result.related],
    }


@router.get(
    "/entries/{faq_id}",
    response={200: EntryOut, **error_responses(404)},
    auth=None,
    summary="One FAQ entry",
)
def entry(request: HttpRequest, faq_id: str, lang: str = "ja"):
    """An active entry in `lang` (en falls back to Japanese when not translated)."""
    return _entry_out(selectors.entry_view(faq_id, "en" if lang == "en" else "ja"))

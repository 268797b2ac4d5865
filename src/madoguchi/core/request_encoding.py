"""Refuse form posts that are not UTF-8 with a clear 400, before any view (or the CSRF check) reads them.

Django refuses an `application/x-www-form-urlencoded` body declared in another charset by raising
`BadRequest` when `request.POST` is first read. The CSRF middleware reads it first, and Django's 400 page
reads it again (its CSRF decorator), so the second failure made a 500. Other bodies it cannot read (too
many fields, too large, a broken multipart body) went the same way. This middleware runs first and answers
itself, without touching the rest of the stack:

- a form post (`application/x-www-form-urlencoded`, `multipart/form-data`) whose `charset` is not UTF-8 —
  also an unknown one, which Django would silently read as UTF-8 —, or whose percent-encoded bytes are not
  UTF-8 (Shift_JIS sent without saying so): a page in Japanese and English saying what went wrong and
  what to do;
- any request to `/api/` that declares a charset other than UTF-8: the API's error body
  `{"code", "message": {"ja", "en"}}` (api.errors);
- a form post that cannot be parsed at all: the same page (or JSON) with its own message.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string

FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
UTF8_NAMES = {"utf-8", "utf8"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

MESSAGES = {
    "unsupported_charset": (
        "送信された内容の文字コードが UTF-8 ではないため、受け付けられませんでした。入力内容は保存されていません。"
        "前のページに戻って再読み込みし、もう一度入力して送信してください。同じ表示が続く場合は、最新のブラウザー"
        "（Microsoft Edge、Google Chrome、Safari、Firefox など）をお使いください。",
        "What was sent is not encoded as UTF-8, so it was not accepted, and nothing was saved. Go back to the "
        "previous page, reload it, and enter and send it again. If you see this again, please use an "
        "up-to-date browser (Microsoft Edge, Google Chrome, Safari, Firefox …).",
    ),
    "unreadable_form": (
        "送信された内容を読み取れませんでした（形式が正しくないか、大きすぎます）。入力内容は保存されていません。"
        "前のページに戻って再読み込みし、もう一度入力して送信してください。",
        "What was sent could not be read (its format is broken, or it is too large), so nothing was saved. Go "
        "back to the previous page, reload it, and enter and send it again.",
    ),
}


def _is_utf8_form(body: bytes) -> bool:
    """Whether every name and value of an urlencoded body decodes as UTF-8 once percent-decoded."""
    for pair in body.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return False
    return True


class RequireUtf8FormsMiddleware:
    """Runs before the session, CSRF and every view; see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request) if request.method in BODY_METHODS else None
        if problem:
            return self._refuse(request, problem)
        return self.get_response(request)

    @staticmethod
    def _problem(request) -> str:
        is_api = request.path.startswith("/api/")
        charset = (request.content_params.get("charset") or "").strip().strip('"').lower()
        is_form = request.content_type in FORM_CONTENT_TYPES
        if charset and charset not in UTF8_NAMES and (is_api or is_form):
            return "unsupported_charset"
        if is_api or not is_form:
            return ""
        try:
            if request.content_type == "application/x-www-form-urlencoded" and not _is_utf8_form(
                request.body
            ):
                return "unsupported_charset"
            request.POST  # noqa: B018 - parse it now, where a failure can still be answered properly
        except (BadRequest, SuspiciousOperation, MultiPartParserError, OSError):
            request._mark_post_parse_error()  # nothing later tries to parse it again
            return "unreadable_form"
        return ""

    @staticmethod
    def _refuse(request, code: str) -> HttpResponse:
        ja, en = MESSAGES[code]
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": code, "message": {"ja": ja, "en": en}},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        html = render_to_string(
            "core/bad_form_encoding.html", {"code": code, "message_ja": ja, "message_en": en}
        )
        return HttpResponse(html, status=400, content_type="text/html; charset=utf-8")

"""Security headers Django does not set itself (CSP, permissions policy)."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


# The API's interactive documentation (/api/docs): django-ninja's Swagger UI, served from our own static files
# (the "ninja" app; no CDN, the deployment may be offline), with its settings in a JSON data block and no inline
# script. It needs more than the pages' policy in two places only: the OpenAPI document and "Try it out" are
# fetched (connect-src 'self'), and its stylesheet draws icons as data: SVGs (img-src data:). Nothing else.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_PATH = "/api/docs"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        docs = request.path == DOCS_PATH or request.path.startswith(DOCS_PATH + "/")
        response.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        return response


FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
NUL_MESSAGE_JA = "送信された内容に使えない文字（制御文字）が含まれています。入力し直してください。"
NUL_MESSAGE_EN = (
    "The request contains a character that cannot be used (a control character). Please enter it again."
)


class RejectNulCharactersMiddleware:
    """Refuse a request whose path, query or form data holds a NUL character, before it reaches the database.

    PostgreSQL text cannot store NUL; without this check such input would end in a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                body = {"code": "invalid_characters", "message": {"ja": NUL_MESSAGE_JA, "en": NUL_MESSAGE_EN}}
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            return HttpResponseBadRequest(
                f"{NUL_MESSAGE_JA}\n{NUL_MESSAGE_EN}\n", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", ""):
            return True
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            return True
        # Form posts to the pages (the API reads its JSON body itself and checks its strings there).
        if (
            request.method == "POST"
            and request.content_type in FORM_CONTENT_TYPES
            and not request.path.startswith("/api/")
        ):
            return any(
                "\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists()
            )
        return False


class AuditLookMiddleware:
    """One audit row per look: the reads of one request are collected so that the same look is written once
    (core.audit.one_look_per_request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from madoguchi.core import audit

        with audit.one_look_per_request():
            return self.get_response(request)

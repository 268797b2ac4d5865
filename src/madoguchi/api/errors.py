"""One error shape for the whole API: {"code", "message": {"ja", "en"}, "fields"?}.

`code` is stable and meant for programs; the two messages are for people and say what went wrong and what to
do. `fields` maps a field id (or a parameter name) to a list of {"code", "ja", "en"} when the problem is in
the input. Every exception an endpoint can raise is turned into this shape here, so no client ever has to
parse HTML or a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from madoguchi.core.errors import MadoguchiError

logger = logging.getLogger("madoguchi.api")


class ApiError(MadoguchiError):
    """Raised by endpoints for an expected failure; rendered as the standard error body with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message_ja: str,
        message_en: str,
        fields: Mapping[str, list[dict[str, str]]] | None = None,
    ) -> None:
        super().__init__(code, message_ja, message_en)
        self.http_status = status
        self.fields = dict(fields) if fields else None

    @property
    def status(self) -> int:
        return self.http_status


class ErrorMessage(Schema):
    ja: str
    en: str


class FieldProblem(Schema):
    code: str
    ja: str
    en: str
    part: str | None = None  # the sub-input of a composite field, e.g. bank_account → branch_code


class ErrorOut(Schema):
    """The one error shape of the whole API."""

    code: str
    message: ErrorMessage
    fields: dict[str, list[FieldProblem]] | None = None


# Statuses every operation can answer, whatever it does: 400 (a NUL character in its path or query, refused by
# core.middleware before the API sees it), 500 (a bug) and 503 (the database cannot be reached for a moment:
# every operation may read the session or the database). `error_responses` adds them to each declaration.
ALWAYS_POSSIBLE = (400, 500, 503)
RETRY_AFTER_SECONDS = 5


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's `response={...}`: each status it can answer, all in the one shape.

    Routers list what their operation can answer beyond ALWAYS_POSSIBLE (docs/api.md "Errors" says when):
    401/403 for the authenticated ones, 404 for a path naming a thing, 409 for a refused action, 413 and 422
    for a body, 422 for query parameters with bounds, 429 for a rate limit. The OpenAPI document then lists
    them all, which the schemathesis test (api/tests/test_openapi_conformance.py) holds the code to.
    """
    return dict.fromkeys(sorted({*ALWAYS_POSSIBLE, *statuses}), ErrorOut)


def error_body(
    code: str, message_ja: str, message_en: str, fields: Mapping[str, list[dict[str, str]]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": {"ja": message_ja, "en": message_en}}
    if fields:
        body["fields"] = dict(fields)
    return body


def field_error(code: str, ja: str, en: str) -> dict[str, str]:
    return {"code": code, "ja": ja, "en": en}


def problem_of(message: Any) -> dict[str, str]:
    """A procedures.schema.Message as a field problem (with `part` for composite fields)."""
    problem = field_error(message.code, message.ja, message.en)
    if getattr(message, "part", None):
        problem["part"] = message.part
    return problem


def _respond(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


# --------------------------------------------------------------------------------------------------------------
# Input validation (pydantic, through django-ninja)

# Japanese (and a fixed English) message per pydantic error type; anything else gets the generic one.
_PYDANTIC_MESSAGES: Mapping[str, tuple[str, str]] = {
    "missing": ("入力してください（必須です）。", "This field is required."),
    "string_type": ("文字列で指定してください。", "Send a string."),
    "int_type": ("整数で指定してください。", "Send a whole number."),
    "int_parsing": ("整数で指定してください。", "Send a whole number."),
    "int_from_float": ("整数で指定してください。", "Send a whole number."),
    "bool_type": ("true か false で指定してください。", "Send true or false."),
    "bool_parsing": ("true か false で指定してください。", "Send true or false."),
    "dict_type": ("オブジェクト（{…}）で指定してください。", "Send a JSON object ({…})."),
    "model_type": ("オブジェクト（{…}）で指定してください。", "Send a JSON object ({…})."),
    "model_attributes_type": ("オブジェクト（{…}）で指定してください。", "Send a JSON object ({…})."),
    "list_type": ("配列（[…]）で指定してください。", "Send a JSON array ([…])."),
    "string_too_long": ("文字数が多すぎます。短くしてください。", "The text is too long. Please shorten it."),
    "string_too_short": ("入力してください。", "This field must not be empty."),
    "too_long": ("項目が多すぎます。減らしてください。", "There are too many items. Please send fewer."),
    "greater_than_equal": ("値が小さすぎます。", "The value is too small."),
    "less_than_equal": ("値が大きすぎます。", "The value is too large."),
    "greater_than": ("値が小さすぎます。", "The value is too small."),
    "less_than": ("値が大きすぎます。", "The value is too large."),
    "enum": ("選択肢の中から指定してください。", "Choose one of the allowed values."),
    "literal_error": ("選択肢の中から指定してください。", "Choose one of the allowed values."),
    "string_pattern_mismatch": ("形式が正しくありません。", "The format is not valid."),
    "extra_forbidden": (
        "この項目は受け付けていません。削除してください。",
        "This field is not accepted. Remove it.",
    ),
    "json_invalid": ("JSONとして読み取れません。", "This is not valid JSON."),
    # Raised by our own validators (PydanticCustomError), see cases/api.py.
    "too_many_fields": (
        "項目が多すぎます。フォームの項目だけを送ってください。",
        "Too many fields. Send only the form's fields.",
    ),
    "field_id_invalid": (
        "項目名（フィールド ID）が正しくありません。手続きのフォーム定義にある ID を使ってください。",
        "A field id is not valid. Use the ids from the procedure's form schema.",
    ),
    "value_too_long": ("入力が長すぎます。短くしてください。", "A value is too long. Please shorten it."),
    "value_too_deep": (
        "値の入れ子が深すぎます。文字列、数値、真偽値、またはそれらの配列で送ってください。",
        "A value is nested too deeply. Send strings, numbers, booleans or lists of them.",
    ),
    "invalid_characters": (
        "使用できない文字（制御文字など）が含まれています。削除してから送ってください。",
        "The text contains characters that cannot be used (such as control characters). Remove them.",
    ),
    "bidi_control": (
        "文字の並び順を入れ替える、目に見えない制御文字（U+202E など）が含まれています。削除してから送ってください。",
        "The text contains an invisible control character that reorders text (such as U+202E). Remove it.",
    ),
}
_GENERIC_FIELD = ("値が正しくありません。", "The value is not valid.")

VALIDATION_MESSAGE = (
    "入力内容に誤りがあります。fields に示した項目を確認してください。",
    "Some of the input is not valid. Check the items listed in fields.",
)


def validation_failed(field: str, code: str, ja: str, en: str) -> ApiError:
    """A 422 for one field that only the endpoint can check (e.g. an unknown colleague)."""
    return ApiError(422, "validation_error", *VALIDATION_MESSAGE, fields={field: [field_error(code, ja, en)]})


def _field_key(loc: Iterable[Any], body_params: frozenset[str]) -> str:
    """("body", "payload", "data", "x") → "data.x"; ("query", "status") → "status"; ("body",) → "body"."""
    parts = list(loc)
    source = parts.pop(0) if parts else "body"
    if source == "body" and parts and parts[0] in body_params:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or str(source)


def fields_from_ninja_errors(errors: Iterable[Mapping[str, Any]], body_params: frozenset[str]) -> dict:
    fields: dict[str, list[dict[str, str]]] = {}
    for error in errors:
        kind = str(error.get("type", "")) or "invalid"
        ja, en = _PYDANTIC_MESSAGES.get(kind, _GENERIC_FIELD)
        entry = field_error(kind, ja, en)
        key = _field_key(error.get("loc", ()), body_params)
        fields.setdefault(key, []).append(entry)
    return fields


# Names of the body parameters of our endpoints, stripped from error locations (see cases/api.py).
BODY_PARAMS = frozenset({"payload"})


# --------------------------------------------------------------------------------------------------------------
# The answer to each exception: one table, registered in one loop

Body = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class ErrorAnswer:
    """How the API answers one exception class (and its subclasses, unless they have their own row)."""

    status: int | Callable[[Any], int]  # a fixed status, or read from the exception
    body: Body
    # Extra work on the response (a header, a log line), given the request, the exception and the response.
    finish: Callable[[HttpRequest, Any, HttpResponse], None] | None = None


def fixed(code: str, message_ja: str, message_en: str) -> Body:
    """A body that is the same whatever the exception says."""
    return lambda exc: error_body(code, message_ja, message_en)


def own_message(exc: MadoguchiError) -> dict[str, Any]:
    """The exception's own code and messages (and `fields`, for an ApiError)."""
    return error_body(exc.code, exc.ja, exc.en, getattr(exc, "fields", None))


def hinted_status(exc: MadoguchiError) -> int:
    """The status the exception carries (`MadoguchiError.http_status`)."""
    return exc.http_status


def _pydantic_problems(exc: ValidationError) -> dict[str, Any]:
    return error_body(
        "validation_error", *VALIDATION_MESSAGE, fields_from_ninja_errors(exc.errors, BODY_PARAMS)
    )


def _not_json(exc: Exception) -> dict[str, Any]:
    return error_body(
        "invalid_json",
        "リクエスト本文を JSON として読み取れません。JSON オブジェクト（{…}）を送ってください。",
        "The request body is not valid JSON. Send a JSON object ({…}).",
    )


def _http_error(exc: HttpError) -> dict[str, Any]:
    # django-ninja raises HttpError itself for two things only: a body it cannot parse (400) and a
    # failed CSRF check of cookie authentication (403).
    if exc.status_code == 400:
        return _not_json(exc)
    if exc.status_code == 403 and "csrf" in exc.message.lower():
        return error_body(
            "csrf_failed",
            "セキュリティ確認（CSRF）に失敗しました。ページを再読み込みしてからもう一度お試しください。",
            "The security check (CSRF) failed. Reload the page and try again.",
        )
    return error_body(
        "http_error", "リクエストを処理できませんでした。", "The request could not be processed."
    )


def _ask_for_a_token(request: HttpRequest, exc: AuthenticationError, response: HttpResponse) -> None:
    if request.headers.get("Authorization"):
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'


def _retry_later(request: HttpRequest, exc: Exception, response: HttpResponse) -> None:
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    logger.warning("database unavailable in API %s %s: %s", request.method, request.path, exc)


def _log_unexpected(request: HttpRequest, exc: Exception, response: HttpResponse) -> None:
    logger.exception("unexpected error in API %s %s", request.method, request.path, exc_info=exc)


SERVICE_UNAVAILABLE = (
    "service_unavailable",
    "ただいま一時的に処理できません。しばらく（数秒）待ってから、もう一度お試しください。",
    "The service is briefly unavailable. Please wait a few seconds and try again.",
)

ERROR_ANSWERS: Mapping[type[Exception], ErrorAnswer] = {
    ApiError: ErrorAnswer(hinted_status, own_message),
    ValidationError: ErrorAnswer(422, _pydantic_problems),
    Http404: ErrorAnswer(
        404,
        fixed(
            "not_found",
            "お探しのものは見つかりませんでした。URL や受付番号を確認してください。",
            "Nothing was found here. Check the URL or the case reference.",
        ),
    ),
    AuthenticationError: ErrorAnswer(
        401,
        fixed(
            "authentication_required",
            "認証が必要です。住民の方はポータルにログインしてください。職員の方は有効な API トークンを "
            "Authorization: Bearer ヘッダーで送ってください。",
            "Authentication is required. Residents: sign in to the portal. Staff: send a valid API token "
            "in the Authorization: Bearer header.",
        ),
        finish=_ask_for_a_token,
    ),
    AuthorizationError: ErrorAnswer(
        403, fixed("forbidden", "この操作を行う権限がありません。", "You do not have permission for this.")
    ),
    Throttled: ErrorAnswer(
        429,
        fixed(
            "rate_limited",
            "短い時間にリクエストが多すぎます。しばらく待ってからもう一度お試しください。",
            "Too many requests in a short time. Please wait a moment and try again.",
        ),
    ),
    HttpError: ErrorAnswer(lambda exc: exc.status_code, _http_error),
    RequestDataTooBig: ErrorAnswer(
        413,
        fixed(
            "request_too_large",
            "送信されたデータが大きすぎます。内容を減らしてからもう一度お送りください。",
            "The request is too large. Send less data and try again.",
        ),
    ),
    # A multipart Content-Type without a boundary: Django cannot even start to read the body (the CSRF check
    # of a resident's POST reads it). Not JSON either: the same answer as any other body that is not.
    MultiPartParserError: ErrorAnswer(400, _not_json),
    SuspiciousOperation: ErrorAnswer(
        400,
        fixed("bad_request", "リクエストを処理できませんでした。", "The request could not be processed."),
    ),
    # The database cannot be reached (restarting, failing over, connections exhausted) or ended the statement
    # (a deadlock, a serialisation failure): nothing the caller did, and worth trying again shortly. Not a 500,
    # which says "a bug". Found by the failure drill (bench/faults): a PostgreSQL restart answered 500s.
    OperationalError: ErrorAnswer(503, fixed(*SERVICE_UNAVAILABLE), finish=_retry_later),
    InterfaceError: ErrorAnswer(503, fixed(*SERVICE_UNAVAILABLE), finish=_retry_later),
    Exception: ErrorAnswer(
        500,
        fixed(
            "internal_error",
            "システムで予期しないエラーが発生しました。時間をおいてもう一度お試しください。"
            "続く場合は市役所にお問い合わせください。",
            "An unexpected error occurred. Please try again later, and contact the city office if it "
            "persists.",
        ),
        finish=_log_unexpected,
    ),
}


METHOD_NOT_ALLOWED = (
    "method_not_allowed",
    "この URL はこのメソッドを受け付けません。Allow ヘッダーのメソッドを使ってください。",
    "This URL does not accept this method. Use one of the methods in the Allow header.",
)


class MethodNotAllowedMiddleware:
    """django-ninja answers a method a path does not have with a plain-text 405; under /api/ this gives it the one
    error shape (keeping its Allow header), like every other error of the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allow = response.get("Allow", "")
            response = JsonResponse(
                error_body(*METHOD_NOT_ALLOWED), status=405, json_dumps_params={"ensure_ascii": False}
            )
            response["Allow"] = allow
        return response


def answer(api: NinjaAPI, table_row: ErrorAnswer, request: HttpRequest, exc: Exception) -> HttpResponse:
    """The response to `exc` as its row of the table says."""
    status = table_row.status(exc) if callable(table_row.status) else table_row.status
    response = _respond(api, request, status, table_row.body(exc))
    if table_row.finish is not None:
        table_row.finish(request, exc, response)
    return response


def register_exception_handlers(
    api: NinjaAPI, rooms_answers: Mapping[type[Exception], ErrorAnswer] | None = None
) -> None:
    """Replace django-ninja's default handlers so that every error has the one shape.

    `rooms_answers` are the rows of rooms whose services raise exceptions of their own (cases.api.ERROR_ANSWERS),
    in the same shape; the assembly (api.api) passes them, so this module imports no room above it.
    django-ninja picks the row of the exception's nearest class (its MRO), so the order of the rows does not
    matter.
    """
    for exc_class, table_row in {**ERROR_ANSWERS, **(rooms_answers or {})}.items():
        api.add_exception_handler(exc_class, partial(answer, api, table_row))

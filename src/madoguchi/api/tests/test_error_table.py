"""api/errors.py: every row of the error table, with the exact status, headers and JSON bytes it answers."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from madoguchi.api import errors
from madoguchi.api.api import api
from madoguchi.api.errors import ERROR_ANSWERS as API_ERROR_ANSWERS
from madoguchi.api.errors import ApiError, answer, validation_failed
from madoguchi.cases.api import ERROR_ANSWERS as CASE_ERROR_ANSWERS
from madoguchi.cases.services import (
    ApplyNotAllowed,
    CaseValidationError,
    IdempotencyKeyError,
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
)
from madoguchi.cases.workflow import TransitionNotAllowed
from madoguchi.core.errors import MadoguchiError
from madoguchi.procedures.schema import Message
from madoguchi.residents.access import PersonAccessRefused

# The whole table: the API's own rows and the rows the cases room gives next to its router.
ERROR_ANSWERS = {**API_ERROR_ANSWERS, **CASE_ERROR_ANSWERS}

GENERIC_VALIDATION = {
    "ja": "入力内容に誤りがあります。fields に示した項目を確認してください。",
    "en": "Some of the input is not valid. Check the items listed in fields.",
}
INTERNAL_ERROR = {
    "code": "internal_error",
    "message": {
        "ja": "システムで予期しないエラーが発生しました。時間をおいてもう一度お試しください。"
        "続く場合は市役所にお問い合わせください。",
        "en": "An unexpected error occurred. Please try again later, and contact the city office if it "
        "persists.",
    },
}
SERVICE_UNAVAILABLE = {
    "code": "service_unavailable",
    "message": {
        "ja": "ただいま一時的に処理できません。しばらく（数秒）待ってから、もう一度お試しください。",
        "en": "The service is briefly unavailable. Please wait a few seconds and try again.",
    },
}

# One example per row of the table (and a few variants): the status and the whole body it must answer.
CASES = [
    pytest.param(
        ApiError(404, "procedure_not_found", "見つかりません。", "Not found."),
        404,
        {"code": "procedure_not_found", "message": {"ja": "見つかりません。", "en": "Not found."}},
        id="ApiError",
    ),
    pytest.param(
        validation_failed("assignee", "invalid_assignee", "選べません。", "Cannot be chosen."),
        422,
        {
            "code": "validation_error",
            "message": GENERIC_VALIDATION,
            "fields": {
                "assignee": [{"code": "invalid_assignee", "ja": "選べません。", "en": "Cannot be chosen."}]
            },
        },
        id="ApiError-with-fields",
    ),
    pytest.param(
        TransitionNotAllowed("invalid_transition", "できません。", "Not possible."),
        409,
        {"code": "invalid_transition", "message": {"ja": "できません。", "en": "Not possible."}},
        id="TransitionNotAllowed",
    ),
    pytest.param(
        ApplyNotAllowed("procedure_not_online", "窓口へ。", "At the counter."),
        409,
        {"code": "procedure_not_online", "message": {"ja": "窓口へ。", "en": "At the counter."}},
        id="ApplyNotAllowed",
    ),
    pytest.param(
        IdempotencyKeyError("idempotency_key_reused", "別の内容です。", "Another body."),
        422,
        {"code": "idempotency_key_reused", "message": {"ja": "別の内容です。", "en": "Another body."}},
        id="IdempotencyKeyError",
    ),
    pytest.param(
        IdempotencyKeyInProgress("idempotency_key_in_progress", "処理中です。", "Still running."),
        409,
        {"code": "idempotency_key_in_progress", "message": {"ja": "処理中です。", "en": "Still running."}},
        id="IdempotencyKeyInProgress",
    ),
    pytest.param(
        IdempotencyKeyInvalid("idempotency_key_invalid", "キーが不正です。", "Bad key."),
        400,
        {"code": "idempotency_key_invalid", "message": {"ja": "キーが不正です。", "en": "Bad key."}},
        id="IdempotencyKeyInvalid",
    ),
    pytest.param(
        ValidationError(
            [
                {"type": "missing", "loc": ("body", "payload", "procedure")},
                {"type": "no_such_type", "loc": ("query", "status")},
            ]
        ),
        422,
        {
            "code": "validation_error",
            "message": GENERIC_VALIDATION,
            "fields": {
                "procedure": [
                    {
                        "code": "missing",
                        "ja": "入力してください（必須です）。",
                        "en": "This field is required.",
                    }
                ],
                "status": [
                    {"code": "no_such_type", "ja": "値が正しくありません。", "en": "The value is not valid."}
                ],
            },
        },
        id="ValidationError",
    ),
    pytest.param(
        CaseValidationError(
            {
                "bank": [
                    Message("required", "必須です。", "Required."),
                    Message("bad", "違います。", "Wrong.", part="branch_code"),
                ]
            }
        ),
        422,
        {
            "code": "validation_error",
            "message": GENERIC_VALIDATION,
            "fields": {
                "bank": [
                    {"code": "required", "ja": "必須です。", "en": "Required."},
                    {"code": "bad", "ja": "違います。", "en": "Wrong.", "part": "branch_code"},
                ]
            },
        },
        id="CaseValidationError",
    ),
    pytest.param(
        Http404("no such case"),
        404,
        {
            "code": "not_found",
            "message": {
                "ja": "お探しのものは見つかりませんでした。URL や受付番号を確認してください。",
                "en": "Nothing was found here. Check the URL or the case reference.",
            },
        },
        id="Http404",
    ),
    pytest.param(
        AuthorizationError(),
        403,
        {
            "code": "forbidden",
            "message": {
                "ja": "この操作を行う権限がありません。",
                "en": "You do not have permission for this.",
            },
        },
        id="AuthorizationError",
    ),
    pytest.param(
        Throttled(wait=5),
        429,
        {
            "code": "rate_limited",
            "message": {
                "ja": "短い時間にリクエストが多すぎます。しばらく待ってからもう一度お試しください。",
                "en": "Too many requests in a short time. Please wait a moment and try again.",
            },
        },
        id="Throttled",
    ),
    pytest.param(
        HttpError(400, "Cannot parse request body"),
        400,
        {
            "code": "invalid_json",
            "message": {
                "ja": "リクエスト本文を JSON として読み取れません。JSON オブジェクト（{…}）を送ってください。",
                "en": "The request body is not valid JSON. Send a JSON object ({…}).",
            },
        },
        id="HttpError-400",
    ),
    pytest.param(
        HttpError(403, "CSRF check Failed"),
        403,
        {
            "code": "csrf_failed",
            "message": {
                "ja": "セキュリティ確認（CSRF）に失敗しました。ページを再読み込みしてからもう一度お試しください。",
                "en": "The security check (CSRF) failed. Reload the page and try again.",
            },
        },
        id="HttpError-csrf",
    ),
    pytest.param(
        HttpError(405, "Method not allowed"),
        405,
        {
            "code": "http_error",
            "message": {
                "ja": "リクエストを処理できませんでした。",
                "en": "The request could not be processed.",
            },
        },
        id="HttpError-other",
    ),
    pytest.param(
        RequestDataTooBig("too big"),
        413,
        {
            "code": "request_too_large",
            "message": {
                "ja": "送信されたデータが大きすぎます。内容を減らしてからもう一度お送りください。",
                "en": "The request is too large. Send less data and try again.",
            },
        },
        id="RequestDataTooBig",
    ),
    pytest.param(
        MultiPartParserError("Invalid boundary in multipart: None"),
        400,
        {
            "code": "invalid_json",
            "message": {
                "ja": "リクエスト本文を JSON として読み取れません。JSON オブジェクト（{…}）を送ってください。",
                "en": "The request body is not valid JSON. Send a JSON object ({…}).",
            },
        },
        id="MultiPartParserError",
    ),
    pytest.param(
        SuspiciousOperation("odd"),
        400,
        {
            "code": "bad_request",
            "message": {
                "ja": "リクエストを処理できませんでした。",
                "en": "The request could not be processed.",
            },
        },
        id="SuspiciousOperation",
    ),
    pytest.param(RuntimeError("database on fire"), 500, INTERNAL_ERROR, id="Exception"),
    pytest.param(
        OperationalError("connection failed: the database system is starting up"),
        503,
        SERVICE_UNAVAILABLE,
        id="OperationalError",
    ),
    pytest.param(InterfaceError("connection already closed"), 503, SERVICE_UNAVAILABLE, id="InterfaceError"),
    # Classes without a row of their own take the row of their nearest base that has one.
    pytest.param(
        PersonAccessRefused("not_found", "見せられません。", "Cannot be shown."),
        404,
        {
            "code": "not_found",
            "message": {
                "ja": "お探しのものは見つかりませんでした。URL や受付番号を確認してください。",
                "en": "Nothing was found here. Check the URL or the case reference.",
            },
        },
        id="Http404-subclass",
    ),
    pytest.param(
        MadoguchiError("x", "日本語", "English"), 500, INTERNAL_ERROR, id="MadoguchiError-without-a-row"
    ),
]


def test_the_database_unavailable_asks_to_retry_later(rf, caplog):
    with caplog.at_level(logging.WARNING, logger="madoguchi.api"):
        response = api.on_exception(
            rf.get("/api/v1/anything"), OperationalError("server closed the connection")
        )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # expected: no traceback, not "a bug"


def _expected_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(("exc", "status", "body"), CASES)
def test_every_row_answers_its_status_and_exact_body(rf, exc, status, body):
    response = api.on_exception(rf.get("/api/v1/anything"), exc)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == _expected_bytes(body)
    assert "WWW-Authenticate" not in response


def test_every_row_is_registered_on_the_api_in_one_loop():
    for exc_class, row in ERROR_ANSWERS.items():
        handler = api._exception_handlers[exc_class]
        assert handler.func is answer
        assert handler.args == (api, row)


def test_the_table_covers_the_classes_that_had_a_handler():
    assert set(ERROR_ANSWERS) == {
        ApiError,
        TransitionNotAllowed,
        ApplyNotAllowed,
        IdempotencyKeyError,
        ValidationError,
        CaseValidationError,
        Http404,
        AuthenticationError,
        AuthorizationError,
        Throttled,
        HttpError,
        RequestDataTooBig,
        MultiPartParserError,
        SuspiciousOperation,
        OperationalError,
        InterfaceError,
        Exception,
    }
    assert MadoguchiError not in ERROR_ANSWERS  # an unexpected domain error stays a 500, never a guess
    assert set(CASE_ERROR_ANSWERS) == {
        TransitionNotAllowed,
        ApplyNotAllowed,
        CaseValidationError,
        IdempotencyKeyError,
    }
    assert not set(CASE_ERROR_ANSWERS) & set(API_ERROR_ANSWERS)  # api.errors imports no room above it


AUTHENTICATION_REQUIRED = {
    "code": "authentication_required",
    "message": {
        "ja": "認証が必要です。住民の方はポータルにログインしてください。職員の方は有効な API トークンを "
        "Authorization: Bearer ヘッダーで送ってください。",
        "en": "Authentication is required. Residents: sign in to the portal. Staff: send a valid API token "
        "in the Authorization: Bearer header.",
    },
}


def test_authentication_error_asks_for_a_token_only_when_one_was_sent(rf):
    without = api.on_exception(rf.get("/api/v1/office/queue"), AuthenticationError())
    with_token = api.on_exception(
        rf.get("/api/v1/office/queue", HTTP_AUTHORIZATION="Bearer mdg_wrong"), AuthenticationError()
    )

    for response in (without, with_token):
        assert response.status_code == 401
        assert response.content == _expected_bytes(AUTHENTICATION_REQUIRED)
    assert "WWW-Authenticate" not in without
    assert with_token["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_unexpected_error_is_logged_with_its_traceback(rf, caplog):
    try:
        raise RuntimeError("database on fire")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="madoguchi.api"):
            api.on_exception(rf.post("/api/v1/me/cases"), exc)

    (record,) = [r for r in caplog.records if r.name == "madoguchi.api"]
    assert record.getMessage() == "unexpected error in API POST /api/v1/me/cases"
    assert record.exc_info[1].args == ("database on fire",)


def test_expected_errors_are_not_logged(rf, caplog):
    with caplog.at_level(logging.DEBUG, logger="madoguchi.api"):
        api.on_exception(rf.get("/"), TransitionNotAllowed("x", "j", "e"))

    assert not [r for r in caplog.records if r.name == "madoguchi.api"]


def test_a_status_can_be_read_from_the_exception(rf):
    assert errors.hinted_status(ApiError(418, "teapot", "j", "e")) == 418
    assert api.on_exception(rf.get("/"), ApiError(418, "teapot", "j", "e")).status_code == 418

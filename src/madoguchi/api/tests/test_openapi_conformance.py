"""The OpenAPI document is exact: schemathesis calls every documented operation in-process (WSGI) and checks
that each answer has a documented status, the documented content type and the documented schema, and that
nothing is a server error.

Bounded for CI: a fixed seed, few examples per operation, no stateful phase. Operations under /api/v1/me/ run
with a resident's session (and CSRF token), those under /api/v1/office/ with a staff token; a path's
`{reference}` is, for about half of the examples, a real case of that resident (and of the staff member's
department), so that the 200 answers are checked too, not only the 404s.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from madoguchi.api.tests import factories
from madoguchi.wsgi import application

CSRF_TOKEN = "schemathesiscsrftoken0123456789a"  # 32 characters: Django accepts an unmasked secret
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261207,
        # Credentials come from the fixtures, never generated (a random session cookie would replace ours).
        "generation": {"max-examples": 20, "database": "none", "with-security-parameters": False},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


@pytest.fixture
def in_test_transaction():
    """Django closes the request's database connection when the request ends (as in production), which would
    end the test's transaction; Django's own test client disconnects the same handlers for its requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(procedures, resident, staff, in_test_transaction):
    """The credentials of a signed-in resident and of a staff member, and a real case of both."""
    browser = Client()
    browser.force_login(resident)
    session = browser.cookies["sessionid"].value
    case = factories.submitted_case(applicant=resident)  # of 市民課, the staff member's department
    return {
        "resident": {
            "cookies": {"sessionid": session, "csrftoken": CSRF_TOKEN},
            "headers": {"X-CSRFToken": CSRF_TOKEN},
        },
        "staff": {"headers": staff.headers},
        "reference": case.reference,
    }


def _with_real_reference(case, reference: str) -> None:
    """Every other generated reference (by a stable hash, so runs repeat) becomes a real one."""
    generated = case.path_parameters.get("reference") if case.path_parameters else None
    if generated is not None and zlib.crc32(repr(generated).encode()) % 2 == 0:
        case.path_parameters["reference"] = reference


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_every_answer_is_documented(case, callers):
    _with_real_reference(case, callers["reference"])
    credentials = {}
    if case.path.startswith("/api/v1/me/"):
        credentials = callers["resident"]
    elif case.path.startswith("/api/v1/office/"):
        credentials = callers["staff"]
    response = case.call_and_validate(checks=CHECKS, **credentials)
    if credentials:
        assert response.status_code not in (401, 403), response.text[:300]  # the credentials do work


# --------------------------------------------------------------------------------------------------------------
# The answers generated data rarely reaches: the wrong caller, a body over the size limit. One call each, checked
# by the same schemathesis checks against the document.

OPERATIONS = {op.label: op for op in (result.ok() for result in schema.get_all_operations())}
SECURED = sorted(label for label in OPERATIONS if " /api/v1/me/" in label or " /api/v1/office/" in label)
WITH_BODY = sorted(label for label, op in OPERATIONS.items() if op.method.upper() == "POST")
TOO_LARGE = "x" * (2 * 1024 * 1024 + 1)


def _call(label: str, reference: str, credentials: dict, body=None):
    operation = OPERATIONS[label]
    path_parameters = {"reference": reference} if "{reference}" in operation.path else {}
    if "{faq_id}" in operation.path:
        path_parameters = {"faq_id": "FAQ-001"}
    if "{code}" in operation.path:
        path_parameters = {"code": "1000001"}
    if "{slug}" in operation.path:
        path_parameters = {"slug": "juminhyo-copy"}
    if body is None and operation.method.upper() == "POST":
        body = (
            {"action": "assign"} if "transitions" in operation.path else {"question": "x", "procedure": "x"}
        )
        if "withdraw" in operation.path:
            body = {}
    kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
    case = operation.Case(path_parameters=path_parameters, **kwargs)
    return case.call_and_validate(checks=CHECKS, **credentials)


@pytest.fixture
def wrong_callers(callers, db):
    """Callers that the secured operations refuse."""
    staff_browser = Client()
    staff_browser.force_login(factories.StaffFactory())
    staff_session = staff_browser.cookies["sessionid"].value
    resident_cookies = callers["resident"]["cookies"]
    csrf = {"X-CSRFToken": CSRF_TOKEN}
    return {
        "nobody": {},
        "a wrong token": {"headers": {"Authorization": "Bearer mdg_not-a-token"}},
        "a staff session": {
            "cookies": {"sessionid": staff_session, "csrftoken": CSRF_TOKEN},
            "headers": csrf,
        },
        "a resident session": callers["resident"],
        "a resident session without the CSRF token": {"cookies": resident_cookies},
        "a staff token": callers["staff"],
        "a token of staff without a department": {
            "headers": factories.staff_with_token(department=None).headers
        },
    }


# Who gets what: (resident GET, resident POST, office operation); None where the caller is the right one. A
# resident POST checks the CSRF token before anything else (the session cookie is what it protects), so every
# caller without the token gets its 403.
EXPECTED = {
    "nobody": (401, 403, 401),
    "a wrong token": (401, 403, 401),
    "a staff session": (403, 403, 401),
    "a resident session": (None, None, 401),
    "a resident session without the CSRF token": (None, 403, 401),
    "a staff token": (401, 403, None),
    "a token of staff without a department": (401, 403, 403),
}


@pytest.mark.parametrize("label", SECURED)
def test_refusals_of_wrong_callers_are_documented(label, callers, wrong_callers):
    column = 2 if " /api/v1/office/" in label else (1 if label.startswith("POST") else 0)
    for who, credentials in wrong_callers.items():
        expected = EXPECTED[who][column]
        if expected is not None:
            response = _call(label, callers["reference"], credentials)
            assert response.status_code == expected, (who, response.status_code, response.text[:300])


@pytest.mark.parametrize("label", WITH_BODY)
def test_a_body_over_the_limit_is_a_documented_413(label, callers):
    credentials = callers["resident"] if " /api/v1/me/" in label else callers["staff"]
    response = _call(label, callers["reference"], credentials, body={"question": TOO_LARGE})
    assert response.status_code == 413, response.text[:300]


def test_every_error_status_has_the_one_error_shape():
    for label, operation in OPERATIONS.items():
        responses = operation.definition.raw["responses"]
        errors = {status for status in responses if int(status) >= 400}
        assert {"400", "500", "503"} <= errors, label
        if label in SECURED:
            assert {"401", "403"} <= errors, label
        if label in WITH_BODY:
            assert {"413", "422"} <= errors, label
        for status in errors:
            schema_ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert schema_ref == "#/components/schemas/ErrorOut", (label, status)

"""Property tests: whatever JSON a client sends, the API answers below 500 in the one error shape."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error
from madoguchi.procedures import selectors as procedure_selectors

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def field_ids() -> list[str]:
    spec = procedure_selectors.spec_of(procedure_selectors.get_procedure("juminhyo-copy").current_version)
    return [f.id for f in spec.fields]


def assert_handled(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert_error(response, response.status_code)


@pytest.fixture
def browser(procedures, resident):
    client = Client()
    client.force_login(resident)
    return client


@FUZZ
@given(body=json_values)
def test_any_json_body(browser, body):
    response = browser.generic("POST", "/api/v1/me/cases", json.dumps(body), content_type="application/json")

    assert_handled(response)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes(browser, raw):
    assert_handled(browser.generic("POST", "/api/v1/me/cases", raw, content_type="application/json"))


@FUZZ
@given(data=st.data())
def test_any_values_for_the_real_fields(browser, data):
    """Random values under the procedure's real field ids reach procedures.schema.validate."""
    ids = field_ids()
    values = data.draw(st.dictionaries(st.sampled_from(ids), json_values, max_size=len(ids)), label="data")
    base = data.draw(st.booleans(), label="start from valid data")
    payload = {"procedure": "juminhyo-copy", "data": {**(factories.JUMINHYO_DATA if base else {}), **values}}

    response = browser.generic(
        "POST", "/api/v1/me/cases", json.dumps(payload), content_type="application/json"
    )

    assert_handled(response)


@settings(FUZZ, max_examples=200)
@given(data=st.data(), text=st.text(max_size=30))
def test_any_text_in_any_field(browser, data, text):
    """Typed text, including control characters, surrogates and odd scripts, in each field of valid data."""
    field_id = data.draw(st.sampled_from(field_ids()), label="field")
    payload = {"procedure": "juminhyo-copy", "data": {**factories.JUMINHYO_DATA, field_id: text}}

    response = browser.generic(
        "POST", "/api/v1/me/cases", json.dumps(payload), content_type="application/json"
    )

    assert_handled(response)


@FUZZ
@given(
    text=st.text(max_size=40),
    params=st.dictionaries(
        st.sampled_from(["limit", "offset", "q", "department", "life_event"]), st.text(max_size=8)
    ),
)
def test_any_path_and_query_text(browser, text, params):
    cache.clear()  # the postal-code rate limit would otherwise answer 429 after 120 examples
    assert_handled(browser.get(f"/api/v1/me/cases/{quote(text, safe='')}"))
    assert_handled(browser.generic("POST", f"/api/v1/me/cases/{quote(text, safe='')}/withdraw"))
    assert_handled(browser.get("/api/v1/me/cases", params))
    assert_handled(browser.get("/api/v1/procedures", params))
    assert_handled(browser.get(f"/api/v1/procedures/{quote(text, safe='')}"))
    assert_handled(browser.get(f"/api/v1/postal-codes/{quote(text, safe='')}"))


@settings(FUZZ, max_examples=100)
@given(
    body=json_values,
    query=st.dictionaries(st.sampled_from(["status", "channel", "overdue", "limit"]), st.text(max_size=8)),
)
def test_office_endpoints_with_any_input(procedures, resident, staff, body, query):
    client = Client()
    case = factories.submitted_case(applicant=resident)

    assert_handled(client.get("/api/v1/office/queue", query, headers=staff.headers))
    assert_handled(
        client.generic(
            "POST",
            f"/api/v1/office/cases/{case.reference}/transitions",
            json.dumps(body),
            content_type="application/json",
            headers=staff.headers,
        )
    )


@pytest.mark.parametrize("path", ["/api/v1/me/cases//\n", "/api/v1/\n", "/api/\r\nx"])
def test_a_line_break_in_an_api_path_gets_the_json_404(client, path):
    """Found by the fuzz test above: Django's path converter does not match a line break."""
    assert_error(client.get(path), 404, "not_found")

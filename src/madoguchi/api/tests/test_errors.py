"""Bad input of every kind gets a 4xx in the one error shape, never a 500 and never HTML."""

import json

import pytest

from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error, post_json
from madoguchi.cases.models import Case

pytestmark = pytest.mark.usefixtures("procedures")

URL = "/api/v1/me/cases"


def post_raw(client, body: bytes | str, content_type="application/json"):
    return client.generic("POST", URL, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        '{"procedure": "juminhyo-copy",',
        "{'procedure': 'x'}",
        "procedure=juminhyo-copy",
        "\xff\xfe",
        "[" * 100_000,
    ],
)
def test_body_that_is_not_json_is_a_400(resident_client, body):
    assert_error(post_raw(resident_client, body), 400, "invalid_json")


@pytest.mark.parametrize("body", ["[]", '["juminhyo-copy"]', '"juminhyo-copy"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_422_on_the_body(resident_client, body):
    problems = assert_error(post_raw(resident_client, body), 422, "validation_error")["fields"]

    assert list(problems) == ["body"]


def test_form_encoded_body_is_refused(resident_client):
    response = resident_client.post(URL, {"procedure": "juminhyo-copy"})  # multipart, as an HTML form would

    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "procedure", "missing"),
        ({"data": {}}, "procedure", "missing"),
        ({"procedure": 7}, "procedure", "string_type"),
        ({"procedure": None}, "procedure", "string_type"),
        ({"procedure": ["juminhyo-copy"]}, "procedure", "string_type"),
        ({"procedure": ""}, "procedure", "string_too_short"),
        ({"procedure": "p" * 100_000}, "procedure", "string_too_long"),
        ({"procedure": "juminhyo-copy", "data": "text"}, "data", "dict_type"),
        ({"procedure": "juminhyo-copy", "data": [1, 2]}, "data", "dict_type"),
        ({"procedure": "juminhyo-copy", "data": None}, "data", "dict_type"),
        ({"procedure": "juminhyo-copy", "data": {}, "status": "approved"}, "status", "extra_forbidden"),
        ({"procedure": "juminhyo-copy", "data": {"applicant_name": "あ" * 10_001}}, "data", "value_too_long"),
        ({"procedure": "juminhyo-copy", "data": {"Applicant Name": "x"}}, "data", "field_id_invalid"),
        ({"procedure": "juminhyo-copy", "data": {"x" * 61: "x"}}, "data", "field_id_invalid"),
        (
            {"procedure": "juminhyo-copy", "data": {f"f{i}": "x" for i in range(201)}},
            "data",
            "too_many_fields",
        ),
        ({"procedure": "juminhyo-copy", "data": {"members": [[[["deep"]]]]}}, "data", "value_too_deep"),
        ({"procedure": "juminhyo-copy", "data": {"members": ["x"] * 101}}, "data", "too_long"),
    ],
)
def test_wrong_shapes_are_a_422_naming_the_field(resident_client, body, field, code):
    problems = assert_error(post_json(resident_client, URL, body), 422, "validation_error")["fields"]

    assert [p["code"] for p in problems[field]] == [code]
    assert not Case.objects.exists()


@pytest.mark.parametrize("name", ["緑\u0000太郎", "緑\ud800太郎", "緑\x07太郎"])
def test_control_characters_and_lone_surrogates_are_refused_not_stored(resident_client, name):
    body = json.dumps(
        {"procedure": "juminhyo-copy", "data": {**factories.JUMINHYO_DATA, "applicant_name": name}}
    )

    problems = assert_error(post_raw(resident_client, body), 422, "validation_error")["fields"]

    assert problems["applicant_name"][0]["code"] == "invalid_characters"
    assert not Case.objects.exists()


def test_huge_text_within_the_limits_gets_the_procedures_own_length_message(resident_client):
    data = {**factories.JUMINHYO_DATA, "applicant_address": "長" * 5000}

    problems = assert_error(
        post_json(resident_client, URL, {"procedure": "juminhyo-copy", "data": data}), 422
    )["fields"]

    assert problems["applicant_address"][0]["code"] == "too_long"


def test_body_over_the_upload_limit_is_a_413(resident_client):
    body = json.dumps({"procedure": "juminhyo-copy", "data": {"applicant_name": "x" * (3 * 1024 * 1024)}})

    assert_error(post_raw(resident_client, body), 413, "request_too_large")


def test_unknown_api_url_is_a_json_404(client):
    for response in (
        client.get("/api/v2/procedures"),
        client.post("/api/nothing/here"),
        client.delete("/api/v1"),
    ):
        assert_error(response, 404, "not_found")


def test_an_unexpected_failure_is_a_json_500_and_is_logged(resident_client, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("madoguchi.cases.selectors.cases_of_applicant", broken)

    body = assert_error(resident_client.get(URL), 500, "internal_error")

    assert "database on fire" not in json.dumps(body)
    assert any(record.name == "madoguchi.api" and record.exc_info for record in caplog.records)


def test_validation_messages_are_in_both_languages(resident_client):
    body = assert_error(post_json(resident_client, URL, {"procedure": 1}), 422)

    problem = body["fields"]["procedure"][0]
    assert problem == {"code": "string_type", "ja": "文字列で指定してください。", "en": "Send a string."}
    assert body["message"]["ja"].startswith("入力内容に誤りがあります")


def test_openapi_document_and_docs_page_are_served(client):
    schema = client.get("/api/openapi.json")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/procedures",
        "/api/v1/procedures/{slug}",
        "/api/v1/postal-codes/{code}",
        "/api/v1/me/cases",
        "/api/v1/me/cases/{reference}",
        "/api/v1/me/cases/{reference}/withdraw",
        "/api/v1/office/queue",
        "/api/v1/office/cases/{reference}",
        "/api/v1/office/cases/{reference}/transitions",
        "/api/v1/faq/ask",
        "/api/v1/faq/entries/{faq_id}",
    } == set(paths)
    assert "ErrorOut" in schema.json()["components"]["schemas"]
    assert client.get("/api/docs").status_code == 200


def test_the_docs_page_has_its_own_strict_csp_and_no_cdn(client):
    """Swagger UI from our static files (the deployment may be offline); tests/e2e/test_api_docs.py renders it."""
    page = client.get("/api/docs")
    policy = page["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; script-src 'self'; style-src 'self';")
    assert "unsafe" not in policy and "http" not in policy
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "<script>" not in html  # no inline script: the settings are a JSON data block
    assert client.get("/api/openapi.json")["Content-Security-Policy"].startswith("default-src 'self'")


def test_japanese_is_sent_as_utf8_not_escaped(client):
    response = client.get("/api/v1/postal-codes/1000001")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "東京都".encode() in response.content


def test_a_lone_surrogate_in_a_response_still_renders(rf):
    from madoguchi.api.renderers import Utf8JSONRenderer

    rendered = Utf8JSONRenderer().render(rf.get("/"), {"name": "緑\ud800"}, response_status=200)

    assert json.loads(rendered) == {"name": "緑\ud800"}


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/v1/procedures"), ("DELETE", "/api/v1/me/cases")])
def test_a_method_the_path_does_not_have_is_a_json_405_with_allow(client, method, path):
    response = client.generic(method, path)

    body = assert_error(response, 405, "method_not_allowed")
    assert body["message"]["en"].startswith("This URL does not accept this method")
    assert {m.strip() for m in response["Allow"].split(",")} >= {"GET"}

"""/api/v1/me/cases: a signed-in resident applies, follows and withdraws their own cases."""

import re

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error, post_json
from madoguchi.cases.models import Case, CaseHistory, Channel, Status

pytestmark = pytest.mark.usefixtures("procedures")

URL = "/api/v1/me/cases"


def apply(client, data=None, procedure="juminhyo-copy", **kwargs):
    return post_json(
        client,
        URL,
        {"procedure": procedure, "data": factories.JUMINHYO_DATA if data is None else data},
        **kwargs,
    )


def test_create_submits_the_case_and_returns_it(resident_client, resident):
    response = apply(resident_client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", body["reference"])
    assert body["status"] == "submitted"
    assert body["status_label"]["ja"] == "受付"
    assert body["channel"] == "online"
    assert body["procedure"]["slug"] == "juminhyo-copy"
    assert body["actions"] == ["withdraw"]
    assert body["data"]["applicant_kana"] == "ミドリ\u3000タロウ"  # normalised by the procedure's schema
    assert body["data"]["copies"] == 1
    assert [entry["action"] for entry in body["timeline"]] == ["submit"]
    case = Case.objects.get(reference=body["reference"])
    assert case.applicant == resident
    assert case.channel == Channel.ONLINE
    assert case.status == Status.SUBMITTED
    assert case.due_date is not None


def test_invalid_data_is_a_422_with_the_procedures_messages_per_field(resident_client):
    data = {**factories.JUMINHYO_DATA, "applicant_phone": "12", "copies": 99}
    del data["applicant_name"]

    body = assert_error(apply(resident_client, data), 422, "validation_error")

    assert set(body["fields"]) == {"applicant_name", "applicant_phone", "copies"}
    assert body["fields"]["applicant_name"][0]["code"] == "required"
    assert body["fields"]["copies"][0]["code"] == "out_of_range"
    assert "10" in body["fields"]["copies"][0]["ja"]
    assert not Case.objects.exists()


def test_required_if_is_enforced(resident_client):
    data = {**factories.JUMINHYO_DATA, "purpose": "other"}

    body = assert_error(apply(resident_client, data), 422, "validation_error")

    assert body["fields"]["purpose_other"][0]["code"] == "required_if"


def test_empty_data_lists_every_required_field(resident_client):
    body = assert_error(apply(resident_client, {}), 422, "validation_error")

    assert {"applicant_name", "applicant_phone", "purpose", "delivery_method", "agree"} <= set(body["fields"])


@pytest.mark.parametrize("slug", ["no-such-procedure", "Juminhyo-Copy", "../juminhyo-copy", "\u0000"])
def test_unknown_procedure_is_a_404(resident_client, slug):
    assert_error(apply(resident_client, procedure=slug), 404, "procedure_not_found")
    assert not Case.objects.exists()


def test_procedure_that_is_not_online_is_a_409(resident_client):
    assert_error(apply(resident_client, {}, procedure="inkan-toroku"), 409, "procedure_not_online")


def test_procedure_that_needs_identity_verification_is_a_409(resident_client):
    assert_error(apply(resident_client, {}, procedure="jido-teate"), 409, "identity_verification_required")


def test_unknown_field_ids_are_named(resident_client):
    body = assert_error(apply(resident_client, {**factories.JUMINHYO_DATA, "favourite_colour": "green"}), 422)

    assert body["fields"] == {"favourite_colour": [body["fields"]["favourite_colour"][0]]}
    assert body["fields"]["favourite_colour"][0]["code"] == "unknown_field"


def test_file_metadata_cannot_stand_in_for_an_upload(resident_client):
    """Without this check a client could claim an identity document that was never uploaded."""
    forged = {"name": "id.pdf", "size": 1000, "content_type": "application/pdf"}
    data = {**factories.JUMINHYO_DATA, "delivery_method": "mail", "id_document": forged}

    body = assert_error(apply(resident_client, data), 422, "validation_error")

    assert body["fields"]["id_document"][0]["code"] == "file_not_supported"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("copies", [1]),
        ("copies", True),
        ("copies", {"n": 1}),
        ("applicant_name", 42),
        ("applicant_name", ["緑"]),
        ("agree", ["on"]),
        ("purpose", {"value": "license"}),
        ("include_items", 3),
        ("include_items", [1, 2]),
    ],
)
def test_values_of_the_wrong_json_type_are_named(resident_client, field, value):
    body = assert_error(
        apply(resident_client, {**factories.JUMINHYO_DATA, field: value}), 422, "validation_error"
    )

    assert body["fields"][field][0]["code"] == "wrong_type"
    assert not Case.objects.exists()


def test_values_as_strings_like_the_portal_posts_them_are_accepted(resident_client):
    data = {**factories.JUMINHYO_DATA, "copies": "２", "agree": "on", "include_items": ["honseki"]}

    response = apply(resident_client, data)

    assert response.status_code == 201, response.content
    assert response.json()["data"]["copies"] == 2
    assert response.json()["data"]["include_items"] == ["honseki"]


def test_list_shows_only_my_cases_newest_first_with_pagination(resident, resident_client, other_resident):
    mine = [factories.submitted_case(applicant=resident).reference for _ in range(3)]
    factories.submitted_case(applicant=other_resident)

    first = resident_client.get(URL, {"limit": 2}).json()
    second = resident_client.get(URL, {"limit": 2, "offset": 2}).json()

    assert first["count"] == second["count"] == 3
    assert [c["reference"] for c in first["items"] + second["items"]] == mine[::-1]
    assert (first["limit"], first["offset"], second["offset"]) == (2, 0, 2)
    assert "data" not in first["items"][0]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}])
def test_bad_pagination_is_a_422(resident_client, params):
    body = assert_error(resident_client.get(URL, params), 422, "validation_error")

    assert set(body["fields"]) <= {"limit", "offset"}


def test_detail_of_my_case_has_data_and_the_visible_timeline(resident_client, case):
    response = resident_client.get(f"{URL}/{case.reference}")

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference
    assert body["data"]["applicant_name"] == "緑 太郎"
    assert body["timeline"][0]["to_status"] == "submitted"


def test_reference_may_be_typed_in_lower_case(resident_client, case):
    assert resident_client.get(f"{URL}/{case.reference.lower()}").status_code == 200


def test_timeline_hides_internal_steps(resident_client, case, staff):
    from madoguchi.cases import services

    services.transition(case=case, action="assign", actor=staff.user)

    timeline = resident_client.get(f"{URL}/{case.reference}").json()["timeline"]

    assert [entry["action"] for entry in timeline] == ["submit"]


def test_withdraw_my_open_case(resident_client, case):
    response = post_json(resident_client, f"{URL}/{case.reference}/withdraw", {"note": "不要になりました"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert response.json()["actions"] == []
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert case.history.last().note == "不要になりました"


def test_withdraw_needs_no_body(resident_client, case):
    response = resident_client.generic("POST", f"{URL}/{case.reference}/withdraw")  # like curl -X POST

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"


def test_withdrawing_twice_is_a_409_and_changes_nothing(resident_client, case):
    post_json(resident_client, f"{URL}/{case.reference}/withdraw", {})
    history = CaseHistory.objects.filter(case=case).count()

    body = assert_error(
        post_json(resident_client, f"{URL}/{case.reference}/withdraw", {}), 409, "invalid_transition"
    )

    assert "取下げ" in body["message"]["ja"]
    assert CaseHistory.objects.filter(case=case).count() == history


def test_signed_out_is_a_401(client, case):
    assert_error(client.get(URL), 401, "authentication_required")
    assert_error(client.get(f"{URL}/{case.reference}"), 401, "authentication_required")
    assert_error(apply(client), 401, "authentication_required")


def test_staff_session_is_refused_with_403(client, staff):
    client.force_login(staff.user)

    assert_error(client.get(URL), 403, "residents_only")


def test_staff_token_does_not_open_resident_endpoints(client, staff):
    assert_error(client.get(URL, headers=staff.headers), 401, "authentication_required")


def test_unsafe_methods_need_the_csrf_token(resident):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(resident)

    assert_error(apply(browser), 403, "csrf_failed")
    assert not Case.objects.exists()

    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    assert apply(browser, headers={"X-CSRFToken": token}).status_code == 201
    assert browser.get(URL).status_code == 200  # safe methods need no token


def test_a_multipart_body_without_a_boundary_is_a_400_not_a_500(resident):
    """Found by schemathesis: the CSRF check reads a form body, and Django cannot parse this one at all."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(resident)
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    response = browser.generic(
        "POST",
        URL,
        b'{"procedure": "juminhyo-copy"}',
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token},
    )
    assert_error(response, 400, "invalid_json")

"""/api/v1/office: staff systems with a bearer token work their department's queue."""

import datetime as dt

import pytest
from django.utils import timezone

from madoguchi.accounts.models import ApiToken, Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.api.tests import factories
from madoguchi.api.tests.helpers import assert_error, post_json
from madoguchi.cases.models import Case, CaseHistory, Status
from madoguchi.core.audit import verify_chain
from madoguchi.core.models import AuditEvent


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


pytestmark = pytest.mark.usefixtures("procedures")


def transition(client, staff, case, **body):
    return post_json(
        client, f"/api/v1/office/cases/{case.reference}/transitions", body, headers=staff.headers
    )


# --- authentication -------------------------------------------------------------------------------------------


def test_no_token_is_a_401(client):
    response = client.get("/api/v1/office/queue")

    assert_error(response, 401, "authentication_required")
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize(
    "header",
    [
        "Bearer mdg_not-a-real-token",
        "Bearer ",
        "Bearer nope",
        "Basic dXNlcjpwYXNz",
        "Bearer mdg_" + "x" * 5000,
        "mdg_x",
    ],
)
def test_wrong_token_is_a_401(client, staff, header):
    response = client.get("/api/v1/office/queue", headers={"Authorization": header})

    assert_error(response, 401, "authentication_required")


def test_revoked_token_is_a_401(client, staff):
    ApiToken.objects.filter(user=staff.user).update(revoked_at=timezone.now())

    assert_error(client.get("/api/v1/office/queue", headers=staff.headers), 401)


def test_token_of_a_resident_or_an_inactive_user_does_not_work(client, staff, resident):
    type(staff.user).objects.filter(pk=staff.user.pk).update(is_active=False)

    assert_error(client.get("/api/v1/office/queue", headers=staff.headers), 401)


def test_staff_without_a_department_is_a_403(client):
    lonely = factories.staff_with_token(department=None)

    assert_error(client.get("/api/v1/office/queue", headers=lonely.headers), 403, "no_department")


def test_token_use_is_recorded(client, staff):
    client.get("/api/v1/office/queue", headers=staff.headers)

    assert ApiToken.objects.get(user=staff.user).last_used_at is not None


# --- queue ----------------------------------------------------------------------------------------------------


def test_queue_lists_the_departments_open_cases_by_due_date(client, staff, resident):
    cases = [factories.submitted_case(applicant=resident) for _ in range(3)]
    Case.objects.filter(pk=cases[2].pk).update(due_date=dt.date(2020, 1, 6))

    response = client.get("/api/v1/office/queue", headers=staff.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["items"][0]["reference"] == cases[2].reference
    assert body["items"][0]["overdue"] is True
    assert body["items"][1]["overdue"] is False
    assert body["items"][0]["applicant_name"] == "緑 太郎"
    assert "data" not in body["items"][0]


def test_queue_filters(client, staff, resident):
    open_case, overdue, approved = (factories.submitted_case(applicant=resident) for _ in range(3))
    Case.objects.filter(pk=overdue.pk).update(due_date=dt.date(2020, 1, 6))
    Case.objects.filter(pk=approved.pk).update(status=Status.APPROVED)

    def references(**params):
        response = client.get("/api/v1/office/queue", params, headers=staff.headers)
        assert response.status_code == 200, response.content
        return {item["reference"] for item in response.json()["items"]}

    assert references(status="approved") == {approved.reference}
    assert references(overdue="true") == {overdue.reference}
    assert references(procedure="juminhyo-copy", channel="online") == {
        open_case.reference,
        overdue.reference,
        approved.reference,
    }
    assert references(procedure="kazei-shomei") == set()
    assert references(channel="paper") == set()
    assert references(assigned_to_me="true") == set()


def test_queue_pages_with_limit_and_offset(client, staff, resident):
    for _ in range(5):
        factories.submitted_case(applicant=resident)

    pages = [
        client.get("/api/v1/office/queue", {"limit": 2, "offset": offset}, headers=staff.headers).json()
        for offset in (0, 2, 4)
    ]

    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert {page["count"] for page in pages} == {5}
    assert len({item["reference"] for page in pages for item in page["items"]}) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -5}, "offset"),
        ({"procedure": "p" * 81}, "procedure"),
    ],
)
def test_bad_queue_filters_are_a_422_naming_the_parameter(client, staff, params, field):
    body = assert_error(
        client.get("/api/v1/office/queue", params, headers=staff.headers), 422, "validation_error"
    )

    assert list(body["fields"]) == [field]


# --- one case (audited) ---------------------------------------------------------------------------------------


def test_case_detail_for_staff(client, staff, case):
    response = client.get(f"/api/v1/office/cases/{case.reference}", headers=staff.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference
    assert body["department"] == "shimin"
    assert body["procedure_version"] == 1
    assert body["data"]["applicant_phone"] == "0312345678"
    assert body["timeline"][0]["actor"] == case.applicant.email
    assert body["actions"] == [
        "assign",
        "start_review",
        "request_information",
        "submit_for_decision",
        "approve",
        "reject",
    ]
    assert (body["reviewed_by"], body["decided_by"], body["review_summary"]) == (None, None, "")


def test_reading_a_case_writes_an_audit_row(client, staff, case):
    client.get(f"/api/v1/office/cases/{case.reference}", headers=staff.headers, REMOTE_ADDR="192.0.2.7")

    event = AuditEvent.objects.get(object_type="case", object_id=case.reference)
    assert event.actor_id == staff.user.pk
    assert event.action == "read"
    assert event.channel == "api"
    assert event.purpose == "case_review"
    assert event.client_ip == "192.0.2.7"
    assert "applicant_phone" in event.fields
    assert list(verify_chain()) == []


def test_the_queue_itself_is_not_an_audited_read(client, staff, case):
    client.get("/api/v1/office/queue", headers=staff.headers)

    assert not AuditEvent.objects.exists()


# --- transitions ----------------------------------------------------------------------------------------------


def test_assign_to_myself(client, staff, case):
    response = transition(client, staff, case, action="assign")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"  # assigning keeps the status
    assert body["assignee"] == staff.user.email
    assert body["timeline"][-1]["action"] == "assign"
    assert body["timeline"][-1]["visible_to_applicant"] is False


def test_assign_to_a_colleague_by_email(client, staff, case):
    colleague = StaffFactory(department=staff.user.department, role=Role.REVIEWER)

    response = transition(client, staff, case, action="assign", assignee=colleague.email.upper())

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == colleague.email


def test_an_in_review_case_is_handed_on_to_a_colleague(client, staff, case):
    colleague = StaffFactory(department=staff.user.department, role=Role.REVIEWER)
    transition(client, staff, case, action="assign")
    transition(client, staff, case, action="start_review")

    response = transition(client, staff, case, action="assign", assignee=colleague.email)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["assignee"]) == ("in_review", colleague.email)
    assert body["timeline"][-1]["note"] == f"担当: {colleague.display_name}"
    assert body["timeline"][-1]["actor"] == staff.user.email


def _someone_who_cannot_hold_the_case(kind: str, staff) -> str:
    if kind == "other department":
        return StaffFactory(department=DepartmentFactory(code="zeimu")).email
    if kind == "resident":
        return ResidentFactory().email
    if kind == "inactive":
        return StaffFactory(department=staff.user.department, is_active=False).email
    if kind == "auditor":
        return StaffFactory(department=staff.user.department, role=Role.AUDITOR).email
    return "nobody@city.midori.example.jp"


@pytest.mark.parametrize("kind", ["other department", "resident", "inactive", "auditor", "unknown"])
def test_an_assignee_who_cannot_hold_the_case_is_a_422_and_changes_nothing(client, staff, case, kind):
    email = _someone_who_cannot_hold_the_case(kind, staff)
    history = CaseHistory.objects.filter(case=case).count()

    body = assert_error(transition(client, staff, case, action="assign", assignee=email), 422)

    assert body["code"] == "validation_error"
    [problem] = body["fields"]["assignee"]
    assert problem["code"] == "invalid_assignee"
    # One wording whatever the reason: the answer does not tell whether an account exists.
    assert problem["ja"].startswith("担当者には、この申請の担当課で審査を行う職員")
    assert problem["en"].startswith("The assignee must be an active staff account of this case's department")
    case.refresh_from_db()
    assert (case.status, case.assignee_id) == (Status.SUBMITTED, None)
    assert CaseHistory.objects.filter(case=case).count() == history


def test_an_assignee_with_another_action_is_a_422(client, staff, case):
    colleague = StaffFactory(department=staff.user.department, role=Role.REVIEWER)

    body = assert_error(transition(client, staff, case, action="approve", assignee=colleague.email), 422)

    assert body["fields"]["assignee"][0]["code"] == "invalid_assignee"
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("kind", ["colleague", "resident", "unknown"])
def test_assigning_a_closed_case_is_a_409_whoever_the_email_names(client, staff, case, kind):
    email = (
        StaffFactory(department=staff.user.department, role=Role.REVIEWER).email
        if kind == "colleague"
        else _someone_who_cannot_hold_the_case(kind, staff)
    )
    transition(client, staff, case, action="reject", note="要件を満たしていません。")

    body = assert_error(
        transition(client, staff, case, action="assign", assignee=email), 409, "invalid_transition"
    )

    assert body["message"]["ja"] and body["message"]["en"]
    assert Case.objects.get(pk=case.pk).assignee_id is None


def test_approve_then_complete(client, staff, case):
    assert transition(client, staff, case, action="approve").json()["status"] == "approved"
    body = transition(client, staff, case, action="complete").json()

    assert body["status"] == "completed"
    assert body["closed_at"] is not None
    assert body["actions"] == []


def test_request_information_with_a_note_reaches_the_resident(client, staff, case, resident_client):
    response = transition(
        client, staff, case, action="request_information", note="本籍の記載が必要か教えてください。"
    )

    assert response.status_code == 200
    timeline = resident_client.get(f"/api/v1/me/cases/{case.reference}").json()["timeline"]
    assert timeline[-1]["note"] == "本籍の記載が必要か教えてください。"
    assert timeline[-1]["to_status"] == "waiting_for_applicant"


def test_note_required_is_a_409(client, staff, case):
    assert_error(transition(client, staff, case, action="reject"), 409, "note_required")


@pytest.mark.parametrize(
    ("action", "code"), [("complete", "invalid_transition"), ("explode", "unknown_action")]
)
def test_illegal_transition_is_a_409_and_changes_nothing(client, staff, case, action, code):
    history = CaseHistory.objects.filter(case=case).count()

    body = assert_error(transition(client, staff, case, action=action), 409, code)

    assert body["message"]["ja"] and body["message"]["en"]
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert CaseHistory.objects.filter(case=case).count() == history


def test_a_reviewer_cannot_approve(client, case):
    reviewer = factories.staff_with_token(department=DepartmentFactory(code="shimin"), role=Role.REVIEWER)

    assert_error(transition(client, reviewer, case, action="approve"), 409, "forbidden_action")
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_staff_cannot_withdraw_for_the_resident(client, staff, case):
    assert_error(transition(client, staff, case, action="withdraw"), 409, "forbidden_action")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": ""}, "action"),
        ({"action": 5}, "action"),
        ({"action": "approve", "note": None}, "note"),
        ({"action": "approve", "note": "x" * 4001}, "note"),
        ({"action": "approve", "note": "bad\u0000byte"}, "note"),
        ({"action": "approve", "colour": "red"}, "colour"),
    ],
)
def test_bad_transition_bodies_are_a_422(client, staff, case, body, field):
    response = post_json(
        client, f"/api/v1/office/cases/{case.reference}/transitions", body, headers=staff.headers
    )

    assert field in assert_error(response, 422, "validation_error")["fields"]
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_transitions_are_audited_reads_too(client, staff, case):
    transition(client, staff, case, action="assign")

    assert (
        AuditEvent.objects.filter(object_id=case.reference, purpose="case_transition", channel="api").count()
        == 1
    )

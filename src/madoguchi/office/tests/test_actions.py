"""Every case action through the office UI, internal notes, and forged POSTs that must change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases.models import CaseHistory, CaseMessage, CaseNote, Direction, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import OutboxEvent


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


pytestmark = pytest.mark.django_db


def _act(client, case, action: str, note: str = "", prefix: str = ""):
    url = prefix + reverse("office:case_action", kwargs={"reference": case.reference})
    # confirmed: the second step of approve and reject (tested in office/tests/test_decision.py)
    return client.post(url, {"action": action, "note": note, "confirmed": "yes"}, follow=True)


def _snapshot(case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.assignee_id,
        case.status_changed_at,
        case.closed_at,
        CaseHistory.objects.filter(case=case).count(),
        CaseMessage.objects.filter(case=case).count(),
        OutboxEvent.objects.count(),
    )


def test_assign_takes_the_case(approver_client, approver, procedure):
    case = CaseFactory(procedure=procedure)

    response = _act(approver_client, case, "assign")

    case.refresh_from_db()
    assert case.status == Status.SUBMITTED  # assigning keeps the status
    assert case.assignee == approver
    assert "「担当者の設定」を行いました。" in response.content.decode()


def test_request_information_messages_the_resident_and_the_case_waits(approver_client, procedure):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)

    _act(approver_client, case, "request_information", note="課税証明書を添付してください。")

    case.refresh_from_db()
    assert case.status == Status.WAITING_FOR_APPLICANT
    message = CaseMessage.objects.get(case=case)
    assert message.direction == Direction.TO_APPLICANT
    assert message.body == "課税証明書を添付してください。"


def test_request_information_needs_a_message(approver_client, procedure):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)
    before = _snapshot(case)

    response = _act(approver_client, case, "request_information", note="   ")

    assert _snapshot(case) == before
    assert "理由またはメッセージを入力してください。" in response.content.decode()


def test_approve_then_complete(approver_client, procedure):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)

    _act(approver_client, case, "approve")
    case.refresh_from_db()
    assert case.status == Status.APPROVED

    _act(approver_client, case, "complete")
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.closed_at is not None
    assert list(CaseHistory.objects.filter(case=case).values_list("action", flat=True)) == [
        "approve",
        "complete",
    ]


def test_reject_with_a_reason(approver_client, approver, procedure):
    case = CaseFactory(procedure=procedure)

    _act(approver_client, case, "reject", note="所得制限を超えているため。")

    case.refresh_from_db()
    history = CaseHistory.objects.get(case=case)
    assert case.status == Status.REJECTED
    assert history.note == "所得制限を超えているため。"
    assert history.actor == approver
    assert history.visible_to_applicant


def test_reject_without_a_reason_is_refused(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    before = _snapshot(case)

    response = _act(approver_client, case, "reject")

    assert _snapshot(case) == before
    assert "理由またはメッセージを入力してください。" in response.content.decode()


def test_refusal_message_in_english(approver_client, procedure):
    case = CaseFactory(procedure=procedure, status=Status.COMPLETED)

    response = _act(approver_client, case, "approve", prefix="/en")

    assert "so this action is not possible" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.COMPLETED, "approve"),
        (Status.REJECTED, "complete"),
        (Status.SUBMITTED, "complete"),
        (Status.WAITING_FOR_APPLICANT, "approve"),
        (Status.APPROVED, "reject"),
        (Status.IN_REVIEW, "withdraw"),  # a resident's action
        (Status.WAITING_FOR_APPLICANT, "provide_information"),  # a resident's action
        (Status.SUBMITTED, "submit"),
        (Status.SUBMITTED, "delete"),  # no such action
        (Status.SUBMITTED, ""),
    ],
)
def test_forged_illegal_post_changes_nothing(approver_client, procedure, status, action):
    case = CaseFactory(procedure=procedure, status=status)
    before = _snapshot(case)

    response = _act(approver_client, case, action, note="forged")

    assert response.status_code == 200
    assert _snapshot(case) == before
    assert "message--error" in response.content.decode()


def test_forged_approve_by_a_reviewer_changes_nothing(client, reviewer, procedure):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)
    client.force_login(reviewer)
    before = _snapshot(case)

    response = _act(client, case, "approve")

    assert _snapshot(case) == before
    assert "権限がありません" in response.content.decode()


def test_forged_post_by_an_auditor_changes_nothing(client, procedure, kosodate):
    auditor = StaffFactory(department=kosodate, role=Role.AUDITOR)
    case = CaseFactory(procedure=procedure)
    client.force_login(auditor)
    before = _snapshot(case)

    _act(client, case, "approve")

    assert _snapshot(case) == before


def test_action_on_another_departments_case_is_404(client, procedure, kankyo):
    case = CaseFactory(procedure=procedure)
    client.force_login(StaffFactory(department=kankyo, role=Role.DEPARTMENT_ADMIN))
    before = _snapshot(case)

    response = client.post(
        reverse("office:case_action", kwargs={"reference": case.reference}), {"action": "approve"}
    )

    assert response.status_code == 404
    assert _snapshot(case) == before


def test_actions_need_post(approver_client, procedure):
    case = CaseFactory(procedure=procedure)

    response = approver_client.get(reverse("office:case_action", kwargs={"reference": case.reference}))

    assert response.status_code == 405


def test_overlong_note_is_refused_with_a_message(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    before = _snapshot(case)

    response = _act(approver_client, case, "reject", note="長" * 4001)

    assert _snapshot(case) == before
    assert "message--error" in response.content.decode()


# ---- internal notes ---------------------------------------------------------------------------------------


def test_add_internal_note(approver_client, approver, procedure):
    case = CaseFactory(procedure=procedure)

    response = approver_client.post(
        reverse("office:add_note", kwargs={"reference": case.reference}),
        {"body": "本人に電話で確認。"},
        follow=True,
    )

    note = CaseNote.objects.get(case=case)
    assert note.author == approver
    assert note.body == "本人に電話で確認。"
    assert "内部メモを追加しました。" in response.content.decode()
    assert not CaseMessage.objects.filter(case=case).exists()


def test_empty_note_is_refused(approver_client, procedure):
    case = CaseFactory(procedure=procedure)

    response = approver_client.post(
        reverse("office:add_note", kwargs={"reference": case.reference}), {"body": "  "}, follow=True
    )

    assert not CaseNote.objects.exists()
    assert "メモの内容を入力してください。" in response.content.decode()


def test_note_on_another_departments_case_is_404(client, procedure, kankyo):
    case = CaseFactory(procedure=procedure)
    client.force_login(StaffFactory(department=kankyo))

    response = client.post(reverse("office:add_note", kwargs={"reference": case.reference}), {"body": "x"})

    assert response.status_code == 404
    assert not CaseNote.objects.exists()

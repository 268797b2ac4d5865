"""Review, then decision (決裁): a reviewer sends a case for decision with a summary; another staff member approves
or rejects it after a confirmation step (no JavaScript needed); the case shows who reviewed and who decided;
assigning never changes the status. The rule MADOGUCHI_DECISION_BY_ANOTHER_STAFF is on by default."""

from __future__ import annotations

import pytest
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases import services, workflow
from madoguchi.cases.models import CaseHistory, Status
from madoguchi.cases.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

SUMMARY = "記載内容と添付書類を住民記録と照合しました。要件を満たしています。"


def _act(client, case, action: str, note: str = "", **extra):
    url = reverse("office:case_action", kwargs={"reference": case.reference})
    return client.post(url, {"action": action, "note": note, **extra}, follow=True)


@pytest.fixture
def second_approver(kosodate):
    return StaffFactory(department=kosodate, role=Role.APPROVER, display_name="決裁 二郎")


def _ready(case, reviewer):
    services.transition(case=case, action="start_review", actor=reviewer)
    services.transition(case=case, action="submit_for_decision", actor=reviewer, note=SUMMARY)
    case.refresh_from_db()
    return case


def test_the_rule_is_on_by_default(settings):
    assert workflow.decision_by_another_staff() is True


def test_assign_keeps_the_status_in_every_open_status(procedure, approver, reviewer):
    for status in (
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.WAITING_FOR_APPLICANT,
        Status.READY_FOR_DECISION,
    ):
        case = CaseFactory(procedure=procedure, status=status)
        before = case.status_changed_at
        result = services.transition(case=case, action="assign", actor=approver, assignee=reviewer)
        case.refresh_from_db()
        assert (case.status, case.assignee, case.status_changed_at) == (status, reviewer, before)
        assert (result.history.from_status, result.history.to_status) == (status, status)


def test_review_then_decision_by_another_staff_member(procedure, approver, reviewer):
    case = _ready(CaseFactory(procedure=procedure), reviewer)
    assert case.status == Status.READY_FOR_DECISION
    assert case.reviewed_by == reviewer

    services.transition(case=case, action="approve", actor=approver)

    case.refresh_from_db()
    assert (case.status, case.reviewed_by, case.decided_by) == (Status.APPROVED, reviewer, approver)
    assert list(case.history.values_list("action", "actor_id", "visible_to_applicant")) == [
        ("start_review", reviewer.pk, False),
        ("submit_for_decision", reviewer.pk, False),
        ("approve", approver.pk, True),
    ]
    assert case.history.get(action="submit_for_decision").note == SUMMARY


def test_the_reviewer_cannot_decide_their_own_review(procedure, approver, second_approver):
    case = _ready(CaseFactory(procedure=procedure), approver)  # an approver may review too

    for action in ("approve", "reject"):
        assert not workflow.can(approver, action, case)
        with pytest.raises(workflow.TransitionNotAllowed) as error:
            services.transition(case=case, action=action, actor=approver, note="理由")
        assert error.value.code == "same_reviewer"
    assert workflow.can(second_approver, "approve", case)


def test_no_decision_before_review(procedure, approver):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)

    with pytest.raises(workflow.TransitionNotAllowed) as error:
        services.transition(case=case, action="approve", actor=approver)

    assert error.value.code == "review_required"
    assert [t.action for t in workflow.actions_for(approver, case)] == [
        "assign",
        "request_information",
        "submit_for_decision",
    ]


def test_a_summary_is_required_to_send_for_decision(procedure, reviewer):
    case = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)

    with pytest.raises(workflow.TransitionNotAllowed) as error:
        services.transition(case=case, action="submit_for_decision", actor=reviewer, note="  ")

    assert error.value.code == "note_required"
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW and case.reviewed_by is None


def test_with_the_rule_off_the_reviewer_may_decide(settings, procedure, approver):
    settings.DECISION_BY_ANOTHER_STAFF = False
    case = _ready(CaseFactory(procedure=procedure), approver)

    services.transition(case=case, action="approve", actor=approver)

    case.refresh_from_db()
    assert case.decided_by == case.reviewed_by == approver


def test_the_approver_returns_a_case_to_review(procedure, approver, reviewer):
    case = _ready(CaseFactory(procedure=procedure), reviewer)

    services.transition(
        case=case, action="return_to_review", actor=approver, note="添付の確認をお願いします。"
    )

    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not workflow.can(approver, "approve", case)


def test_approve_asks_for_confirmation_first(client, procedure, approver, reviewer):
    case = _ready(CaseFactory(procedure=procedure), reviewer)
    client.force_login(approver)
    page = client.get(reverse("office:case_detail", kwargs={"reference": case.reference})).content.decode()
    assert "審査の所見" in page and SUMMARY in page
    assert "審査 花子" in page  # who reviewed

    first = _act(client, case, "approve")

    case.refresh_from_db()
    assert case.status == Status.READY_FOR_DECISION  # nothing written yet
    body = first.content.decode()
    assert "「承認する」を確定しますか" in body
    assert 'name="confirmed" value="yes"' in body
    assert SUMMARY in body

    second = _act(client, case, "approve", confirmed="yes")

    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.decided_by == approver
    body = second.content.decode()
    assert "決裁 一郎" in body  # who decided, on the case page


def test_reject_without_a_reason_is_refused_before_the_confirmation(client, procedure, approver, reviewer):
    case = _ready(CaseFactory(procedure=procedure), reviewer)
    client.force_login(approver)

    body = _act(client, case, "reject").content.decode()

    case.refresh_from_db()
    assert case.status == Status.READY_FOR_DECISION
    assert "理由またはメッセージを入力してください。" in body
    assert "確定しますか" not in body


def test_the_reviewer_is_not_offered_the_decision(client, procedure, approver):
    case = _ready(CaseFactory(procedure=procedure), approver)
    client.force_login(approver)

    body = client.get(reverse("office:case_detail", kwargs={"reference": case.reference})).content.decode()

    assert 'value="approve"' not in body
    assert "承認・却下は別の決裁者が行います" in body
    response = _act(client, case, "approve", confirmed="yes")
    assert "別の決裁者に依頼してください" in response.content.decode()
    assert not CaseHistory.objects.filter(case=case, action="approve").exists()


def test_bulk_approval_asks_for_confirmation(client, procedure, approver, reviewer):
    case = _ready(CaseFactory(procedure=procedure), reviewer)
    client.force_login(approver)

    body = client.post(reverse("office:bulk_approve"), {"case": [case.pk]}).content.decode()

    case.refresh_from_db()
    assert case.status == Status.READY_FOR_DECISION
    assert "1件を承認しますか" in body and case.reference in body
    client.post(reverse("office:bulk_approve"), {"case": [case.pk], "confirmed": "yes"})
    case.refresh_from_db()
    assert case.status == Status.APPROVED

"""Handing a case to a colleague: `transition(action="assign", assignee=...)` and `selectors.assignable_staff`."""

import pytest

from madoguchi.accounts.models import Department, Role, User
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases import selectors, services, workflow
from madoguchi.cases.models import CaseCount, CaseHistory, CaseMessage, Status
from madoguchi.cases.tests import test_services
from madoguchi.core.models import OutboxEvent
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db

VALID = test_services.VALID  # the same 住民票の写し application as the services tests


@pytest.fixture
def case():
    resident = ResidentFactory(email="hanako@example.jp")
    return services.create_and_submit_case(applicant=resident, procedure=juminhyo(), raw=VALID)


def staff(email: str, *, department: str = "shimin", role: str = Role.REVIEWER, **extra) -> User:
    return StaffFactory(email=email, department=DepartmentFactory(code=department), role=role, **extra)


@pytest.fixture
def approver(case):
    return staff("approver@city.example.jp", role=Role.APPROVER, display_name="決裁 一郎")


@pytest.fixture
def colleague(case):
    return staff("colleague@city.example.jp", display_name="審査 花子")


def written(case) -> tuple:
    """Everything an action can write: the case row, its history and messages, the outbox, the counters."""
    case.refresh_from_db()
    return (
        case.status,
        case.assignee_id,
        case.status_changed_at,
        CaseHistory.objects.filter(case=case).count(),
        CaseMessage.objects.filter(case=case).count(),
        OutboxEvent.objects.count(),
        sorted(CaseCount.objects.values_list("department_id", "status", "n")),
    )


def test_assign_to_a_colleague(case, approver, colleague):
    result = services.transition(case=case, action="assign", actor=approver, assignee=colleague)

    case.refresh_from_db()
    assert case.status == Status.SUBMITTED  # assigning never changes the status (start_review does)
    assert case.assignee == colleague
    assert result.history.actor == approver
    assert result.history.note == "担当: 審査 花子"
    assert (result.history.from_status, result.history.to_status) == (Status.SUBMITTED, Status.SUBMITTED)
    assert result.history.visible_to_applicant is False
    event = OutboxEvent.objects.filter(topic="case.status_changed").get()
    assert event.payload["action"] == "assign"
    assert event.payload["to"] == Status.SUBMITTED
    assert event.payload["note"] == ""  # staff-only history: the note stays out of the event


def test_without_an_assignee_the_actor_takes_the_case(case, approver):
    services.transition(case=case, action="assign", actor=approver)

    case.refresh_from_db()
    assert case.assignee == approver
    assert case.history.get(action="assign").note == "担当: 決裁 一郎"


def test_a_case_in_review_is_handed_on(case, approver, colleague):
    services.transition(case=case, action="assign", actor=approver)
    services.transition(case=case, action="start_review", actor=approver)
    assert workflow.check("assign", Status.IN_REVIEW, Role.REVIEWER).target is None

    result = services.transition(case=case, action="assign", actor=approver, assignee=colleague)

    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert case.assignee == colleague
    assert (result.history.from_status, result.history.to_status) == (Status.IN_REVIEW, Status.IN_REVIEW)
    assert list(case.history.values_list("action", "note")) == [
        ("submit", ""),
        ("assign", "担当: 決裁 一郎"),
        ("start_review", ""),
        ("assign", "担当: 審査 花子"),
    ]
    assert {c.status: c.n for c in CaseCount.objects.all() if c.n} == {Status.IN_REVIEW: 1}
    assert OutboxEvent.objects.filter(topic="case.status_changed").count() == 3


def test_a_reviewer_hands_a_case_to_a_colleague(case, colleague):
    reviewer = staff("reviewer@city.example.jp")

    services.transition(case=case, action="assign", actor=reviewer, assignee=colleague)

    case.refresh_from_db()
    assert case.assignee == colleague


def _other_department(case):
    return staff("kankyo@city.example.jp", department="kankyo")


def _resident(case):
    return ResidentFactory(email="taro@example.jp")


def _inactive(case):
    return staff("retired@city.example.jp", is_active=False)


def _deactivated_since_it_was_read(case):
    """An object that was active when the caller read it: the service reads the account again."""
    user = staff("leaving@city.example.jp")
    User.objects.filter(pk=user.pk).update(is_active=False)
    return user


def _moved_since_it_was_read(case):
    user = staff("moved@city.example.jp")
    User.objects.filter(pk=user.pk).update(department=Department.objects.get(code="zeimu"))
    return user


def _auditor(case):
    return staff("auditor@city.example.jp", role=Role.AUDITOR)


@pytest.mark.parametrize(
    "make_assignee",
    [
        _other_department,
        _resident,
        _inactive,
        _deactivated_since_it_was_read,
        _moved_since_it_was_read,
        _auditor,
    ],
)
def test_an_assignee_who_cannot_hold_the_case_is_refused_and_nothing_is_written(
    case, approver, make_assignee
):
    assignee = make_assignee(case)
    before = written(case)

    with pytest.raises(workflow.TransitionNotAllowed) as error:
        services.transition(case=case, action="assign", actor=approver, assignee=assignee)

    assert error.value.code == "invalid_assignee"
    assert "担当者" in error.value.message("ja")
    assert "assignee" in error.value.message("en")
    assert written(case) == before


def test_refused_in_review_reassignment_keeps_the_current_assignee(case, approver):
    services.transition(case=case, action="assign", actor=approver)
    before = written(case)

    with pytest.raises(workflow.TransitionNotAllowed):
        services.transition(case=case, action="assign", actor=approver, assignee=_other_department(case))

    assert written(case) == before
    assert case.assignee == approver


def test_an_assignee_only_goes_with_assign(case, approver, colleague):
    before = written(case)

    with pytest.raises(workflow.TransitionNotAllowed) as error:
        services.transition(case=case, action="start_review", actor=approver, assignee=colleague)

    assert error.value.code == "invalid_assignee"
    assert written(case) == before


def test_assignable_staff_are_the_departments_active_case_workers(case, approver, colleague):
    admin = staff("admin@city.example.jp", role=Role.DEPARTMENT_ADMIN, display_name="管理 三郎")
    for make_someone_else in (_other_department, _resident, _inactive, _auditor):
        make_someone_else(case)

    department = Department.objects.get(code="shimin")
    assert set(selectors.assignable_staff(department_id=department.pk)) == {approver, colleague, admin}
    assert not selectors.assignable_staff(department_id=None).exists()

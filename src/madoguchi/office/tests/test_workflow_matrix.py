"""Every action from every status for every kind of actor, through cases.services.transition.

An action succeeds exactly when cases.workflow.TRANSITIONS allows it; otherwise TransitionNotAllowed is
raised and nothing at all is written (case, history, messages, outbox). The one exception is `submit`: a draft
becomes a case only through cases.services.submit_case, which validates the whole form first, so
`transition()` refuses it on every path (tested in cases/tests/test_services.py too).
"""

from __future__ import annotations

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases import services, workflow
from madoguchi.cases.models import CaseHistory, CaseMessage, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

ACTOR_KINDS = [workflow.RESIDENT, *Role.values]
ACTIONS = [*workflow.TRANSITIONS, "no_such_action"]


def _allowed(action: str, status: str, kind: str) -> bool:
    if action == "submit":
        return False  # only through submit_case
    rule = workflow.TRANSITIONS.get(action)
    return rule is not None and status in rule.sources and kind in rule.actors


def _state(case) -> tuple:
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


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_succeeds_exactly_when_the_table_allows_it(procedure, kosodate, action, status, kind):
    resident = ResidentFactory()
    case = CaseFactory(procedure=procedure, status=status, applicant=resident)
    actor = resident if kind == workflow.RESIDENT else StaffFactory(department=kosodate, role=kind)
    before = _state(case)

    if _allowed(action, status, kind):
        result = services.transition(case=case, action=action, actor=actor, note="理由")
        rule = workflow.TRANSITIONS[action]
        case.refresh_from_db()
        assert case.status == (rule.target or status)
        assert result.history.action == action
        assert (result.history.from_status, result.history.to_status) == (status, case.status)
        assert result.history.actor == actor
        assert result.history.visible_to_applicant == rule.visible_to_applicant
        assert CaseHistory.objects.filter(case=case).count() == before[4] + 1
        if action == "assign":
            assert case.assignee == actor
        if case.status in workflow.CLOSED:
            assert case.closed_at is not None
    else:
        with pytest.raises(workflow.TransitionNotAllowed):
            services.transition(case=case, action=action, actor=actor, note="理由")
        assert _state(case) == before


def test_the_matrix_is_not_trivial():
    """Guard against a table where nothing (or everything) is allowed: the test above would then prove little."""
    combos = [(a, s, k) for a in ACTIONS for s in Status.values for k in ACTOR_KINDS]
    allowed = [c for c in combos if _allowed(*c)]

    assert 10 < len(allowed) < len(combos) / 2
    assert not any(k == Role.AUDITOR for _, _, k in allowed)


@pytest.mark.parametrize(
    "action", [a for a, rule in workflow.TRANSITIONS.items() if rule.actors - {workflow.RESIDENT}]
)
@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED])
def test_staff_of_another_department_can_never_act(procedure, action, status):
    case = CaseFactory(procedure=procedure, status=status)
    outsider = StaffFactory(department=DepartmentFactory(code="kankyo"), role=Role.DEPARTMENT_ADMIN)
    before = _state(case)

    with pytest.raises(workflow.TransitionNotAllowed):
        services.transition(case=case, action=action, actor=outsider, note="理由")

    assert _state(case) == before


@pytest.mark.parametrize("action", [a for a, rule in workflow.TRANSITIONS.items() if rule.note_required])
def test_actions_that_need_a_text_refuse_an_empty_one(procedure, kosodate, action):
    rule = workflow.TRANSITIONS[action]
    status = sorted(rule.sources)[0]
    case = CaseFactory(procedure=procedure, status=status)
    kind = sorted(rule.actors - {workflow.RESIDENT})[0]
    actor = StaffFactory(department=kosodate, role=kind)
    before = _state(case)

    with pytest.raises(workflow.TransitionNotAllowed) as excinfo:
        services.transition(case=case, action=action, actor=actor, note="  ")

    assert excinfo.value.code == "note_required"
    assert _state(case) == before

"""The workflow vocabulary: `can()` for every action × actor × status, and the services that obey it.

`can(actor, action, case)` allows an action exactly when `cases.workflow.TRANSITIONS` allows it from the
case's status for the actor's kind, and the case is the resident's own or of the staff member's department.
Through `cases.services.transition` an allowed action succeeds and a refused one raises TransitionNotAllowed
and writes nothing at all (case, history, messages, outbox). The one exception is `submit`: a draft becomes a
case only through cases.services.submit_case, which validates the whole form first, so `transition()`
refuses it on every path (tested in test_services.py too).

(Moved from office/tests/test_workflow_matrix.py.)
"""

from __future__ import annotations

import pytest
from django.utils import translation

from madoguchi.accounts.models import Role, User, UserKind
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases import services, workflow
from madoguchi.cases.models import Case, CaseHistory, CaseMessage, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import OutboxEvent
from madoguchi.procedures.tests.factories import ProcedureFactory


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


ACTOR_KINDS = [workflow.RESIDENT, *Role.values]
ACTIONS = [*workflow.TRANSITIONS, "no_such_action"]
STAFF_ACTIONS = [a for a, rule in workflow.TRANSITIONS.items() if rule.actors - {workflow.RESIDENT}]


@pytest.fixture
def kosodate(db):
    return DepartmentFactory(code="kosodate")


@pytest.fixture
def procedure(kosodate):
    return ProcedureFactory(slug="jido-teate", department=kosodate)


def _table_allows(action: str, status: str, kind: str) -> bool:
    rule = workflow.TRANSITIONS.get(action)
    return rule is not None and status in rule.sources and kind in rule.actors


def _allowed(action: str, status: str, kind: str) -> bool:
    """What transition() allows: the table, except submit (only through submit_case)."""
    return action != "submit" and _table_allows(action, status, kind)


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

    # The actor's own case (or department's): can() is the table, what the pages and the API offer.
    assert workflow.can(actor, action, case) == _table_allows(action, status, kind)

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


@pytest.mark.parametrize("action", STAFF_ACTIONS)
@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED])
def test_staff_of_another_department_can_never_act(procedure, action, status):
    case = CaseFactory(procedure=procedure, status=status)
    outsider = StaffFactory(department=DepartmentFactory(code="kankyo"), role=Role.DEPARTMENT_ADMIN)
    before = _state(case)

    assert not workflow.can(outsider, action, case)

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


# ---------------------------------------------------------------------------------------------------------
# can() for every action × actor × status, own case or not (no database: can() reads attributes only)

OWN_DEPARTMENT, OTHER_DEPARTMENT = 10, 20
APPLICANT, SOMEONE_ELSE = 1, 2


def _actor(kind: str) -> User:
    if kind == workflow.RESIDENT:
        return User(pk=APPLICANT, kind=UserKind.RESIDENT)
    return User(pk=100, kind=UserKind.STAFF, role=kind, department_id=OWN_DEPARTMENT)


def _case(status: str, *, own: bool) -> Case:
    return Case(
        status=status,
        applicant_id=APPLICANT if own else SOMEONE_ELSE,
        department_id=OWN_DEPARTMENT if own else OTHER_DEPARTMENT,
    )


@pytest.mark.parametrize("own", [True, False], ids=["own", "not_own"])
@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_can_is_the_table_on_ones_own_cases_only(action, status, kind, own):
    actor, case = _actor(kind), _case(status, own=own)
    expected = _table_allows(action, status, kind) and own

    assert workflow.can(actor, action, case) is expected
    if expected:
        assert workflow.require(actor, action, case) is workflow.TRANSITIONS[action]
        return
    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        workflow.require(actor, action, case)
    if action not in workflow.TRANSITIONS:
        assert refused.value.code == "unknown_action"
    elif status not in workflow.TRANSITIONS[action].sources:
        assert refused.value.code == "invalid_transition"
    else:
        assert refused.value.code == "forbidden_action"
    assert refused.value.http_status == 409
    assert refused.value.message("ja") and refused.value.message("en")


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("status", Status.values)
def test_actions_for_lists_what_can_allows_in_the_tables_order(status, kind):
    actor = _actor(kind)

    offered = workflow.actions_for(actor, _case(status, own=True))

    assert offered == [t for t in workflow.TRANSITIONS.values() if _table_allows(t.action, status, kind)]
    assert workflow.actions_for(actor, _case(status, own=False)) == []


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("action", ACTIONS)
def test_may_take_is_the_role_alone(action, kind):
    rule = workflow.TRANSITIONS.get(action)

    assert workflow.may_take(_actor(kind), action) is (rule is not None and kind in rule.actors)


def test_only_approvers_may_approve_and_only_residents_withdraw():
    assert [k for k in ACTOR_KINDS if workflow.may_take(_actor(k), workflow.Action.APPROVE)] == [
        Role.APPROVER,
        Role.DEPARTMENT_ADMIN,
    ]
    assert [k for k in ACTOR_KINDS if workflow.may_take(_actor(k), workflow.Action.WITHDRAW)] == [
        workflow.RESIDENT
    ]


def test_every_action_is_in_the_table_and_stored_as_its_name():
    assert set(workflow.TRANSITIONS) == set(workflow.Action)
    assert all(rule.action == action for action, rule in workflow.TRANSITIONS.items())
    assert workflow.Action("request_information") is workflow.Action.REQUEST_INFORMATION
    assert f"{workflow.Action.APPROVE}" == "approve"


# ---------------------------------------------------------------------------------------------------------
# Status groups


def test_status_groups_split_the_submitted_statuses():
    undecided, in_progress, closed = map(set, (workflow.UNDECIDED, workflow.IN_PROGRESS, workflow.CLOSED))

    assert undecided < in_progress
    assert in_progress - undecided == {Status.APPROVED}
    assert not in_progress & closed
    assert in_progress | closed | {Status.DRAFT} == set(Status.values)
    # In the order of Status, so that pages list them the same way every time.
    for group in (workflow.UNDECIDED, workflow.IN_PROGRESS, workflow.CLOSED):
        assert list(group) == [s for s in Status.values if s in group]


def test_what_may_be_withdrawn_or_rejected_is_what_is_undecided():
    for action in (workflow.Action.WITHDRAW, workflow.Action.REJECT):
        assert workflow.TRANSITIONS[action].sources == set(workflow.UNDECIDED)


def test_every_closing_action_ends_in_a_closed_status():
    targets = {rule.target for rule in workflow.TRANSITIONS.values() if rule.target}

    assert set(workflow.CLOSED) <= targets
    assert all(
        (rule.target in workflow.CLOSED) == (rule.action in {"reject", "complete", "withdraw"})
        for rule in workflow.TRANSITIONS.values()
    )


# ---------------------------------------------------------------------------------------------------------
# Words per audience


@pytest.mark.parametrize("status", Status.values)
def test_every_status_has_a_symbol_and_a_name_for_each_audience(status):
    assert workflow.status_symbol(status) in {"✎", "●", "!", "◆", "✓", "×", "−"}
    for audience in (workflow.RESIDENT, workflow.STAFF):
        with translation.override("ja"):
            assert workflow.status_label(status, audience) == str(Status(status).label)
        with translation.override("en"):
            assert workflow.status_label(status, audience) not in ("", status)


def test_residents_and_staff_read_their_own_words():
    with translation.override("en"):
        assert (
            workflow.status_label(Status.WAITING_FOR_APPLICANT, workflow.RESIDENT) == "Waiting for your reply"
        )
        assert (
            workflow.status_label(Status.WAITING_FOR_APPLICANT, workflow.STAFF) == "Waiting for the applicant"
        )
        assert workflow.history_label("withdraw", workflow.RESIDENT) == "You withdrew the application"
        assert workflow.history_label("withdraw", workflow.STAFF) == "Withdrawn"
        assert workflow.button_label("assign") == "Assign"
        assert workflow.note_label("reject") == "Reason for rejection"
        assert workflow.note_label("approve") == "Reason or message"


def test_unknown_codes_are_shown_as_they_are():
    assert workflow.status_label("archived", workflow.STAFF) == "archived"
    assert workflow.status_symbol("archived") == "●"
    assert workflow.history_label("merge", workflow.RESIDENT) == "merge"
    assert workflow.button_label("merge") == "merge"
    assert workflow.applicant_notice("merge") is None


@pytest.mark.parametrize("action", list(workflow.Action))
def test_every_action_has_the_words_its_audiences_need(action):
    rule = workflow.TRANSITIONS[action]
    with translation.override("ja"):
        assert workflow.history_label(action, workflow.STAFF) != action
        if rule.visible_to_applicant:
            assert workflow.history_label(action, workflow.RESIDENT) != action
            notice = workflow.applicant_notice(action)
            assert notice is not None
            assert "{ref}" in notice.body_ja and "{ref}" in notice.body_en
        else:
            assert workflow.applicant_notice(action) is None
        if rule.actors - {workflow.RESIDENT}:
            assert workflow.button_label(action) != str(rule.label)  # the office's own button
        else:
            assert workflow.button_label(action) == str(rule.label)
        if rule.note_required:
            assert workflow.note_label(action) != str(workflow.STAFF_NOTE_LABEL)

"""Carrying out many rule actions at once (`services.run_actions`): the outcomes of one at a time, a failing
action failing alone, a second delivery doing nothing again, a few queries whatever the number of actions."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from madoguchi.accounts.tests.factories import IdentityLinkFactory
from madoguchi.automation import services
from madoguchi.automation.models import ActionRun, ActionStatus, Firing, Flag, Task
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.notify.models import Notice
from madoguchi.residents.tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, deferred foreign keys)"
)
MISSING = 999_999  # a person id that is not in the registry read-model


def _event(event_id: int, topic: str, person_id: int, household_number: str, **items) -> tuple:
    payload = {
        "person_id": person_id,
        "atena_number": f"{person_id:010d}",
        "household_number": household_number,
        "reason": "01",
        "moved_on": "2026-05-01",
        "birth_date": "1950-01-01",
        "is_active": True,
        **items,
    }
    return (event_id, topic, payload)


@pytest.fixture
def town(shipped_rules):
    """A household whose wife has a resident account and an open case, and a person living alone."""
    household = HouseholdFactory()
    head = PersonFactory(household=household, birth_date=dt.date(1950, 1, 1))
    wife = PersonFactory(household=household, relationship="妻")
    account = IdentityLinkFactory(person=wife).user
    open_case = CaseFactory(applicant=account, person=wife)
    CaseFactory(applicant=account, person=wife, status="completed")
    alone = PersonFactory(birth_date=dt.date(1955, 1, 1))
    return SimpleNamespace(
        household=household.number, head=head, wife=wife, account=account, open_case=open_case, alone=alone
    )


def _fire(town) -> list[int]:
    """Nine actions of every outcome: done, failed (no such person), skipped (no account to notify)."""
    number = town.household
    services.fire_rules_on_events(
        [
            _event(1, "resident.moved_in", town.head.pk, number),  # task: done
            _event(2, "resident.moved_in", MISSING, "0000009999"),  # task: fails, no such person
            _event(3, "resident.born", town.wife.pk, number, birth_date="2026-05-01"),  # notice: done
            _event(4, "resident.died", town.head.pk, number),  # notice: done; flag: done
            _event(5, "resident.died", MISSING, "0000009999"),  # notice: skipped; flag: fails
            _event(6, "resident.moved_out", town.wife.pk, number, reason="31"),  # open case notice: done
            _event(7, "resident.moved_out", town.alone.pk, "0000009998", reason="32"),  # skipped
        ]
    )
    return list(ActionRun.objects.order_by("pk").values_list("pk", flat=True))


def _outcomes() -> tuple[list, list]:
    """Every action's outcome and what it made, without the ids of the rows made (they differ between runs)."""
    made = {}
    for task in Task.objects.select_related("department"):
        made["task_id", task.pk] = (task.action_run_id, task.department.code, task.title_ja, task.person_id)
        made["task_id", task.pk] += (task.case_id, task.due_date, task.item)
    for flag in Flag.objects.all():
        made["flag_id", flag.pk] = (
            flag.action_run_id,
            flag.flag,
            flag.person_id,
            flag.case_id,
            flag.expires_at,
        )
    runs = [
        (
            run.pk,
            run.kind,
            run.status,
            run.attempts,
            run.last_error,
            {key: made.get((key, value), value) for key, value in run.result.items()},
            run.next_attempt_at - run.updated_at if run.next_attempt_at else None,
        )
        for run in ActionRun.objects.order_by("pk")
    ]
    notices = sorted(
        (
            (n.recipient_id, n.case_id or 0, n.kind, n.title_ja, n.title_en, n.body_ja, n.body_en)
            for n in Notice.objects.all()
        ),
    )
    return runs, notices


def _start_again() -> None:
    Task.objects.all().delete()
    Flag.objects.all().delete()
    Notice.objects.all().delete()
    ActionRun.objects.update(
        status=ActionStatus.PENDING, attempts=0, result={}, last_error="", next_attempt_at=None
    )


def test_in_bulk_the_outcomes_are_those_of_one_action_at_a_time(town):
    ids = _fire(town)
    assert len(ids) == 9
    statuses = services.run_actions(ids)
    in_bulk = _outcomes()
    _start_again()
    assert services.run_actions(ids, one_by_one=True) == statuses
    assert _outcomes() == in_bulk
    assert Counter(statuses) == {ActionStatus.DONE: 5, ActionStatus.FAILED: 2, ActionStatus.SKIPPED: 2}
    runs, notices = in_bulk
    failed = [run for run in runs if run[2] == ActionStatus.FAILED]
    assert [(kind, error, wait) for _pk, kind, _status, _attempts, error, _result, wait in failed] == [
        ("create_task", f"person {MISSING} is not in the registry read-model", dt.timedelta(seconds=30)),
        ("set_flag", f"person {MISSING} is not in the registry read-model", dt.timedelta(seconds=30)),
    ]
    # The birth, the death (the household: the wife's account) and the move out (her open case only).
    assert [(recipient, case) for recipient, case, *_texts in notices] == [
        (town.account.pk, 0),
        (town.account.pk, 0),
        (town.account.pk, town.open_case.pk),
    ]
    assert Task.objects.get().person == town.head
    assert Flag.objects.get().person == town.head


def test_a_second_delivery_of_the_same_actions_carries_out_only_those_that_failed(town, monkeypatch):
    ids = _fire(town)
    first = services.run_actions(ids)
    done_before = list(
        ActionRun.objects.filter(status__in=services.FINISHED).order_by("pk").values_list("pk", "updated_at")
    )
    made = (Task.objects.count(), Flag.objects.count(), Notice.objects.count())
    given: list[int] = []
    for kind, executor in list(services.BULK_EXECUTORS.items()):

        def spy(runs, executor=executor):
            given.extend(run.pk for run in runs)
            return executor(runs)

        monkeypatch.setitem(services.BULK_EXECUTORS, kind, spy)
    second = services.run_actions(ids)
    failed = [pk for pk, status in zip(ids, first, strict=True) if status == ActionStatus.FAILED]
    assert sorted(given) == failed  # done and skipped actions are not carried out again
    assert second == first
    assert (Task.objects.count(), Flag.objects.count(), Notice.objects.count()) == made
    assert (
        list(
            ActionRun.objects.filter(status__in=services.FINISHED)
            .order_by("pk")
            .values_list("pk", "updated_at")
        )
        == done_before
    )
    # The failed ones had their second attempt, with a longer wait before the next.
    for run in ActionRun.objects.filter(pk__in=failed):
        assert (run.attempts, run.next_attempt_at - run.updated_at) == (2, dt.timedelta(seconds=60))


def test_the_same_id_twice_in_one_delivery_is_carried_out_once(town):
    ids = _fire(town)
    statuses = services.run_actions([ids[0], ids[0], ids[1]])
    assert statuses[0] == statuses[1] == ActionStatus.DONE
    assert ActionRun.objects.get(pk=ids[0]).attempts == 1 and Task.objects.count() == 1


def test_an_action_stops_after_its_last_attempt_in_bulk_too(town, settings):
    settings.RULE_ACTION_MAX_ATTEMPTS = 2
    ids = _fire(town)
    services.run_actions(ids)
    services.run_actions(ids)
    stuck = ActionRun.objects.filter(status=ActionStatus.STUCK)
    assert sorted(stuck.values_list("kind", "attempts", "next_attempt_at")) == [
        ("create_task", 2, None),
        ("set_flag", 2, None),
    ]


def test_a_batch_that_fails_as_a_whole_is_carried_out_again_one_action_at_a_time(town, monkeypatch):
    """The bulk executor writes some rows, then fails: its savepoint is rolled back and each action is carried
    out by its own executor, so nothing is made twice and the failing action fails alone."""
    ids = _fire(town)
    real = services.BULK_EXECUTORS["set_flag"]

    def half_then_fail(runs):
        real(runs[:1])
        raise RuntimeError("the batch cannot be written")

    monkeypatch.setitem(services.BULK_EXECUTORS, "set_flag", half_then_fail)
    services.run_actions(ids)
    flags = ActionRun.objects.filter(kind="set_flag").order_by("pk")
    assert [(run.status, run.attempts) for run in flags] == [
        (ActionStatus.DONE, 1),
        (ActionStatus.FAILED, 1),
    ]
    assert flags[1].last_error == f"person {MISSING} is not in the registry read-model"
    assert Flag.objects.count() == 1 and Flag.objects.get().action_run_id == flags[0].pk
    assert ActionRun.objects.filter(kind="create_task", status=ActionStatus.DONE).count() == 1


def test_a_chunk_that_cannot_be_recorded_in_bulk_is_carried_out_with_run_action(town, monkeypatch):
    ids = _fire(town)
    expected = services.run_actions(ids)
    in_bulk = _outcomes()
    _start_again()

    def broken(kind, runs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(services, "_attempt_many", broken)
    assert services.run_actions(ids) == expected
    assert _outcomes() == in_bulk


def test_many_actions_take_as_many_queries_as_a_few(shipped_rules):
    def fire_and_count(count: int, first_event: int) -> int:
        people = [PersonFactory(birth_date=dt.date(1950, 1, 1)) for _ in range(count)]
        services.fire_rules_on_events(
            _event(first_event + i, topic, person.pk, person.household.number)
            for i, person in enumerate(people)
            for topic in ("resident.moved_in", "resident.died")
        )
        ids = list(ActionRun.objects.filter(status=ActionStatus.PENDING).values_list("pk", flat=True))
        assert len(ids) == 3 * count
        with CaptureQueriesContext(connection) as captured:
            statuses = services.run_actions(ids)
        assert set(statuses) == {ActionStatus.DONE, ActionStatus.SKIPPED}
        return len(captured.captured_queries)

    few = fire_and_count(2, 100)
    many = fire_and_count(40, 200)
    assert many == few
    assert Task.objects.count() == Flag.objects.count() == 42


@on_postgresql
def test_a_reference_the_database_refuses_fails_its_action_alone(departments, write_rule):
    """PostgreSQL checks foreign keys at commit (deferred): the bulk step checks them before leaving each
    savepoint, so a task for a case that does not exist fails alone instead of the whole transaction."""
    path = write_rule(
        "case-task",
        """event: case.submitted
actions:
  - create_task: {department: kaigo, title: {ja: 審査, en: Review}, sla_days: 3, subject: case}
examples:
  - name: x
    event: {case_id: 1}
    expect: [create_task]
""",
    )
    services.publish_rules(paths=[path])
    cases = [CaseFactory(), CaseFactory()]
    services.fire_rules_on_events(
        (i, "case.submitted", {"case_id": case_id})
        for i, case_id in enumerate([cases[0].pk, MISSING, cases[1].pk], start=1)
    )
    ids = list(ActionRun.objects.order_by("firing__event_id").values_list("pk", flat=True))
    assert services.run_actions(ids) == [ActionStatus.DONE, ActionStatus.FAILED, ActionStatus.DONE]
    assert sorted(Task.objects.values_list("case_id", flat=True)) == sorted(case.pk for case in cases)
    assert "foreign key" in ActionRun.objects.get(pk=ids[1]).last_error


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_delivered_the_same_actions_at_once_carry_each_out_once(shipped_rules, monkeypatch):
    """Four workers get the same 120 actions (a task, a notice and a flag per person; a notice has no unique
    key of its own, so only the claim on the action keeps it from being sent twice). Each waits after its
    claim until all four have claimed, so they all read the actions while none is carried out yet."""
    people = [IdentityLinkFactory(person__birth_date=dt.date(1950, 1, 1)).person for _ in range(40)]
    monkeypatch.setattr(services, "_schedule", lambda ids: None)  # the actions wait for the workers
    services.fire_rules_on_events(
        _event(i, topic, person.pk, person.household.number)
        for i, person in enumerate(people)
        for topic in ("resident.moved_in", "resident.died")
    )
    ids = list(ActionRun.objects.order_by("pk").values_list("pk", flat=True))
    assert set(ActionRun.objects.values_list("status", flat=True)) == {ActionStatus.PENDING}
    barrier, results, errors = threading.Barrier(4), [], []
    claim = services._claim

    def claim_together(chunk):
        runs = claim(chunk)
        barrier.wait(timeout=30)
        return runs

    monkeypatch.setattr(services, "_claim", claim_together)

    def worker(order: list[int]) -> None:
        try:
            results.append(services.run_actions(order))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    orders = [ids, ids[::-1], ids[len(ids) // 2 :] + ids[: len(ids) // 2], ids]
    threads = [threading.Thread(target=worker, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(results) == 4
    assert set(ActionRun.objects.values_list("attempts", flat=True)) == {1}
    assert Task.objects.count() == Flag.objects.count() == Notice.objects.count() == len(people)
    assert set(ActionRun.objects.values_list("status", flat=True)) == {ActionStatus.DONE}
    assert Firing.objects.count() == 2 * len(people)

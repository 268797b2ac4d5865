"""Rules over a registry import's events delivered in batches: exact firings, once per event, nothing lost."""

from __future__ import annotations

import io

import pytest

from madoguchi.automation import services
from madoguchi.automation.models import ActionRun, ActionStatus, Firing, Flag, Task
from madoguchi.core import events
from madoguchi.core.models import OutboxEvent
from madoguchi.residents.models import Person
from madoguchi.residents.services import import_registry_csv
from madoguchi.residents.tests.factories import registry_csv, registry_row

pytestmark = pytest.mark.django_db


def _person(n: int, born: str) -> dict:
    number = f"93{n:08d}"
    return registry_row(宛名番号=number, 世帯番号=number, 生年月日=born)


def _change(row: dict, reason: str, **items: str) -> dict:
    return {**row, **items, "異動事由": reason, "異動日": "2026-05-01", "届出日": "2026-05-01"}


def _import(rows: list[dict], kind: str):
    report = import_registry_csv(source=io.BytesIO(registry_csv(rows)), kind=kind, source_name="t.csv")
    assert report.applied, [p.format("en") for p in report.problems]
    return report


@pytest.fixture
def town(departments, django_capture_on_commit_callbacks):
    """Three residents already in the registry (for the deaths and moves out)."""
    rows = [_person(90 + i, "1950-01-01") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        _import(rows, "full")  # its one event (resident.registry_loaded) delivered
    return rows


def _difference(town: list[dict]) -> list[dict]:
    """13 changes: 7 moved in (4 of them 65 or over, one of those no longer active), 2 births, 1 death,
    2 moves out (one to another city, 31; one removed ex officio, 35) and 1 転居 (no rule listens)."""
    moved_in = [_change(_person(i, "1950-06-01" if i < 4 else "1990-06-01"), "01") for i in range(7)]
    births = [
        _change(_person(10 + i, "2026-05-01"), "03", 住民となった日="2026-05-01", 住所を定めた日="2026-05-01")
        for i in range(2)
    ]
    return [
        *moved_in,
        *births,
        _change(town[0], "33", 住民状態="3"),
        _change(town[1], "31", 住民状態="2"),
        _change(town[2], "35", 住民状態="4"),
        _change(_person(20, "1980-01-01"), "01"),
    ]


def _changes():
    """The outbox events of the difference file (the full file's resident.registry_loaded left out)."""
    return OutboxEvent.objects.filter(topic__startswith="resident.").exclude(topic="resident.registry_loaded")


@pytest.fixture
def batched(monkeypatch):
    """Batches of 3 events, and every call of the rules' batch subscriber remembered (its event ids)."""
    monkeypatch.setattr(events, "DISPATCH_BATCH", 3)
    calls: list[list[int]] = []
    real = services.fire_rules_on_events

    def spy(items):
        items = list(items)
        calls.append([event_id for event_id, _topic, _payload in items])
        return real(items)

    monkeypatch.setattr(services, "fire_rules_on_events", spy)
    return calls


def test_an_import_in_batches_fires_each_rule_exactly_once_per_matching_event(
    shipped_rules, town, batched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _import(_difference(town), "difference")
    ids = list(
        OutboxEvent.objects.filter(topic__startswith="resident.").order_by("id").values_list("pk", flat=True)
    )
    assert len(ids) == 13 + 1  # the full file's resident.registry_loaded, then one event per change
    assert max(len(call) for call in batched) == 3  # batches of three events (one call each), not one by one
    assert sorted(i for call in batched for i in call) == ids[1:]  # every change seen once by the rules
    by_rule = {}
    for rule_id, event_id in Firing.objects.values_list("rule_version__rule_id", "event_id"):
        by_rule.setdefault(rule_id, []).append(event_id)
    assert {rule: len(fired) for rule, fired in by_rule.items()} == {
        "kaigo-shikaku-tennyu": 4,  # 65 or over and active after the move
        "shussei-teate-annai": 2,
        "shibou-okuyami": 1,
        "tenshutsu-shinsei-tsuchi": 1,  # 31 only, not 35
    }
    assert all(len(set(fired)) == len(fired) for fired in by_rule.values())
    assert not Firing.objects.exclude(error="").exists()
    # Each firing's actions: 4 tasks, 2 + 1 notices (skipped: no linked account), 1 flag, 1 notice on open cases.
    assert ActionRun.objects.count() == 4 + 2 + 2 + 1
    assert Task.objects.count() == 4 and Flag.objects.count() == 1
    assert not ActionRun.objects.filter(status__in=[ActionStatus.PENDING, ActionStatus.FAILED]).exists()
    assert not _changes().filter(dispatched_at__isnull=True).exists()


def test_delivering_the_events_again_fires_nothing_more(
    shipped_rules, town, batched, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _import(_difference(town), "difference")
    firings, actions = Firing.objects.count(), ActionRun.objects.count()
    rows = list(_changes())
    # Through the outbox: every event is already delivered, so nothing runs.
    calls = len(batched)
    assert events.dispatch_batch([row.pk for row in rows]) == 0
    assert len(batched) == calls
    # Straight to the rules (a manual re-run, a message delivered twice): the firings recorded are found.
    items = [(row.pk, row.topic, row.payload) for row in rows]
    assert services.fire_rules_on_events(items) == []
    assert services.fire_rules_on_events(items[::5]) == []  # sparse ids (looked up by IN, not by range)
    # Even with the outbox rows marked pending again (a restored backup), no rule fires twice.
    OutboxEvent.objects.filter(pk__in=[row.pk for row in rows]).update(dispatched_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch_batch([row.pk for row in rows]) == len(rows)
    assert (Firing.objects.count(), ActionRun.objects.count()) == (firings, actions)


def test_a_failing_action_in_a_batch_loses_neither_the_other_actions_nor_the_import(
    departments, write_rule, town, batched, django_capture_on_commit_callbacks
):
    path = write_rule(
        "flag-and-task",
        """event: resident.moved_in
actions:
  - set_flag: {subject: person, flag: newcomer}
  - create_task: {department: kaigo, title: {ja: "転入 {atena_number}", en: "Moved in {atena_number}"}, sla_days: 3, subject: person}
examples:
  - name: x
    event: {person_id: 1}
    expect: [set_flag, create_task]
""",
    )
    services.publish_rules(paths=[path])
    departments["kaigo"].delete()  # the tasks cannot be made now: each one fails, with its reason
    with django_capture_on_commit_callbacks(execute=True):
        _import(_difference(town), "difference")
    moved_in = OutboxEvent.objects.filter(topic="resident.moved_in")
    assert moved_in.count() == 8
    assert (
        Person.objects.filter(atena_number__startswith="93").count() == 3 + 7 + 2 + 1
    )  # the import is whole
    assert Firing.objects.count() == 8 and Flag.objects.filter(flag="newcomer").count() == 8
    failed = ActionRun.objects.filter(kind="create_task")
    assert failed.count() == 8
    assert set(failed.values_list("status", "attempts")) == {(ActionStatus.FAILED, 1)}
    assert all("department 'kaigo' does not exist" in run.last_error for run in failed)
    assert set(ActionRun.objects.filter(kind="set_flag").values_list("status", flat=True)) == {
        ActionStatus.DONE
    }
    assert not moved_in.filter(dispatched_at__isnull=True).exists()  # the events themselves are delivered


def test_a_condition_that_cannot_be_evaluated_is_recorded_for_its_event_only(
    departments, write_rule, town, batched, django_capture_on_commit_callbacks
):
    path = write_rule(
        "by-row",
        """event: resident.moved_in
condition: 100 / (event.source_row - 3) != 0
actions:
  - set_flag: {subject: person, flag: checked}
examples:
  - name: x
    event: {person_id: 1, source_row: 2}
    expect: [set_flag]
""",
    )
    services.publish_rules(paths=[path])
    with django_capture_on_commit_callbacks(execute=True):
        _import(_difference(town), "difference")
    moved_in = _changes().filter(topic="resident.moved_in").count()
    [error] = Firing.objects.exclude(error="")  # the event of row 3: a division by zero
    assert error.input["source_row"] == 3 and "could not be evaluated" in error.error
    assert not error.actions.exists()
    assert Flag.objects.filter(flag="checked").count() == moved_in - 1
    assert Firing.objects.count() == moved_in


def test_a_batch_the_rules_cannot_record_is_delivered_again_event_by_event(
    shipped_rules, town, batched, monkeypatch, django_capture_on_commit_callbacks
):
    """An unexpected failure in the rules' subscriber (here: recording one event's firing) rolls its batch
    back; the outbox then delivers the batch's events one at a time, so only that event waits, with its error."""
    from madoguchi.automation.rules import spec

    bad_atena = "9300000001"
    real_plan = spec.plan_actions

    def plan(rule, payload):
        if payload.get("atena_number") == bad_atena:
            raise RuntimeError("cannot record this one")
        return real_plan(rule, payload)

    monkeypatch.setattr(services, "plan_actions", plan)
    with django_capture_on_commit_callbacks(execute=True):
        _import(_difference(town), "difference")
    [waiting] = _changes().filter(dispatched_at__isnull=True)
    assert waiting.payload["atena_number"] == bad_atena and "cannot record this one" in waiting.last_error
    assert Firing.objects.filter(rule_version__rule_id="kaigo-shikaku-tennyu").count() == 3
    assert Firing.objects.count() == 3 + 2 + 1 + 1
    assert len(set(Firing.objects.values_list("event_id", "rule_version_id"))) == Firing.objects.count()
    monkeypatch.setattr(services, "plan_actions", real_plan)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch_pending() == 1  # the retry (sweep, `madoguchi events dispatch`) fires it
    assert Firing.objects.filter(rule_version__rule_id="kaigo-shikaku-tennyu").count() == 4


def test_the_same_event_twice_in_one_call_fires_once(shipped_rules):
    payload = {"person_id": 1, "birth_date": "1950-01-01", "moved_on": "2026-04-01", "is_active": True}
    firings = services.fire_rules_on_events(
        [(41, "resident.moved_in", payload), (41, "resident.moved_in", payload)]
    )
    assert len(firings) == 1 and Firing.objects.count() == 1
    # Without an event id (a manual run from outside the outbox) each call is its own firing, as before.
    assert len(services.fire_rules_on_events([(None, "resident.moved_in", payload)] * 2)) == 2

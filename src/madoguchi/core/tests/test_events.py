import pytest

from madoguchi.core import events
from madoguchi.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

RECEIVED: list[dict] = []


@events.subscribe("test.happened")
def _remember(payload: dict) -> None:
    if payload.get("fail"):
        raise RuntimeError("subscriber failed")
    RECEIVED.append(payload)


@pytest.fixture(autouse=True)
def _clear():
    RECEIVED.clear()


def test_event_is_delivered_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit("test.happened", {"n": 1})
        assert RECEIVED == []  # nothing before the transaction commits
    assert RECEIVED == [{"n": 1}]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert events.dispatch(event.pk) is False  # a second delivery is refused
    assert RECEIVED == [{"n": 1}]


def test_failed_subscriber_leaves_the_event_pending_for_retry(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit("test.happened", {"fail": True})
    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert "subscriber failed" in event.last_error
    OutboxEvent.objects.filter(pk=event.pk).update(payload={"n": 2})
    assert events.dispatch_pending() == 1
    assert RECEIVED == [{"n": 2}]


def test_event_of_a_rolled_back_transaction_is_never_written(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError), transaction.atomic():
        events.emit("test.happened", {"n": 3})
        raise ValueError("rollback")
    assert not OutboxEvent.objects.filter(topic="test.happened", payload__n=3).exists()
    assert RECEIVED == []


def test_emit_many_writes_in_order_and_delivers_each_event_once(django_capture_on_commit_callbacks):
    items = [("test.happened", {"n": i}) for i in range(7)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert events.emit_many(items, batch_size=3) == 7
        assert RECEIVED == []
    assert len(callbacks) == 3  # one scheduling message per batch of three, not one per event
    assert [{"n": i} for i in range(7)] == RECEIVED
    rows = list(OutboxEvent.objects.filter(topic="test.happened").order_by("id"))
    assert [row.payload["n"] for row in rows] == list(range(7))
    assert all(row.dispatched_at is not None for row in rows)
    assert events.dispatch_pending() == 0


def test_emit_many_failure_of_one_event_leaves_only_that_one_pending(django_capture_on_commit_callbacks):
    items = [("test.happened", {"n": 1}), ("test.happened", {"fail": True}), ("test.happened", {"n": 3})]
    with django_capture_on_commit_callbacks(execute=True):
        events.emit_many(items)
    assert RECEIVED == [{"n": 1}, {"n": 3}]
    pending = OutboxEvent.objects.filter(topic="test.happened", dispatched_at__isnull=True)
    assert [row.payload for row in pending] == [{"fail": True}]


def test_emit_many_of_nothing_writes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert events.emit_many([]) == 0
    assert callbacks == []


def test_sweep_delivers_old_pending_events_only(settings):
    """A lost broker message: the event stays pending until the sweep finds it (fresh ones are left alone)."""
    import datetime as dt

    from django.utils import timezone

    settings.OUTBOX_SWEEP_SECONDS = 60
    lost = OutboxEvent.objects.create(topic="test.happened", payload={"n": "lost"})
    fresh = OutboxEvent.objects.create(topic="test.happened", payload={"n": "fresh"})
    OutboxEvent.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))

    assert events.sweep() == 1

    assert RECEIVED == [{"n": "lost"}]
    fresh.refresh_from_db()
    assert fresh.dispatched_at is None


def test_sweep_gives_up_after_max_attempts_but_the_command_still_retries(settings):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    settings.OUTBOX_SWEEP_SECONDS = 60
    stuck = OutboxEvent.objects.create(topic="test.happened", payload={"n": "stuck"})
    OutboxEvent.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=2), attempts=events.SWEEP_MAX_ATTEMPTS
    )
    assert events.sweep() == 0
    call_command("events", "dispatch")
    assert RECEIVED == [{"n": "stuck"}]


def test_the_sweep_runs_on_celery_beat(settings):
    from madoguchi.core.celery_app import app

    app.loader.import_default_modules()  # what a worker and beat do at start: autodiscover the tasks
    entry = app.conf.beat_schedule["outbox-sweep"]
    assert entry["task"] == "madoguchi.core.tasks.sweep_outbox"
    assert entry["task"] in app.tasks

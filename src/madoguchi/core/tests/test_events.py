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


# --- batch subscribers and batched delivery ------------------------------------------------------------------

BATCHES: list[list[int]] = []


@events.subscribe_batch("test.bulk", "test.bulk_other")
def _remember_batch(batch: list[OutboxEvent]) -> None:
    """Writes one row per event (so a rolled-back batch leaves nothing), and fails on a payload that says so."""
    import datetime as dt

    from django.utils import timezone

    from madoguchi.core.models import CacheEntry

    BATCHES.append([event.payload["n"] for event in batch])
    CacheEntry.objects.bulk_create(
        CacheEntry(
            cache_key=f"bulk-{event.pk}",
            value=str(event.payload["n"]),
            expires=timezone.now() + dt.timedelta(1),
        )
        for event in batch
    )
    if any(event.payload.get("fail") for event in batch):
        raise RuntimeError("batch subscriber failed")


@pytest.fixture(autouse=True)
def _clear_batches():
    BATCHES.clear()


def _written() -> list[str]:
    from madoguchi.core.models import CacheEntry

    rows = CacheEntry.objects.filter(cache_key__startswith="bulk-")
    return sorted(rows.values_list("value", flat=True), key=int)


def test_a_batch_subscriber_gets_each_emitted_batch_once_in_one_transaction(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    items = [("test.bulk" if i % 2 else "test.bulk_other", {"n": i}) for i in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        events.emit_many(items, batch_size=3)
    assert BATCHES == [[0, 1, 2], [3, 4, 5], [6]]  # one call per batch, both topics together, in order
    assert _written() == [str(i) for i in range(7)]
    rows = OutboxEvent.objects.filter(topic__startswith="test.bulk")
    assert all(row.dispatched_at is not None and row.attempts == 1 for row in rows)
    ids = list(rows.values_list("pk", flat=True))
    with django_assert_max_num_queries(1):  # a second delivery looks, finds nothing pending, does nothing
        assert events.dispatch_batch(ids) == 0
    assert len(BATCHES) == 3


def test_a_failing_batch_is_rolled_back_and_delivered_one_event_at_a_time(django_capture_on_commit_callbacks):
    items = [("test.bulk", {"n": 1}), ("test.bulk", {"n": 2, "fail": True}), ("test.bulk", {"n": 3})]
    with django_capture_on_commit_callbacks(execute=True):
        events.emit_many(items)
    assert BATCHES == [[1, 2, 3], [1], [2], [3]]  # the batch, then each event on its own
    assert _written() == ["1", "3"]  # the failed batch left nothing; each good event wrote once
    failed = OutboxEvent.objects.get(topic="test.bulk", payload__n=2)
    assert failed.dispatched_at is None and failed.attempts == 1
    assert "batch subscriber failed" in failed.last_error
    delivered = OutboxEvent.objects.filter(topic="test.bulk", dispatched_at__isnull=False)
    assert sorted(row.payload["n"] for row in delivered) == [1, 3]
    assert all(row.attempts == 1 for row in delivered)


def test_events_with_a_per_event_subscriber_are_still_delivered_one_at_a_time_in_order(
    django_capture_on_commit_callbacks,
):
    items = [
        ("test.bulk", {"n": 1}),
        ("test.bulk", {"n": 2}),
        ("test.happened", {"n": 3}),
        ("test.bulk", {"n": 4}),
        ("test.happened", {"fail": True}),
        ("test.bulk", {"n": 6}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        events.emit_many(items)
    assert BATCHES == [[1, 2], [4], [6]]  # the batch-only runs between the per-event ones
    assert RECEIVED == [{"n": 3}]
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True, topic__startswith="test.")
    assert [row.payload for row in pending] == [{"fail": True}]


def test_dispatch_of_one_event_calls_batch_subscribers_with_that_event(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.emit("test.bulk", {"n": 9})
    assert BATCHES == [[9]]
    assert events.dispatch(event.pk) is False
    assert BATCHES == [[9]]


def test_the_sweep_delivers_pending_events_in_batches(settings):
    import datetime as dt

    from django.utils import timezone

    settings.OUTBOX_SWEEP_SECONDS = 60
    old = timezone.now() - dt.timedelta(minutes=2)
    for n in range(4):
        row = OutboxEvent.objects.create(topic="test.bulk", payload={"n": n})
        OutboxEvent.objects.filter(pk=row.pk).update(created_at=old)
    assert events.sweep() == 4
    assert BATCHES == [[0, 1, 2, 3]]


def test_the_broker_task_delivers_its_message_as_batches():
    """With a broker, emit_many sends one `dispatch_events` message per batch; a worker runs it like this."""
    from madoguchi.core.tasks import dispatch_events

    rows = [OutboxEvent.objects.create(topic="test.bulk", payload={"n": n}) for n in range(5)]
    rows.insert(2, OutboxEvent.objects.create(topic="test.happened", payload={"n": "own"}))
    assert dispatch_events.run([row.pk for row in rows]) == 6
    assert BATCHES == [[0, 1, 2, 3, 4]] and RECEIVED == [{"n": "own"}]
    assert dispatch_events.run([row.pk for row in rows]) == 0  # a message delivered twice: nothing again

"""Domain events through a transactional outbox.

`emit` writes an OutboxEvent in the caller's transaction; `emit_many` writes many with one statement per batch
(`core.bulk.insert_new`: COPY on PostgreSQL).
After commit, the dispatcher delivers them to the subscribers registered for their topic: in-process when no
Celery broker is configured, on the `events` queue otherwise. A failed subscriber leaves the event pending for
the sweep and `madoguchi events dispatch` to retry.

Two kinds of subscriber:

- `subscribe(topic)`: called with one event's payload, in that event's own delivery transaction.
- `subscribe_batch(*topics)`: called once with a list of events (`OutboxEvent` rows, in id order), for bulk
  work such as evaluating rules over a registry import's thousands of events, writing per batch, not per event.

`dispatch_batch` delivers events whose topics only batch subscribers listen to in one transaction per batch
(marked delivered with one UPDATE); events with a per-event subscriber are still delivered one at a time, in
order, as are all the events of a batch whose delivery failed (so one bad event holds back only itself, and its
error is recorded on it). Every event is delivered exactly once: its row is locked and marked delivered in the
transaction that runs its subscribers. A batch subscriber therefore writes only to the database (and
`transaction.on_commit` hooks): a failed batch is rolled back whole before it is retried event by event.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from madoguchi.core.bulk import insert_new
from madoguchi.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Subscriber = Callable[[dict], None]
BatchSubscriber = Callable[[list[OutboxEvent]], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)
_BATCH_SUBSCRIBERS: dict[str, list[BatchSubscriber]] = defaultdict(list)
# The outbox event being delivered, for subscribers that key their own records on it (automation firings).
_CURRENT_EVENT: contextvars.ContextVar[OutboxEvent | None] = contextvars.ContextVar("event", default=None)


def current_event() -> OutboxEvent | None:
    """The outbox event whose subscribers are running now (None outside `dispatch`)."""
    return _CURRENT_EVENT.get()


def subscribe(topic: str) -> Callable[[Subscriber], Subscriber]:
    """Register a function to be called with the payload of every event of `topic`."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _SUBSCRIBERS[topic]:
            _SUBSCRIBERS[topic].append(func)
        return func

    return register


def subscribe_batch(*topics: str) -> Callable[[BatchSubscriber], BatchSubscriber]:
    """Register a function to be called with a list of events (OutboxEvent rows, in id order) of `topics`.

    It is called once per delivered batch with the batch's events of those topics (one event when events are
    delivered one at a time). It must write only to the database, or in `transaction.on_commit` hooks: when it
    raises, the batch's transaction is rolled back and its events are delivered again one at a time.
    """

    def register(func: BatchSubscriber) -> BatchSubscriber:
        for topic in topics:
            if func not in _BATCH_SUBSCRIBERS[topic]:
                _BATCH_SUBSCRIBERS[topic].append(func)
        return func

    return register


SWEEP_MAX_ATTEMPTS = 10  # after that, only `madoguchi events dispatch` retries an event
DISPATCH_BATCH = 500  # event ids per broker message when events are emitted in bulk


def emit(topic: str, payload: dict) -> OutboxEvent:
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    transaction.on_commit(lambda: _schedule(event.pk))
    return event


def emit_many(items: Iterable[tuple[str, dict]], *, batch_size: int | None = None) -> int:
    """Write many events in order with one INSERT per `batch_size` and schedule them with one message each.

    For bulk writers (registry imports, allocation rounds): each batch is delivered by `dispatch_batch`,
    exactly once per event (in one transaction when only batch subscribers listen). Returns the number written.
    """
    batch_size = batch_size or DISPATCH_BATCH
    written = 0
    batch: list[OutboxEvent] = []
    for topic, payload in items:
        batch.append(OutboxEvent(topic=topic, payload=payload))
        if len(batch) >= batch_size:
            written += _write_batch(batch)
            batch = []
    if batch:
        written += _write_batch(batch)
    return written


def _write_batch(batch: list[OutboxEvent]) -> int:
    # One COPY on PostgreSQL (ids taken first), one INSERT on SQLite ≥ 3.35, which returns the new ids.
    ids = [event.pk for event in insert_new(batch)]
    transaction.on_commit(lambda: _schedule_many(ids))
    return len(ids)


def _schedule(event_id: int) -> None:
    from madoguchi.core.tasks import dispatch_event

    dispatch_event.delay(event_id)


def _schedule_many(event_ids: list[int]) -> None:
    from madoguchi.core.tasks import dispatch_events

    dispatch_events.delay(event_ids)


def dispatch(event_id: int) -> bool:
    """Deliver one event to its subscribers exactly once; returns True when it was delivered now."""
    return _deliver_one(event_id)


def dispatch_batch(event_ids: Iterable[int], *, batch_size: int | None = None) -> int:
    """Deliver the pending events among `event_ids`, in id order, exactly once; returns how many now.

    Consecutive events whose topics have no per-event subscriber are delivered together, up to `batch_size` per
    transaction; the others one at a time. A batch that fails is delivered again one event at a time.
    """
    ids = sorted(set(event_ids))
    if not ids:
        return 0
    batch_size = batch_size or DISPATCH_BATCH
    delivered = 0
    run: list[int] = []
    topics = dict(  # the pending ones; each is locked and looked at again when delivered
        OutboxEvent.objects.filter(pk__in=ids, dispatched_at__isnull=True).values_list("pk", "topic")
    )
    for event_id in ids:
        topic = topics.get(event_id)
        if topic is None:
            continue
        if _SUBSCRIBERS.get(topic):
            delivered += _deliver_run(run, batch_size) + _deliver_one(event_id)
            run = []
        else:
            run.append(event_id)
    return delivered + _deliver_run(run, batch_size)


def _deliver_run(ids: list[int], batch_size: int) -> int:
    return sum(_deliver_batch(ids[i : i + batch_size]) for i in range(0, len(ids), batch_size))


def _deliver_batch(ids: Sequence[int]) -> int:
    """Events without per-event subscribers, delivered in one transaction, or else one at a time."""
    if len(ids) == 1:
        return int(_deliver_one(ids[0]))
    with transaction.atomic():
        pending = list(
            OutboxEvent.objects.select_for_update()
            .filter(pk__in=ids, dispatched_at__isnull=True)
            .order_by("id")
        )
        if not pending:
            return 0
        try:
            with transaction.atomic():
                _run_batch_subscribers(pending)
        except Exception:
            logger.warning(
                "a batch of %s events (%s … %s) failed; delivering them one at a time",
                len(pending),
                pending[0].pk,
                pending[-1].pk,
                exc_info=True,
            )
        else:
            OutboxEvent.objects.filter(pk__in=[event.pk for event in pending]).update(
                dispatched_at=timezone.now(), attempts=F("attempts") + 1
            )
            return len(pending)
    return sum(1 for event in pending if _deliver_one(event.pk))


def _run_batch_subscribers(events: list[OutboxEvent]) -> None:
    """Each batch subscriber once, with the events of its topics (in id order)."""
    order: dict[BatchSubscriber, list[OutboxEvent]] = {}
    for event in events:
        for subscriber in _BATCH_SUBSCRIBERS.get(event.topic, []):
            order.setdefault(subscriber, []).append(event)
    for subscriber, its_events in order.items():
        subscriber(its_events)


def _deliver_one(event_id: int) -> bool:
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update().filter(pk=event_id, dispatched_at__isnull=True).first()
        )
        if event is None:
            return False
        token = _CURRENT_EVENT.set(event)
        try:
            with transaction.atomic():
                for subscriber in _SUBSCRIBERS.get(event.topic, []):
                    subscriber(event.payload)
                _run_batch_subscribers([event])
        except Exception as exc:
            logger.exception("event %s (%s) failed", event.pk, event.topic)
            event.attempts += 1
            event.last_error = repr(exc)[:2000]
            event.save(update_fields=["attempts", "last_error"])
            return False
        finally:
            _CURRENT_EVENT.reset(token)
        event.dispatched_at = timezone.now()
        event.attempts += 1
        event.save(update_fields=["dispatched_at", "attempts"])
        return True


def dispatch_pending(
    limit: int = 1000, *, older_than: dt.timedelta | None = None, max_attempts: int | None = None
) -> int:
    """Deliver events still pending, oldest first; returns how many were delivered now.

    `older_than` leaves alone the events whose own message is probably still on its way; `max_attempts` skips
    events that failed that often (they wait for `madoguchi events dispatch`, which retries everything).
    """
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    if older_than is not None:
        pending = pending.filter(created_at__lt=timezone.now() - older_than)
    if max_attempts is not None:
        pending = pending.filter(attempts__lt=max_attempts)
    ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    return dispatch_batch(ids)


def sweep() -> int:
    """The outbox's safety net, run by Celery beat every MADOGUCHI_OUTBOX_SWEEP_SECONDS: deliver events whose
    broker message was lost (a broker restart, a worker killed while holding it) or whose subscriber failed."""
    seconds = settings.OUTBOX_SWEEP_SECONDS
    return dispatch_pending(
        limit=5000, older_than=dt.timedelta(seconds=seconds), max_attempts=SWEEP_MAX_ATTEMPTS
    )

"""Domain events through a transactional outbox.

`emit` writes an OutboxEvent in the caller's transaction. After commit, the dispatcher delivers it to the
subscribers registered for its topic: in-process when no Celery broker is configured, on the `events` queue
otherwise. A failed subscriber leaves the event pending for `madoguchi events dispatch` to retry.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Subscriber = Callable[[dict], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)
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


SWEEP_MAX_ATTEMPTS = 10  # after that, only `madoguchi events dispatch` retries an event
DISPATCH_BATCH = 500  # event ids per broker message when events are emitted in bulk


def emit(topic: str, payload: dict) -> OutboxEvent:
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    transaction.on_commit(lambda: _schedule(event.pk))
    return event


def emit_many(items: Iterable[tuple[str, dict]], *, batch_size: int = DISPATCH_BATCH) -> int:
    """Write many events in order with one INSERT per `batch_size` and schedule them with one message each.

    For bulk writers (registry imports, allocation rounds): each event is still delivered on its own, exactly
    once, by `dispatch`; only the writing and the broker traffic are batched. Returns the number written.
    """
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
    # PostgreSQL and SQLite ≥ 3.35 (the supported databases) return the new ids from one INSERT.
    ids = [event.pk for event in OutboxEvent.objects.bulk_create(batch)]
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
    return sum(1 for event_id in ids if dispatch(event_id))


def sweep() -> int:
    """The outbox's safety net, run by Celery beat every MADOGUCHI_OUTBOX_SWEEP_SECONDS: deliver events whose
    broker message was lost (a broker restart, a worker killed while holding it) or whose subscriber failed."""
    seconds = settings.OUTBOX_SWEEP_SECONDS
    return dispatch_pending(
        limit=5000, older_than=dt.timedelta(seconds=seconds), max_attempts=SWEEP_MAX_ATTEMPTS
    )

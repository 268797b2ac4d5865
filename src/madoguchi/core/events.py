"""Domain events through a transactional outbox.

`emit` writes an OutboxEvent in the caller's transaction. After commit, the dispatcher delivers it to the
subscribers registered for its topic: in-process when no Celery broker is configured, on the `events` queue
otherwise. A failed subscriber leaves the event pending for `madoguchi events dispatch` to retry.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from madoguchi.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Subscriber = Callable[[dict], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)


def subscribe(topic: str) -> Callable[[Subscriber], Subscriber]:
    """Register a function to be called with the payload of every event of `topic`."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _SUBSCRIBERS[topic]:
            _SUBSCRIBERS[topic].append(func)
        return func

    return register


def emit(topic: str, payload: dict) -> OutboxEvent:
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    transaction.on_commit(lambda: _schedule(event.pk))
    return event


def _schedule(event_id: int) -> None:
    from madoguchi.core.tasks import dispatch_event

    dispatch_event.delay(event_id)


def dispatch(event_id: int) -> bool:
    """Deliver one event to its subscribers exactly once; returns True when it was delivered now."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update().filter(pk=event_id, dispatched_at__isnull=True).first()
        )
        if event is None:
            return False
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
        event.dispatched_at = timezone.now()
        event.attempts += 1
        event.save(update_fields=["dispatched_at", "attempts"])
        return True


def dispatch_pending(limit: int = 1000) -> int:
    ids = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for event_id in ids if dispatch(event_id))

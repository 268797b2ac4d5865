from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.core import audit_anchor, events


@shared_task(name="madoguchi.core.tasks.dispatch_event", acks_late=True)
def dispatch_event(event_id: int) -> bool:
    return events.dispatch(event_id)


@shared_task(name="madoguchi.core.tasks.dispatch_events", acks_late=True)
def dispatch_events(event_ids: list[int]) -> int:
    """Deliver a batch written by `events.emit_many`, in order (events.dispatch_batch); returns how many were
    delivered now."""
    return events.dispatch_batch(event_ids)


@shared_task(name="madoguchi.core.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Celery beat: deliver the events whose message was lost or whose subscriber failed (events.sweep)."""
    return events.sweep()


@shared_task(name="madoguchi.core.tasks.anchor_audit_log")
def anchor_audit_log() -> int:
    """Celery beat: append every audit chain head to the anchor file (core.audit_anchor); the line number."""
    written = audit_anchor.write_anchor()
    if written.went_back:
        audit_anchor.logger.error(
            "audit chains shorter than at the previous anchor: %s", "; ".join(written.went_back)
        )
    return written.line

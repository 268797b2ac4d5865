from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.cases import services

# Seconds. The rendering process has its own limits (MADOGUCHI_RENDER_*); these only stop a task that hangs
# around it (a slot that never comes free, a full disk). A stopped task leaves the attachment pending, and
# `render_pending` takes it up again.
RENDER_SOFT_TIME_LIMIT = 900
RENDER_TIME_LIMIT = 960


@shared_task(
    name="madoguchi.cases.tasks.render_attachment",
    acks_late=True,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_TIME_LIMIT,
)
def render_attachment(attachment_id: int) -> str:
    """Re-render an upload for staff (default queue); returns the attachment's render status."""
    return services.render_attachment_by_id(attachment_id)


@shared_task(name="madoguchi.cases.tasks.render_pending")
def render_pending() -> int:
    """Celery beat, every minute: schedule the renderings nobody is doing (lost messages, dead workers)."""
    return services.render_pending()


@shared_task(name="madoguchi.cases.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete the API's idempotency keys older than 24 hours (Celery beat, hourly); returns how many."""
    return services.purge_idempotency_keys()

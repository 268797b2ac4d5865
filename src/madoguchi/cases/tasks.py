from celery import shared_task

from madoguchi.cases import services
from madoguchi.cases.models import CaseAttachment

# Seconds. A rendering stopped by a limit leaves the attachment pending: the staff download tries again.
RENDER_SOFT_TIME_LIMIT = 120
RENDER_TIME_LIMIT = 180


@shared_task(
    name="madoguchi.cases.tasks.render_attachment",
    acks_late=True,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_TIME_LIMIT,
)
def render_attachment(attachment_id: int) -> str:
    """Re-render an upload for staff (default queue); returns the attachment's render status."""
    attachment = CaseAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return "missing"  # the upload's transaction was rolled back after all
    return services.render_attachment(attachment=attachment).render_status


@shared_task(name="madoguchi.cases.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete the API's idempotency keys older than 24 hours (Celery beat, hourly); returns how many."""
    return services.purge_idempotency_keys()

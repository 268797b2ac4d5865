from datetime import timedelta

from celery import shared_task
from django.conf import settings

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.notify import services


@shared_task(
    name="madoguchi.notify.tasks.email_notice", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def email_notice(notice_id: int) -> bool:
    return services.email_notice_now(notice_id)


@shared_task(name="madoguchi.notify.tasks.email_unsent_notices")
def email_unsent_notices() -> int:
    """Celery beat: send the emails that failed (mail server or broker down) once their first try is over."""
    return services.email_unsent_notices(older_than=timedelta(seconds=settings.OUTBOX_SWEEP_SECONDS))

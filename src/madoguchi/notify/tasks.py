from celery import shared_task

from madoguchi.notify import services


@shared_task(
    name="madoguchi.notify.tasks.email_notice", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def email_notice(notice_id: int) -> bool:
    return services.email_notice_now(notice_id)

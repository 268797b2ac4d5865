from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.accounts import emails


@shared_task(
    name="madoguchi.accounts.tasks.send_account_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_account_email(kind: str, user_id: int, next_path: str = "") -> bool:
    """Sign-up, confirmation and password-reset emails (accounts.emails); the link is made here."""
    return emails.send_now(kind, user_id, next_path)

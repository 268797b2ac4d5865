from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.automation import services


@shared_task(name="madoguchi.automation.tasks.run_actions")
def run_actions(action_ids: list[int]) -> list[str]:
    """The actions of new firings, carried out in bulk (`services.run_actions`; a failure is recorded and
    retried by the sweep)."""
    return services.run_actions(action_ids)


@shared_task(name="madoguchi.automation.tasks.retry_due_actions")
def retry_due_actions() -> int:
    """Celery beat: failed actions whose backoff is over, and pending ones whose message was lost."""
    return services.retry_due_actions()


@shared_task(name="madoguchi.automation.tasks.announce_65th_birthdays")
def announce_65th_birthdays() -> int:
    """Celery beat (hourly; idempotent): resident.turned_65 for today's 65th birthdays, once per person."""
    return services.announce_65th_birthdays()

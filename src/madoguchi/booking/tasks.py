from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)
from madoguchi.booking import services


@shared_task(name="madoguchi.booking.tasks.send_reminders")
def send_reminders() -> int:
    """Celery beat: the day-before reminders of visit bookings, once per booking."""
    return services.send_reminders()

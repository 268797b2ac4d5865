from celery import shared_task

from madoguchi.booking import services


@shared_task(name="madoguchi.booking.tasks.send_reminders")
def send_reminders() -> int:
    """Celery beat: the day-before reminders of visit bookings, once per booking."""
    return services.send_reminders()

from celery import shared_task

from madoguchi.core import events


@shared_task(name="madoguchi.core.tasks.dispatch_event", acks_late=True)
def dispatch_event(event_id: int) -> bool:
    return events.dispatch(event_id)

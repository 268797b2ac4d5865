"""The Celery application. With no broker configured, tasks run eagerly in-process (zero-setup default)."""

from celery import Celery

app = Celery("madoguchi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "madoguchi.core",
        "madoguchi.notify",
        "madoguchi.cases",
        "madoguchi.accounts",
        "madoguchi.counter",
        "madoguchi.automation",
        "madoguchi.booking",
        "madoguchi.intake",
    ]
)

QUEUES = ("default", "events", "notifications", "bulk", "automation", "ocr")

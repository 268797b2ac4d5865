"""Celery tasks of the paper intake, all on the `ocr` queue (settings.CELERY_TASK_ROUTES); in-process without
a broker."""

from __future__ import annotations

from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)

# Seconds: a 500-page PDF is read page by page in one task.
PROCESS_SOFT_TIME_LIMIT = 3600
PROCESS_TIME_LIMIT = 3660


@shared_task(
    name="madoguchi.intake.tasks.process_file",
    acks_late=True,
    soft_time_limit=PROCESS_SOFT_TIME_LIMIT,
    time_limit=PROCESS_TIME_LIMIT,
)
def process_file(scanned_file_id: int, actor_id: int | None = None) -> int:
    """Read the pages of a received file; returns how many pages it has."""
    from django.contrib.auth import get_user_model

    from madoguchi.intake import services
    from madoguchi.intake.models import ScannedFile

    scanned = ScannedFile.objects.filter(pk=scanned_file_id).first()
    if scanned is None:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return len(services.process_file(scanned_file=scanned, actor=actor))


@shared_task(name="madoguchi.intake.tasks.sweep_watch_dir")
def sweep_watch_dir() -> int:
    """Celery beat: take the scanner's new files from MADOGUCHI_INTAKE_WATCH_DIR; each is read by its own task."""
    from django.conf import settings

    from madoguchi.intake import services

    if not settings.INTAKE_WATCH_DIR:
        return 0
    taken = services.sweep_watch_dir(
        directory=settings.INTAKE_WATCH_DIR, min_age_seconds=settings.INTAKE_WATCH_SECONDS, process=False
    )
    for item in taken:
        if item.scanned_file_id and not item.duplicate:
            process_file.delay(item.scanned_file_id)
    return len(taken)

"""Celery tasks of 書かない窓口 (run by beat every hour; in-process without a broker)."""

from __future__ import annotations

from celery import shared_task

import madoguchi.core.celery_app  # noqa: F401  (the configured app, made current before a task is sent)


@shared_task(name="madoguchi.counter.tasks.purge_expired")
def purge_expired() -> dict:
    """Delete expired pre-fill bundles and the answers of visits never confirmed (counter.services)."""
    from madoguchi.counter import services

    report = services.purge_expired()
    return {"bundles": report.bundles, "visit_answers": report.visit_answers}

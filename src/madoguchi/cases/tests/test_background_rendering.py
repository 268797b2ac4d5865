"""No web request renders an upload: without a broker a background thread does, with one the Celery task;
a rendering that did not finish is tried again; a file that asks too much is refused (probe finding 1)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases import background, rendering, sandbox, services
from madoguchi.cases.models import CaseAttachment, RenderFailure, RenderStatus
from madoguchi.cases.tests import sample_files
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return services.start_draft(applicant=ResidentFactory(), procedure=juminhyo())


def _upload(case, data: bytes = b"", name: str = "scan.pdf") -> CaseAttachment:
    return services.attach_file(
        case=case,
        uploaded=SimpleUploadedFile(name, data or sample_files.text_pdf(), content_type="application/pdf"),
        by=case.applicant,
    )


def _slow_render(seconds: float):
    real = sandbox.render_isolated

    def render(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    return render


@pytest.mark.django_db(transaction=True)
def test_an_upload_request_returns_at_once_and_the_copy_is_made_in_the_background(
    client, settings, monkeypatch
):
    settings.RENDER_IN_BACKGROUND = True
    monkeypatch.setattr(sandbox, "render_isolated", _slow_render(2.0))
    resident = ResidentFactory()
    case = services.start_draft(applicant=resident, procedure=juminhyo())
    client.force_login(resident)
    step = reverse("portal:apply_step", args=[case.reference, "delivery"])
    upload = SimpleUploadedFile(
        "hostile.pdf", sample_files.rectangles_pdf(pages=20, rectangles=300), "application/pdf"
    )

    started = time.perf_counter()
    response = client.post(step, {"delivery_method": "mail", "agree": "on", "id_document": upload})
    seconds = time.perf_counter() - started

    assert response.status_code == 302
    assert seconds < 1.0, seconds
    attachment = CaseAttachment.objects.get()
    assert attachment.render_status == RenderStatus.PENDING  # still being made while the resident goes on
    assert background.drain(timeout=60)
    attachment.refresh_from_db()
    assert (attachment.render_status, attachment.render_failure) == (RenderStatus.FAILED, "too_complex")
    assert attachment.render_attempts == 1


def test_with_a_broker_the_celery_task_is_sent_and_nothing_is_rendered_here(draft, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr("madoguchi.cases.tasks.render_attachment.delay", sent.append)
    monkeypatch.setattr(sandbox, "render_isolated", lambda *a, **k: pytest.fail("rendered in the request"))

    attachment = _upload(draft)
    services._schedule_rendering(attachment.pk)

    assert sent == [attachment.pk]


def test_a_rendering_that_ran_out_of_time_is_tried_again_then_refused(draft, monkeypatch):
    attachment = _upload(draft)

    def too_slow(*args, **kwargs):
        raise sandbox.SandboxUnavailable("the rendering took longer than 60 s")

    monkeypatch.setattr(sandbox, "render_isolated", too_slow)
    for attempt in range(1, services.RENDER_MAX_ATTEMPTS):
        again = services.render_attachment(attachment=attachment)
        assert (again.render_status, again.render_attempts, again.render_started_at) == (
            RenderStatus.PENDING,
            attempt,
            None,
        )
    last = services.render_attachment(attachment=attachment)

    assert (last.render_status, last.render_failure) == (RenderStatus.FAILED, RenderFailure.TOO_COMPLEX)
    assert last.render_attempts == services.RENDER_MAX_ATTEMPTS
    with last.file.open("rb") as handle:  # the original stays as evidence
        assert handle.read().startswith(b"%PDF")


def test_one_renderer_at_a_time_and_a_dead_ones_claim_is_taken_over(draft, monkeypatch):
    attachment = _upload(draft)
    CaseAttachment.objects.filter(pk=attachment.pk).update(render_started_at=timezone.now())
    monkeypatch.setattr(sandbox, "render_isolated", lambda *a, **k: pytest.fail("rendered twice"))

    busy = services.render_attachment(attachment=attachment)
    assert busy.render_status == RenderStatus.PENDING
    assert list(services.pending_renderings()) == []

    monkeypatch.undo()
    CaseAttachment.objects.filter(pk=attachment.pk).update(
        render_started_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert list(services.pending_renderings()) == [attachment]
    assert services.render_attachment(attachment=attachment).render_status == RenderStatus.READY


def test_render_pending_and_the_command_make_the_copies_nobody_made(draft, capsys):
    first, second = _upload(draft, name="a.pdf"), _upload(draft, name="b.pdf")
    assert services.pending_renderings().count() == 2

    call_command("attachments", "render")

    assert "2 attachment(s) rendered; now 2 ready, 0 refused, 0 pending." in capsys.readouterr().out
    assert {a.render_status for a in CaseAttachment.objects.filter(pk__in=[first.pk, second.pk])} == {
        RenderStatus.READY
    }


def test_a_missing_original_is_a_failure_that_says_so(draft):
    attachment = _upload(draft)
    attachment.file.storage.delete(attachment.file.name)

    result = services.render_attachment(attachment=attachment)

    assert (result.render_status, result.render_failure) == (RenderStatus.FAILED, RenderFailure.MISSING)


def test_the_limits_come_from_the_settings(settings):
    settings.RENDER_CPU_SECONDS, settings.RENDER_MEMORY_MB, settings.RENDER_TIMEOUT_SECONDS = 7, 512, 20
    settings.RENDER_MAX_PAGE_OPERATIONS, settings.RENDER_MAX_OVERDRAW, settings.RENDER_MAX_MEGAPIXELS = (
        10,
        2,
        3,
    )
    settings.RENDER_MAX_PAGES, settings.RENDER_CONCURRENCY = 5, 2

    assert services.render_limits() == rendering.Limits(
        max_pages=5, max_page_operations=10, max_overdraw=2.0, max_total_pixels=3_000_000
    )
    limits = services.sandbox_limits()
    assert (limits.cpu_seconds, limits.memory_bytes, limits.wall_seconds, limits.concurrency) == (
        7,
        512 * 1024 * 1024,
        20.0,
        2,
    )
    assert limits.slot_dir.endswith("render-slots")


def test_beat_takes_up_pending_renderings_every_minute():
    from madoguchi.core.celery_app import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["render-pending-uploads"]["task"] == "madoguchi.cases.tasks.render_pending"
    assert "madoguchi.cases.tasks.render_pending" in app.tasks
    assert app.amqp.router.route({}, "madoguchi.cases.tasks.render_pending")["queue"].name == "default"


def test_background_work_tries_again_while_sqlite_says_locked(monkeypatch):
    from django.db import OperationalError

    monkeypatch.setattr(background.time, "sleep", lambda seconds: None)
    calls = []

    def flaky(value):
        calls.append(value)
        if len(calls) < 3:
            raise OperationalError("database table is locked")
        return value * 2

    assert background._run(flaky, 21) == 42 and len(calls) == 3

    def broken(value):
        raise OperationalError("no such table: elsewhere")

    assert background._run(broken, 1) is None  # another database error: logged once, not retried

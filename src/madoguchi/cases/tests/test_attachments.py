"""Uploads: refused at once when they can never be re-rendered; otherwise stored as sent and re-rendered."""

from __future__ import annotations

import hashlib
import io

import pypdfium2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases import services
from madoguchi.cases.models import CaseAttachment, RenderFailure, RenderStatus
from madoguchi.cases.tests import sample_files
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def draft():
    resident = ResidentFactory(email="hanako@example.jp")
    return services.start_draft(applicant=resident, procedure=juminhyo())


def _upload(case, name: str, data: bytes, content_type: str) -> CaseAttachment:
    return services.attach_file(
        case=case, uploaded=SimpleUploadedFile(name, data, content_type=content_type), by=case.applicant
    )


def _stored_files() -> list:
    root = settings.MEDIA_ROOT
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_upload_is_stored_as_sent_and_rendered_after_commit(draft, django_capture_on_commit_callbacks):
    photo = sample_files.photo_with_gps()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attachment = _upload(draft, "photo.jpg", photo, "application/octet-stream")
        attachment.refresh_from_db()
        assert attachment.render_status == RenderStatus.PENDING  # nothing rendered inside the transaction

    assert len(callbacks) == 1
    attachment.refresh_from_db()
    assert attachment.render_status == RenderStatus.READY
    assert attachment.rendered_at is not None
    # The original is kept byte for byte (evidence) …
    with attachment.file.open("rb") as handle:
        assert handle.read() == photo
    assert attachment.sha256 == hashlib.sha256(photo).hexdigest()
    assert attachment.content_type == "image/jpeg"
    # … and the safe copy is a separate, fresh file without the position.
    assert attachment.safe_file.name != attachment.file.name
    assert attachment.safe_content_type == "image/jpeg"
    with attachment.safe_file.open("rb") as handle:
        safe = handle.read()
    assert attachment.safe_size == len(safe)
    image = Image.open(io.BytesIO(safe))
    assert len(image.getexif()) == 0
    assert b"Exif" not in safe


def test_the_render_task_is_on_the_default_queue_and_known_to_workers():
    from madoguchi.core.celery_app import QUEUES, app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    assert "madoguchi.cases.tasks.render_attachment" in app.tasks
    route = app.amqp.router.route({}, "madoguchi.cases.tasks.render_attachment")
    assert route["queue"].name == "default"
    assert "default" in QUEUES


def test_render_task_runs_once_and_keeps_the_first_copy(draft):
    from madoguchi.cases.tasks import render_attachment

    attachment = _upload(draft, "gensen.pdf", sample_files.active_pdf(), "application/pdf")

    assert render_attachment.delay(attachment.pk).get() == RenderStatus.READY
    first = CaseAttachment.objects.get(pk=attachment.pk)
    assert first.page_count == 1
    assert render_attachment.delay(attachment.pk).get() == RenderStatus.READY
    again = services.render_attachment(attachment=attachment)  # a stale copy of the row: still one render

    assert again.safe_file.name == first.safe_file.name
    assert len(_stored_files()) == 2  # the original and one safe copy
    with again.safe_file.open("rb") as handle:
        safe = handle.read()
    document = pypdfium2.PdfDocument(safe)
    assert document.count_attachments() == 0
    assert sample_files.ACTIVE_SCRIPT not in safe
    assert render_attachment.delay(10**9).get() == "missing"


def test_an_encrypted_pdf_is_refused_at_upload_and_nothing_is_stored(draft):
    with pytest.raises(services.UploadRejected) as refused:
        _upload(draft, "locked.pdf", sample_files.encrypted_pdf(), "application/pdf")

    assert "パスワードで保護されたPDFは受け付けられません" in refused.value.message("ja")
    assert "Password-protected PDFs cannot be accepted" in refused.value.message("en")
    assert not CaseAttachment.objects.exists()
    assert _stored_files() == []


def test_a_decompression_bomb_is_refused_at_upload(draft):
    with pytest.raises(services.UploadRejected) as refused:
        _upload(draft, "bomb.png", sample_files.png_bomb(), "image/png")

    assert "画素数が多すぎます" in refused.value.message("ja")
    assert not CaseAttachment.objects.exists()


def test_too_many_pages_are_refused_at_upload(draft):
    with pytest.raises(services.UploadRejected) as refused:
        _upload(draft, "all.pdf", sample_files.text_pdf(pages=21), "application/pdf")

    assert "ファイルを分けて" in refused.value.message("ja")
    assert "split it" in refused.value.message("en")


def test_a_file_that_fails_later_is_marked_failed_and_kept(draft):
    data = sample_files.truncated_jpeg()
    attachment = _upload(draft, "cut.jpg", data, "image/jpeg")  # its header reads: accepted

    result = services.render_attachment(attachment=attachment)

    assert result.render_status == RenderStatus.FAILED
    assert result.render_failure == RenderFailure.BROKEN
    assert not result.safe_file
    with result.file.open("rb") as handle:
        assert handle.read() == data
    assert services.render_attachment(attachment=result).render_status == RenderStatus.FAILED

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
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import juminhyo, sync_repository_procedures

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


# ---- a step's files: attach_step_files owns the field's limits ------------------------------------------


def _pdf(name: str = "id.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_files.text_pdf(), content_type="application/pdf")


def _attach_step(case, step_id: str, **uploads):
    return services.attach_step_files(case=case, step_id=step_id, uploads=uploads, by=case.applicant)


def test_a_steps_files_are_attached_to_their_fields(draft):
    problems = _attach_step(draft, "delivery", id_document=[_pdf()])

    assert problems == {}
    (attachment,) = CaseAttachment.objects.all()
    assert (attachment.case, attachment.field_id, attachment.original_name) == (
        draft,
        "id_document",
        "id.pdf",
    )
    assert services.attachment_files(draft)["id_document"][0]["name"] == "id.pdf"


def test_uploads_over_a_fields_limit_are_refused_as_a_whole(draft):
    refused = _attach_step(draft, "delivery", id_document=[_pdf("one.pdf"), _pdf("two.pdf")])
    assert [m.code for m in refused["id_document"]] == ["attachment_limit"]
    assert not CaseAttachment.objects.exists()

    _attach_step(draft, "delivery", id_document=[_pdf("first.pdf")])
    problems = _attach_step(draft, "delivery", id_document=[_pdf("second.pdf")])

    (message,) = problems["id_document"]
    assert message.code == "attachment_limit"
    assert "1個まで" in message.ja and "at most 1" in message.en
    assert list(CaseAttachment.objects.values_list("original_name", flat=True)) == ["first.pdf"]


def test_a_field_that_takes_several_files_takes_up_to_max_files():
    sync_repository_procedures()
    resident = ResidentFactory(email="taro@example.jp")
    case = services.start_draft(applicant=resident, procedure=Procedure.objects.get(slug="hoiku-moushikomi"))

    assert _attach_step(case, "documents", need_documents=[_pdf(f"{n}.pdf") for n in range(2)]) == {}
    refused = _attach_step(case, "documents", need_documents=[_pdf(f"{n}.pdf") for n in range(5)])
    assert [m.code for m in refused["need_documents"]] == ["attachment_limit"]
    assert _attach_step(case, "documents", need_documents=[_pdf(f"{n}.pdf") for n in range(4)]) == {}
    assert CaseAttachment.objects.filter(case=case).count() == 6


def test_a_refused_file_is_a_message_on_its_field(draft):
    problems = _attach_step(
        draft,
        "delivery",
        id_document=[SimpleUploadedFile("locked.pdf", sample_files.encrypted_pdf(), "application/pdf")],
    )

    (message,) = problems["id_document"]
    assert message.code == "upload_rejected"
    assert "パスワードで保護されたPDFは受け付けられません" in message.ja
    assert "Password-protected PDFs cannot be accepted" in message.en
    assert not CaseAttachment.objects.exists()


def test_a_fields_own_size_limit_applies(draft):
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "application/pdf")

    (message,) = _attach_step(draft, "delivery", id_document=[big])["id_document"]

    assert "上限 5 MB" in message.ja  # the field's max_bytes, not MADOGUCHI_UPLOAD_MAX_BYTES (10 MB)
    assert not CaseAttachment.objects.exists()


def test_uploads_for_other_fields_or_steps_are_ignored(draft):
    problems = _attach_step(draft, "delivery", applicant_name=[_pdf()], agree=[_pdf()], nothing=[_pdf()])

    assert problems == {}
    assert not CaseAttachment.objects.exists()
    assert _attach_step(draft, "applicant", id_document=[_pdf()]) == {}  # id_document is not on that step
    assert not CaseAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.pdf", b"", "empty_file"),
        ("big.pdf", b"%PDF" + b"0" * 2048, "too_large"),
        ("notes.txt", b"just text", "unsupported_type"),
        ("locked.pdf", sample_files.encrypted_pdf(), "encrypted"),
    ],
)
def test_a_refused_upload_says_why_in_its_code(draft, name, data, code):
    limit = 1024 if code == "too_large" else None

    with pytest.raises(services.UploadRejected) as refused:
        services.attach_file(
            case=draft, uploaded=SimpleUploadedFile(name, data), by=draft.applicant, max_bytes=limit
        )

    assert refused.value.code == code
    assert refused.value.message("ja") and refused.value.message("en")

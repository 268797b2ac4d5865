"""Attachments shown inline on the case page: each page of the re-rendered copy as an image (the upload as sent
is never served), audited; a pending or failed copy has no preview."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from madoguchi.cases import services
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AuditEvent

from .test_case_detail import _detail

pytestmark = pytest.mark.django_db


def _pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (200, 280), colour) for colour in ("red", "green", "blue", "white")[:pages]]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "PNG")
    return out.getvalue()


def _attach(case, name: str, data: bytes, content_type: str, *, render: bool = True):
    attachment = services.attach_file(
        case=case, uploaded=SimpleUploadedFile(name, data, content_type=content_type), by=case.applicant
    )
    return services.render_attachment(attachment=attachment) if render else attachment


def _preview(case, attachment, page: int) -> str:
    return reverse(
        "office:attachment_preview",
        kwargs={"reference": case.reference, "attachment_id": attachment.pk, "page": page},
    )


def test_every_page_of_a_pdf_is_shown_as_an_image(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = _attach(case, "gensen.pdf", _pdf(3), "application/pdf")

    page = approver_client.get(_detail(case.reference)).content.decode()

    for number in (1, 2, 3):
        assert f'src="{_preview(case, attachment, number)}?look=' in page  # with the page's look token
        assert f"gensen.pdfの{number}ページ目（安全な写し）" in page
    response = approver_client.get(_preview(case, attachment, 2))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    image = Image.open(io.BytesIO(response.content))
    assert image.getpixel((image.width // 2, image.height // 2))[1] > 100  # the green page
    assert approver_client.get(_preview(case, attachment, 4)).status_code == 404
    # fetched without the page's token: each a look of its own at that page (the missing one included)
    rows = AuditEvent.objects.filter(object_id=case.reference).order_by("id")
    assert [(row.action, row.purpose, row.fields) for row in rows[1:]] == [
        ("read", "case_review", [f"attachment:{attachment.pk}:2"]),
        ("read", "case_review", [f"attachment:{attachment.pk}:4"]),
    ]


def test_an_image_is_shown_as_its_re_rendered_copy(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = _attach(case, "photo.png", _png(), "image/png")

    response = approver_client.get(_preview(case, attachment, 1))

    assert response["Content-Type"] == "image/png"
    assert response.content == attachment.safe_file.open("rb").read()


def test_a_pending_copy_has_no_preview(approver_client, procedure):
    case = CaseFactory(procedure=procedure)
    attachment = _attach(case, "gensen.pdf", _pdf(1), "application/pdf", render=False)

    assert approver_client.get(_preview(case, attachment, 1)).status_code == 404


def test_another_departments_staff_get_nothing(client, procedure, kankyo):
    from madoguchi.accounts.tests.factories import StaffFactory

    case = CaseFactory(procedure=procedure)
    attachment = _attach(case, "gensen.pdf", _pdf(1), "application/pdf")
    client.force_login(StaffFactory(department=kankyo))

    assert client.get(_preview(case, attachment, 1)).status_code == 404

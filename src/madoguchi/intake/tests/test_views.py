"""The office pages without JavaScript: upload many files with the plain file input, statuses in ja/en, the
classification queue with the engine's proposal, residents kept out, audited looks at scans."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.core.models import AuditEvent
from madoguchi.intake import recognition
from madoguchi.intake.models import Page, PageStatus, ScannedFile

from .scans import add_noise, filled_values, form_pdf, png_bytes, rasterise


def blank_png(name="blank.png"):
    return SimpleUploadedFile(name, png_bytes(Image.new("L", (1240, 1754), 255)), "image/png")


def test_residents_do_not_see_the_intake(published, client):
    client.force_login(ResidentFactory())
    assert client.get(reverse("intake:home")).status_code == 404


def test_upload_several_files_at_once_without_javascript(
    published, clerk, client, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    home = client.get(reverse("intake:home"))
    assert b'type="file" id="files" name="files" multiple' in home.content

    with django_capture_on_commit_callbacks(execute=True):  # the ocr task runs in-process (no broker)
        response = client.post(
            reverse("intake:upload"),
            {
                "batch": "朝の郵便",
                "files": [blank_png(), SimpleUploadedFile("notes.docx", b"PK\x03\x04", "application/x")],
            },
        )
    response = client.get(response.url)

    assert response.status_code == 200
    text = response.content.decode()
    assert "朝の郵便" in text and "白紙のページです" in text
    assert "notes.docx は受け付けられない種類のファイルです" in text
    assert ScannedFile.objects.count() == 1

    again = client.post(reverse("intake:upload"), {"files": [blank_png("same-again.png")]}, follow=True)
    assert "二重に受け付けません" in again.content.decode()
    assert ScannedFile.objects.count() == 1

    batch = ScannedFile.objects.get().batch
    english = client.get(f"/en/office/intake/batches/{batch.pk}/")
    assert "The page is blank" in english.content.decode()


def test_a_page_without_its_qr_code_is_classified_by_staff(
    published, clerk, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(recognition, "templates", lambda: [])  # no template to match: only a person can tell
    page_image = add_noise(
        rasterise(form_pdf("inkan-certificate", filled_values("inkan-certificate")))[0], seed=2
    )
    draw = ImageDraw.Draw(page_image)
    width = page_image.width
    draw.rectangle((int(width * 0.70), 0, width - 90, int(width * 0.22)), fill=255)  # the QR code torn off
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("intake:upload"), {"files": [SimpleUploadedFile("p1.png", png_bytes(page_image))]}
        )
    page = Page.objects.get()
    assert page.status == PageStatus.UNCLASSIFIED

    queue = client.get(reverse("intake:classify_list"))
    assert reverse("intake:classify", args=[page.pk]) in queue.content.decode()
    before = AuditEvent.objects.filter(object_type="scan_page").count()
    screen = client.get(reverse("intake:classify", args=[page.pk]))
    assert screen.status_code == 200
    assert AuditEvent.objects.filter(object_type="scan_page").count() == before + 1
    version = screen.context["choices"][
        [c["slug"] for c in screen.context["choices"]].index("inkan-certificate")
    ]

    client.post(reverse("intake:classify", args=[page.pk]), {"version": version["id"], "page_number": "1"})

    page.refresh_from_db()
    assert page.status == PageStatus.CLASSIFIED and page.classified_by == clerk
    assert page.procedure.slug == "inkan-certificate" and page.form is not None
    assert page.result["registrant_name"]["raw"].replace(" ", "") == "緑川太郎"  # read with the chosen layout


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_queues_render_in_both_languages(published, clerk, client, lang):
    client.force_login(clerk)
    prefix = "/en" if lang == "en" else ""
    for path in ("/office/intake/", "/office/intake/classify/", "/office/intake/verify/"):
        response = client.get(prefix + path)
        assert response.status_code == 200, path
    assert (
        "Nothing is waiting" if lang == "en" else "確認を待っている項目はありません"
    ) in response.content.decode()

"""Bad input: every page gets a clear status, nothing crashes, nothing is lost (the original is always kept)."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from PIL import Image, ImageDraw
from reportlab.pdfgen import canvas

from madoguchi.cases.models import Case
from madoguchi.intake.models import PAGE_ADVICE, Page, PageStatus, ScannedFile

from .scans import png_bytes


def scan(capsys, *files):
    capsys.readouterr()
    call_command("intake", "scan", *[str(f) for f in files], "--json")
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def pdf_of_pages(count: int, *, size=(72, 72), password: str | None = None, text: str = "") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size, encrypt=password)
    for _ in range(count):
        if text:
            pdf.drawString(10, 10, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def another_form() -> bytes:
    """A page of somebody else's form: text and lines, no QR code, no corner marks."""
    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    for y in range(200, 2200, 120):
        draw.line((150, y, 1500, y), fill=0, width=3)
        draw.text((160, y - 40), "Application for something else entirely", fill=0)
    return png_bytes(image)


def test_every_bad_input_gets_a_status_and_is_kept(published, tmp_path, capsys):
    files = {
        "blank.png": png_bytes(Image.new("L", (1654, 2339), 255)),
        "other-form.png": another_form(),
        "corrupt.pdf": b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage" + b"\x00" * 200,
        "encrypted.pdf": pdf_of_pages(1, password="secret", text="hello"),
        "huge.png": png_bytes(Image.new("L", (8000, 7600), 255)),  # 60.8 megapixels
        "not-a-scan.txt": b"just text",
    }
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)

    lines = scan(capsys, *paths)

    by_file = {line["file"].rsplit("/", 1)[-1]: line for line in lines}
    assert {name: by_file[name]["status"] for name in files} == {
        "blank.png": "blank",
        "other-form.png": "unknown_form",
        "corrupt.pdf": "unreadable",
        "encrypted.pdf": "encrypted",
        "huge.png": "too_large",
        "not-a-scan.txt": "unreadable",
    }
    assert Case.objects.count() == 0
    # Nothing lost: every original is stored byte for byte, every page has a row with a status.
    for name, data in files.items():
        stored = ScannedFile.objects.get(original_name=name)
        with stored.original.open("rb") as handle:
            assert handle.read() == data
        assert stored.pages.count() == 1
    assert (
        Page.objects.filter(status=PageStatus.UNCLASSIFIED).get().image
    )  # waits for a person, with its image
    for status in ("blank", "unknown_form", "unreadable", "encrypted", "too_large"):
        assert PAGE_ADVICE[status], status  # what a person should do, in the UI


def test_a_500_page_pdf_is_read_page_by_page_and_501_is_refused_whole(published, tmp_path, capsys):
    five_hundred = tmp_path / "500.pdf"
    five_hundred.write_bytes(pdf_of_pages(500))
    too_many = tmp_path / "501.pdf"
    too_many.write_bytes(pdf_of_pages(501, text="x"))

    lines = scan(capsys, five_hundred, too_many)

    first = [line for line in lines if line["file"].endswith("/500.pdf")]
    assert [line["page"] for line in first] == list(range(1, 501))
    assert {line["status"] for line in first} == {"blank"}
    assert [line["status"] for line in lines if line["file"].endswith("/501.pdf")] == ["too_large"]
    assert ScannedFile.objects.get(original_name="501.pdf").original.size > 0


def test_a_page_that_fails_is_marked_and_the_next_is_read(published, tmp_path, capsys, monkeypatch):
    from madoguchi.intake import recognition

    calls = []

    def flaky(image):
        calls.append(image)
        if len(calls) == 1:
            raise RuntimeError("engine crashed")
        return recognition.page_reader().read(image, recognition.layout_for, [])

    monkeypatch.setattr(recognition, "read_page", flaky)
    path = tmp_path / "two.pdf"
    path.write_bytes(pdf_of_pages(2, size=(595, 842)))

    lines = scan(capsys, path)

    assert [line["status"] for line in lines] == ["failed", "blank"]
    assert ScannedFile.objects.get().status == "processed"

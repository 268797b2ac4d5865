"""load_pages: every kind of file, and every kind of bad file, gives pages with a status and never raises."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from madoguchi.intake.engine import load_pages


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()


def _pdf(pages: int, *, size=(595.28, 841.89), encrypt=None) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, encrypt=encrypt)
    for n in range(pages):
        canvas.drawString(72, 72, f"page {n + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_png_jpeg_and_multipage_tiff_are_read_as_greyscale_pages():
    pages = list(load_pages(_png(40, 30), "a.png"))
    assert [(p.index, p.status, p.image.size, p.image.mode) for p in pages] == [(1, "ok", (40, 30), "L")]

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (255, 0, 0)).save(buffer, "JPEG")
    assert [p.status for p in load_pages(buffer.getvalue(), "b.jpg")] == ["ok"]

    buffer = io.BytesIO()
    first, second = Image.new("L", (30, 20), 255), Image.new("L", (30, 20), 0)
    first.save(buffer, "TIFF", save_all=True, append_images=[second])
    pages = list(load_pages(buffer.getvalue(), "c.tif"))
    assert [(p.index, p.status) for p in pages] == [(1, "ok"), (2, "ok")]
    assert np.asarray(pages[1].image).max() == 0  # the second page is the black one


def test_pdf_pages_are_rendered_at_200_dpi():
    pages = list(load_pages(_pdf(2), "scan.pdf"))
    assert [(p.index, p.status) for p in pages] == [(1, "ok"), (2, "ok")]
    assert pages[0].image.size == (1654, 2339)


def test_corrupt_empty_and_unknown_files_are_unreadable():
    for data, name in (
        (b"%PDF-1.7\n garbage", "x.pdf"),
        (b"", "y.png"),
        (b"hello", "z.txt"),
        (b"\x89PNG\r\n", "w.png"),
    ):
        pages = list(load_pages(data, name))
        assert len(pages) == 1 and pages[0].status == "unreadable" and pages[0].image is None, name
        assert pages[0].message


def test_encrypted_pdf_says_so():
    data = _pdf(1, encrypt=StandardEncryption("secret", ownerPassword="owner", canPrint=0))
    [page] = load_pages(data, "locked.pdf")
    assert page.status == "encrypted" and "password" in page.message


def test_a_pdf_over_the_page_limit_is_refused_whole_without_rendering():
    [page] = load_pages(_pdf(501, size=(100, 100)), "big.pdf")
    assert page.status == "too_large" and "501 pages" in page.message
    assert len(list(load_pages(_pdf(3, size=(100, 100)), "ok.pdf", max_pages=3))) == 3


def test_an_image_over_60_megapixels_is_refused_before_it_is_decoded():
    # A PNG whose header says 8000 × 8000 (64 MP) but holds almost nothing: only the header is ever read.
    data = bytearray(_png(1, 1))
    ihdr = data[12:29]
    patched = ihdr[:4] + struct.pack(">II", 8000, 8000) + ihdr[12:]
    data[12:29] = patched
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(patched)) & 0xFFFFFFFF)
    [page] = load_pages(bytes(data), "huge.png")
    assert page.status == "too_large" and "64 megapixels" in page.message
    # A PDF page that would be too large at 200 dpi (A0) is refused, the other page is read.
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(2384, 3370))
    canvas.showPage()
    canvas.setPageSize((595.28, 841.89))
    canvas.showPage()
    canvas.save()
    pages = list(load_pages(buffer.getvalue(), "mixed.pdf"))
    assert [p.status for p in pages] == ["too_large", "ok"]


def test_blank_page_is_reported_blank(reader):
    blank = np.full((2339, 1654), 250, dtype=np.uint8)
    noise = np.random.default_rng(1).random(blank.shape) < 0.0003  # scanner dust
    blank[noise] = 30
    result = reader.read(blank, lambda payload: None)
    assert result.status == "blank" and result.fields == {}

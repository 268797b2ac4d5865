"""cases.rendering: uploads come out as fresh files with only their pixels (no Django needed)."""

from __future__ import annotations

import io

import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from madoguchi.cases import rendering
from madoguchi.cases.tests import sample_files

PDF, JPEG, PNG = rendering.PDF, rendering.JPEG, rendering.PNG


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _assert_image_only(data: bytes, pages: int) -> pypdfium2.PdfDocument:
    """Every page of the PDF is exactly one image object; nothing else is in the document."""
    document = pypdfium2.PdfDocument(data)
    assert len(document) == pages
    assert document.count_attachments() == 0
    assert pdfium_raw.FPDFDoc_GetJavaScriptActionCount(document) == 0
    assert document.get_formtype() == pdfium_raw.FORMTYPE_NONE
    assert document.get_metadata_dict(skip_empty=True) == {}
    for index in range(pages):
        page = document[index]
        assert [obj.type for obj in page.get_objects()] == [pdfium_raw.FPDF_PAGEOBJ_IMAGE]
        assert pdfium_raw.FPDFPage_GetAnnotCount(page) == 0
    for marker in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/URI", b"/Annots", b"/EmbeddedFile",
                   b"/AcroForm", b"/Names", b"/Font", b"/Launch"):  # fmt: skip
        assert marker not in data
    return document


# ---------------------------------------------------------------------------------------------------------
# Images


def test_exif_with_gps_is_gone_and_the_orientation_is_applied():
    original = sample_files.photo_with_gps((300, 120), orientation=6)
    source = _image(original)  # the sample really carries a position, a comment and a colour profile
    assert source.getexif().get_ifd(sample_files.GPS_IFD)
    assert "comment" in source.info and "icc_profile" in source.info

    rendered = rendering.render_safe_copy(original, JPEG)

    image = _image(rendered.data)
    assert rendered.content_type == JPEG and image.format == "JPEG"
    assert rendered.page_count == 1
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in rendered.data and b"ExamplePhone" not in rendered.data
    assert b"taken at home" not in rendered.data
    # Orientation 6 means "rotate 90° clockwise to display": the blue band on the left is now on top.
    assert image.size == (120, 300)
    red, _, blue = image.convert("RGB").getpixel((60, 10))
    assert blue > 150 and red < 100
    red, _, blue = image.convert("RGB").getpixel((60, 290))
    assert red > 150 and blue < 100


def test_png_stays_png_without_text_exif_or_transparency():
    original = sample_files.png_with_metadata("RGBA")
    assert _image(original).info.get("Comment")

    rendered = rendering.render_safe_copy(original, PNG)

    image = _image(rendered.data)
    assert rendered.content_type == PNG and image.format == "PNG"
    assert image.mode == "RGB"
    assert image.info.keys() <= {"dpi", "gamma", "srgb"} and "dpi" not in image.info
    assert b"home address" not in rendered.data and b"eXIf" not in rendered.data
    assert image.getpixel((10, 20)) == (0, 0, 0)  # opaque black stays black
    assert image.getpixel((70, 20)) == (255, 255, 255)  # the transparent half is flattened onto white


def test_cmyk_jpeg_comes_out_as_rgb_jpeg():
    out = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(out, "JPEG")  # pure red in CMYK

    rendered = rendering.render_safe_copy(out.getvalue(), JPEG)

    image = _image(rendered.data)
    assert image.format == "JPEG" and image.mode == "RGB"
    red, green, blue = image.getpixel((20, 15))
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_greyscale_png_keeps_its_tones():
    out = io.BytesIO()
    Image.new("I;16", (20, 20), 40000).save(out, "PNG")

    image = _image(rendering.render_safe_copy(out.getvalue(), PNG).data)

    assert image.mode == "L"
    assert abs(image.getpixel((5, 5)) - 40000 // 256) <= 1


def test_a_large_photo_is_scaled_down_to_the_side_limit(monkeypatch):
    monkeypatch.setattr(rendering, "MAX_IMAGE_SIDE", 500)
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 120, 10)).save(out, "JPEG")

    image = _image(rendering.render_safe_copy(out.getvalue(), JPEG).data)

    assert image.size == (500, 250)


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = sample_files.png_bomb()
    assert len(bomb) < 100_000  # small on the wire …

    with pytest.raises(rendering.RenderingError) as refused:
        rendering.check_renderable(bomb, PNG)
    assert refused.value.code == "too_many_pixels"
    assert "画素数が多すぎます" in refused.value.message_ja
    assert "too many pixels" in refused.value.message_en
    with pytest.raises(rendering.RenderingError):
        rendering.render_safe_copy(bomb, PNG)


def test_an_image_whose_header_says_another_type_is_refused():
    with pytest.raises(rendering.RenderingError) as refused:
        rendering.check_renderable(sample_files.photo_with_gps(), PNG)  # a JPEG sniffed as PNG
    assert refused.value.code == "broken"


def test_a_truncated_jpeg_passes_the_quick_check_but_does_not_render():
    data = sample_files.truncated_jpeg()

    assert rendering.check_renderable(data, JPEG) == 1
    with pytest.raises(rendering.RenderingError) as failed:
        rendering.render_safe_copy(data, JPEG)
    assert failed.value.code == "broken"


# ---------------------------------------------------------------------------------------------------------
# PDFs


def test_a_pdf_with_javascript_an_embedded_file_and_a_link_comes_out_image_only():
    original = sample_files.active_pdf()
    source = pypdfium2.PdfDocument(original)  # the sample really has all three
    assert source.count_attachments() == 1
    assert pdfium_raw.FPDFDoc_GetJavaScriptActionCount(source) == 1
    assert pdfium_raw.FPDFPage_GetAnnotCount(source[0]) == 1
    source.close()

    rendered = rendering.render_safe_copy(original, PDF)

    assert rendered.content_type == PDF and rendered.page_count == 1
    document = _assert_image_only(rendered.data, pages=1)
    assert document[0].get_size() == pytest.approx((595, 842))  # prints at the size of the original
    for secret in (sample_files.ACTIVE_SCRIPT, sample_files.ACTIVE_URI, sample_files.ACTIVE_PAYLOAD):
        assert secret not in rendered.data
    # The page text is still there for staff to read, as pixels.
    (page_image,) = document[0].get_objects()
    pixels = page_image.get_bitmap().to_pil().convert("L")
    assert pixels.size == (round(595 * rendering.PDF_DPI / 72), round(842 * rendering.PDF_DPI / 72))
    text_band = pixels.crop((200, 200, 1100, 400))  # "Click here", 36 pt, 72 pt from the top-left corner
    assert text_band.getextrema()[0] < 64
    assert pixels.crop((0, 1500, 1600, 2300)).getextrema() == (255, 255)  # the rest of the page is blank


def test_every_page_is_rendered_and_rotation_is_kept():
    rendered = rendering.render_safe_copy(sample_files.text_pdf(pages=3, rotate=90), PDF)

    assert rendered.page_count == 3
    document = _assert_image_only(rendered.data, pages=3)
    width, height = document[2].get_size()
    assert width == pytest.approx(842) and height == pytest.approx(595)


def test_an_encrypted_pdf_is_refused_with_a_message():
    data = sample_files.encrypted_pdf(user_password=b"secret")
    assert len(pypdfium2.PdfDocument(data, password="secret")) == 1  # a real encrypted PDF

    with pytest.raises(rendering.RenderingError) as refused:
        rendering.check_renderable(data, PDF)
    assert refused.value.code == "encrypted"
    assert "パスワード" in refused.value.message_ja and "password" in refused.value.message_en
    with pytest.raises(rendering.RenderingError):
        rendering.render_safe_copy(data, PDF)


def test_a_pdf_that_pdfium_cannot_open_is_broken():
    with pytest.raises(rendering.RenderingError) as refused:
        rendering.check_renderable(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", PDF)
    assert refused.value.code == "broken"


def test_too_many_pages_are_refused_at_the_check():
    assert rendering.check_renderable(sample_files.text_pdf(pages=rendering.MAX_PDF_PAGES), PDF) == 20

    with pytest.raises(rendering.RenderingError) as refused:
        rendering.check_renderable(sample_files.text_pdf(pages=rendering.MAX_PDF_PAGES + 1), PDF)
    assert refused.value.code == "too_many_pages"
    assert f"上限 {rendering.MAX_PDF_PAGES} ページ" in refused.value.message_ja


def test_a_huge_page_is_rendered_within_the_pixel_limit():
    data = sample_files.build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 7200] >>",  # 200 × 100 inches
        ]
    )

    document = _assert_image_only(rendering.render_safe_copy(data, PDF).data, pages=1)

    (page_image,) = document[0].get_objects()
    assert page_image.get_size() == (rendering.MAX_PAGE_SIDE, rendering.MAX_PAGE_SIDE // 2)


# ---------------------------------------------------------------------------------------------------------
# Whatever follows the magic bytes, the outcome is a file or a RenderingError


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content_type=st.sampled_from([PDF, JPEG, PNG]),
    tail=st.binary(max_size=600),
)
def test_arbitrary_bytes_never_escape_as_another_error(content_type, tail):
    magic = {PDF: b"%PDF-1.4\n", JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n"}[content_type]
    data = magic + tail
    try:
        rendering.check_renderable(data, content_type)
        rendering.render_safe_copy(data, content_type)
    except rendering.RenderingError as exc:
        assert exc.code in {"broken", "encrypted", "too_many_pixels", "too_many_pages", "no_pages"}


_VALID_SAMPLES = {
    JPEG: sample_files.photo_with_gps((64, 48)),
    PNG: sample_files.png_with_metadata("RGBA"),
    PDF: sample_files.active_pdf(),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content_type=st.sampled_from([PDF, JPEG, PNG]),
    edits=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.floats(min_value=0.05, max_value=1),
)
def test_damaged_valid_files_never_escape_as_another_error(content_type, edits, cut):
    data = bytearray(_VALID_SAMPLES[content_type])
    for position, value in edits:
        data[min(len(data) - 1, 8 + int(position * (len(data) - 8)))] = value  # keep the magic bytes
    data = bytes(data[: max(16, int(len(data) * cut))])
    try:
        rendering.check_renderable(data, content_type)
        rendered = rendering.render_safe_copy(data, content_type)
    except rendering.RenderingError as exc:
        assert exc.code in {"broken", "encrypted", "too_many_pixels", "too_many_pages", "no_pages"}
    else:
        assert rendered.content_type == content_type
        if content_type == PDF:
            _assert_image_only(rendered.data, pages=rendered.page_count)

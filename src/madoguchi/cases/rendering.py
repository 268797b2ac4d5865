"""Re-render residents' uploads into fresh files that staff can open safely (pure: no Django).

An upload is never shown to staff as sent. Images are decoded and encoded again by Pillow into a new file of
the same format: only the pixels survive (no EXIF, GPS, XMP, ICC profile or text chunks; the EXIF orientation
is applied first; transparency is flattened onto white). PDFs are rasterised page by page by PDFium
(pypdfium2, built without JavaScript or XFA) and written into a new PDF that holds one JPEG image per page and
nothing else: no JavaScript, actions, forms, annotations, links, embedded files, fonts or metadata survive.

`check_renderable` is the cheap part that runs while the resident is still on the upload page (headers, page
count, password); `render_safe_copy` is the full work that runs afterwards. Both raise `RenderingError`.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass

import pypdfium2
import pypdfium2.raw as pdfium_raw
from PIL import Image, ImageOps

from madoguchi.core.errors import MadoguchiError

# Limits (docs/security.md, "Uploads"). An upload is limited to MADOGUCHI_UPLOAD_MAX_BYTES (10 MB) before it
# gets here; these bound the memory and time one rendering may take.
MAX_IMAGE_PIXELS = 64_000_000  # declared size of an image (a 64-megapixel photo); more is refused unread
MAX_IMAGE_SIDE = 4096  # longer side of a re-rendered image, in pixels; larger photos are scaled down
IMAGE_JPEG_QUALITY = 90
PDF_DPI = 200  # 6–8 pt kanji on tax and medical forms stay legible (about 17–22 px per character)
MAX_PDF_PAGES = 20  # more is refused at upload: staff would otherwise miss pages without noticing
MAX_PAGE_SIDE = 4096  # longer side of one rendered page in pixels; larger pages are rendered at a lower dpi
PDF_JPEG_QUALITY = 85

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
# What Pillow raises on malformed input (besides its own OSError subclasses): all mean "damaged file".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, struct.error)

# PDFium is not thread-safe: one rendering at a time per process (threaded dev server, eager tasks).
_PDFIUM_LOCK = threading.Lock()


class RenderingError(MadoguchiError):
    """The upload cannot be turned into a safe copy; `code` says why, the messages tell the resident what to do."""

    str_format = "{code}: {en}"


@dataclass(frozen=True)
class RenderedFile:
    data: bytes
    content_type: str  # the same type as the upload: PDF stays PDF, JPEG stays JPEG, PNG stays PNG
    page_count: int  # 1 for an image


def _broken() -> RenderingError:
    return RenderingError(
        "broken",
        "ファイルが壊れているか、読み取れない形式です。元のファイルを保存し直すか、撮り直してからもう一度お送りください。",
        "The file is damaged or cannot be read. Please save it again (or take the photo again) and send it again.",
    )


def _encrypted() -> RenderingError:
    return RenderingError(
        "encrypted",
        "パスワードで保護されたPDFは受け付けられません。パスワードを外したPDFを作り直すか、書類を撮影した画像をお送りください。",
        "Password-protected PDFs cannot be accepted. Please save a copy without a password, or send a photo of "
        "the document.",
    )


def _too_many_pixels() -> RenderingError:
    megapixels = MAX_IMAGE_PIXELS // 1_000_000
    return RenderingError(
        "too_many_pixels",
        f"画像の画素数が多すぎます（上限 {megapixels} メガピクセル）。画像を小さくしてからもう一度お送りください。",
        f"The image has too many pixels (limit {megapixels} megapixels). Please make it smaller and try again.",
    )


def _too_many_pages(pages: int) -> RenderingError:
    return RenderingError(
        "too_many_pages",
        f"PDFのページ数が多すぎます（{pages} ページ、上限 {MAX_PDF_PAGES} ページ）。"
        "ファイルを分けて、1つずつお送りください。",
        f"The PDF has too many pages ({pages}; limit {MAX_PDF_PAGES}). Please split it and send the parts "
        "one by one.",
    )


def _empty_pdf() -> RenderingError:
    return RenderingError(
        "no_pages",
        "PDFにページがありません。書類のPDFをもう一度作ってお送りください。",
        "The PDF has no pages. Please create the PDF of the document again and send it.",
    )


# ---------------------------------------------------------------------------------------------------------
# Entry points


def check_renderable(data: bytes, content_type: str) -> int:
    """Refuse at upload what can never be rendered (damaged, password, too big); returns the page count."""
    if content_type == PDF:
        with _PDFIUM_LOCK:
            document = _open_pdf(data)
            try:
                pages = _page_count(document)
                for index in range(pages):
                    width, height = document.get_page_size(index)
                    if not (width > 0 and height > 0):
                        raise _broken()
            except pypdfium2.PdfiumError as exc:
                raise _broken() from exc
            finally:
                document.close()
        return pages
    with _open_image(data, content_type) as image:
        try:
            image.verify()  # PNG: walks every chunk and checks its CRC without decoding
        except _DECODE_ERRORS as exc:
            raise _broken() from exc
    return 1


def render_safe_copy(data: bytes, content_type: str) -> RenderedFile:
    """Re-render an upload (`content_type` as sniffed from its first bytes) into a fresh file of the same type."""
    if content_type == PDF:
        return _render_pdf(data)
    return _render_image(data, content_type)


# ---------------------------------------------------------------------------------------------------------
# Images


def _open_image(data: bytes, content_type: str) -> Image.Image:
    """Open with the one decoder the sniffed type allows, and refuse a decompression bomb before decoding."""
    pillow_format = _PILLOW_FORMAT.get(content_type)
    if pillow_format is None:
        raise _broken()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[pillow_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except _DECODE_ERRORS as exc:  # PIL.UnidentifiedImageError is an OSError
        raise _broken() from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise _broken()
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise _too_many_pixels()
    return image


def _render_image(data: bytes, content_type: str) -> RenderedFile:
    with _open_image(data, content_type) as image:
        try:
            # JPEG: let the decoder scale down by 1/2, 1/4 or 1/8 when the photo is far above the limit.
            image.draft(image.mode, (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            upright = ImageOps.exif_transpose(image)
            pixels = _flatten(upright)
            pixels.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
        except _DECODE_ERRORS as exc:
            raise _broken() from exc
    # A new image from the raw pixels carries no `info` (EXIF, ICC, XMP, text chunks, DPI) of the upload.
    fresh = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if content_type == JPEG:
        fresh.save(out, "JPEG", quality=IMAGE_JPEG_QUALITY, optimize=True)
    else:
        fresh.save(out, "PNG", optimize=True)
    return RenderedFile(data=out.getvalue(), content_type=content_type, page_count=1)


def _flatten(image: Image.Image) -> Image.Image:
    """8-bit greyscale or RGB; transparency onto white (what the resident saw on a white page)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")  # 16 → 8 bit
    if image.mode == "P" or (image.mode in ("L", "RGB") and "transparency" in image.info):
        image = image.convert("RGBA")
    if image.mode in ("LA", "PA", "La"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    if image.mode in ("1", "L"):
        return image.convert("L")
    return image.convert("RGB")  # RGB, CMYK (Adobe-inverted CMYK JPEGs are decoded as such), YCbCr, …


# ---------------------------------------------------------------------------------------------------------
# PDFs


def _open_pdf(data: bytes) -> pypdfium2.PdfDocument:
    """Open without a password; call with `_PDFIUM_LOCK` held."""
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if pdfium_raw.FPDF_GetLastError() == pdfium_raw.FPDF_ERR_PASSWORD:
            raise _encrypted() from exc
        raise _broken() from exc


def _page_count(document: pypdfium2.PdfDocument) -> int:
    pages = len(document)
    if pages == 0:
        raise _empty_pdf()
    if pages > MAX_PDF_PAGES:
        raise _too_many_pages(pages)
    return pages


def _render_pdf(data: bytes) -> RenderedFile:
    pages: list[tuple[bytes, int, int, float, float]] = []
    with _PDFIUM_LOCK:
        document = _open_pdf(data)
        try:
            # Form fields the resident filled in are part of what they sent: draw them (no JavaScript runs;
            # this PDFium build has none).
            document.init_forms()
            for index in range(_page_count(document)):
                pages.append(_render_page(document, index))
        except pypdfium2.PdfiumError as exc:
            raise _broken() from exc
        finally:
            document.close()
    return RenderedFile(data=_image_only_pdf(pages), content_type=PDF, page_count=len(pages))


def _render_page(document: pypdfium2.PdfDocument, index: int) -> tuple[bytes, int, int, float, float]:
    """One page as JPEG bytes, its pixel size, and its size in points (rotation applied)."""
    page = document[index]
    try:
        width_pt, height_pt = page.get_size()  # as displayed: /Rotate and the crop box applied
        if not (width_pt > 0 and height_pt > 0):
            raise _broken()
        scale = min(PDF_DPI / 72, MAX_PAGE_SIDE / max(width_pt, height_pt))
        bitmap = page.render(
            scale=scale, draw_annots=True, may_draw_forms=True, fill_color=(255, 255, 255, 255)
        )
        try:
            image = bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()
    finally:
        page.close()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=PDF_JPEG_QUALITY, optimize=True)
    return out.getvalue(), image.width, image.height, width_pt, height_pt


def _image_only_pdf(pages: list[tuple[bytes, int, int, float, float]]) -> bytes:
    """A PDF with one full-page JPEG per page and nothing else (no Info dictionary, no fonts, no actions).

    Written by hand rather than with Pillow's PDF writer so that only one page bitmap is in memory at a time
    and each page keeps its size in points (it prints at the size of the original).
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def write_object(number: int, body: bytes, stream: bytes | None = None) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number)
        if stream is None:
            out.write(body + b"\nendobj\n")
        else:
            out.write(body + b"\nstream\n" + stream + b"\nendstream\nendobj\n")

    kids = []
    for index, (jpeg, width_px, height_px, width_pt, height_pt) in enumerate(pages):
        page_number, image_number, content_number = 3 + 3 * index, 4 + 3 * index, 5 + 3 * index
        kids.append(b"%d 0 R" % page_number)
        write_object(
            page_number,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (width_pt, height_pt, image_number, content_number),
        )
        write_object(
            image_number,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>" % (width_px, height_px, len(jpeg)),
            jpeg,
        )
        content = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (width_pt, height_pt)
        write_object(content_number, b"<< /Length %d >>" % len(content), content)
    write_object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    write_object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages)))

    size = 3 + 3 * len(pages)
    xref_at = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at))
    return out.getvalue()

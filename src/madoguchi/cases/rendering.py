"""Re-render residents' uploads into fresh files that staff can open safely (pure: no Django).

An upload is never shown to staff as sent. Images are decoded and encoded again by Pillow into a new file of
the same format: only the pixels survive (no EXIF, GPS, XMP, ICC profile or text chunks; the EXIF orientation
is applied first; transparency is flattened onto white). PDFs are rasterised page by page by PDFium
(pypdfium2, built without JavaScript or XFA) and written into a new PDF that holds one JPEG image per page and
nothing else: no JavaScript, actions, forms, annotations, links, embedded files, fonts or metadata survive.

`check_renderable` is the cheap part that runs while the resident is still on the upload page (headers, page
count, password); `render_safe_copy` is the full work that runs afterwards, never in a web request and only
in a separate process with CPU, memory and time limits (`cases.sandbox`). Both raise `RenderingError`.

A PDF can ask for far more drawing than its size suggests: a 3 KB file whose pages repeat hundreds of
page-sized filled rectangles takes PDFium tens of seconds. Before a single page is rasterised,
`measure_pdf` walks every page's objects — those of annotation appearances and nested form XObjects
too — and refuses a page with more than `Limits.max_page_operations` objects and path segments, or whose
objects would paint more than `Limits.max_overdraw` times the page's area, or a document whose pages
would together come to more than `Limits.max_total_pixels` pixels.
"""

from __future__ import annotations

import ctypes
import io
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from madoguchi.core.errors import MadoguchiError

if TYPE_CHECKING:
    import pypdfium2
    from PIL import Image

# pypdfium2 and Pillow (with numpy) are imported by the functions that use them: this module is imported by
# cases.services, hence by every page and command, and they cost ~0.3 s at each start of a command.

# Limits (docs/security.md, "Uploads"). An upload is limited to MADOGUCHI_UPLOAD_MAX_BYTES (10 MB) before it
# gets here; these bound the memory and time one rendering may take.
MAX_IMAGE_PIXELS = 64_000_000  # declared size of an image (a 64-megapixel photo); more is refused unread
MAX_IMAGE_SIDE = 4096  # longer side of a re-rendered image, in pixels; larger photos are scaled down
IMAGE_JPEG_QUALITY = 90
PDF_DPI = 200  # 6–8 pt kanji on tax and medical forms stay legible (about 17–22 px per character)
MAX_PDF_PAGES = 20  # more is refused at upload: staff would otherwise miss pages without noticing
MAX_PAGE_SIDE = 4096  # longer side of one rendered page in pixels; larger pages are rendered at a lower dpi
PDF_JPEG_QUALITY = 85
# The drawing a PDF may ask for (settings: MADOGUCHI_RENDER_*; docs/security.md "Uploads").
MAX_PAGE_OPERATIONS = 100_000  # objects and path segments on one page, nested forms and annotations included
MAX_OVERDRAW = 50.0  # how many times the objects of one page may paint the page's area over
MAX_TOTAL_PIXELS = 160_000_000  # pixels of all rendered pages together (20 A3 pages at 200 dpi)
MAX_FORM_DEPTH = 12  # form XObjects inside form XObjects

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
class Limits:
    """How much one rendering may do; the defaults are the constants above (settings override them)."""

    max_pages: int = MAX_PDF_PAGES
    max_page_operations: int = MAX_PAGE_OPERATIONS
    max_overdraw: float = MAX_OVERDRAW
    max_total_pixels: int = MAX_TOTAL_PIXELS
    max_image_pixels: int = MAX_IMAGE_PIXELS


@dataclass(frozen=True)
class PageCost:
    """What drawing one page asks for: objects and path segments, and how often its area is painted over."""

    operations: int
    overdraw: float


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


def _too_many_pages(pages: int, limit: int = MAX_PDF_PAGES) -> RenderingError:
    return RenderingError(
        "too_many_pages",
        f"PDFのページ数が多すぎます（{pages} ページ、上限 {limit} ページ）。"
        "ファイルを分けて、1つずつお送りください。",
        f"The PDF has too many pages ({pages}; limit {limit}). Please split it and send the parts one by one.",
    )


def too_complex() -> RenderingError:
    """The drawing is too much to re-render safely (too many objects, too much painting, or the limits of the
    rendering process were reached). Also raised by `cases.sandbox` when the process is stopped."""
    return RenderingError(
        "too_complex",
        "このファイルは描画の処理が非常に多いため、安全に確認できる形に変換できませんでした。"
        "書類を印刷して撮影した画像（JPEG・PNG）か、スキャナーで読み取ったPDFをお送りください。",
        "This file asks for so much drawing that it could not be converted into a form that can be checked "
        "safely. Please send a photo of the printed document (JPEG or PNG), or a PDF made with a scanner.",
    )


def _empty_pdf() -> RenderingError:
    return RenderingError(
        "no_pages",
        "PDFにページがありません。書類のPDFをもう一度作ってお送りください。",
        "The PDF has no pages. Please create the PDF of the document again and send it.",
    )


# ---------------------------------------------------------------------------------------------------------
# Entry points


def check_renderable(data: bytes, content_type: str, *, max_pages: int = MAX_PDF_PAGES) -> int:
    """Refuse at upload what can never be rendered (damaged, password, too big); returns the page count.

    Quick (no page is loaded): it runs in the upload's web request. How much drawing the pages ask for is
    measured later, in the rendering process (`measure_pdf`)."""
    import pypdfium2

    if content_type == PDF:
        with _PDFIUM_LOCK:
            document = _open_pdf(data)
            try:
                pages = _page_count(document, max_pages)
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


def render_safe_copy(data: bytes, content_type: str, limits: Limits | None = None) -> RenderedFile:
    """Re-render an upload (`content_type` as sniffed from its first bytes) into a fresh file of the same type.

    Call it in the sandbox (`cases.sandbox.render_isolated`), never in a web request: a PDF is measured first
    (`measure_pdf`) and refused as too complex before anything is drawn, but only the sandbox's limits bound
    what PDFium itself does while parsing."""
    limits = limits or Limits()
    if content_type == PDF:
        measure_pdf(data, limits)
        return _render_pdf(data, limits)
    return _render_image(data, content_type)


# ---------------------------------------------------------------------------------------------------------
# Images


def _open_image(data: bytes, content_type: str) -> Image.Image:
    """Open with the one decoder the sniffed type allows, and refuse a decompression bomb before decoding."""
    from PIL import Image

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
    from PIL import Image, ImageOps

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
    from PIL import Image

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
    import pypdfium2
    import pypdfium2.raw as pdfium_raw

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if pdfium_raw.FPDF_GetLastError() == pdfium_raw.FPDF_ERR_PASSWORD:
            raise _encrypted() from exc
        raise _broken() from exc


def _page_count(document: pypdfium2.PdfDocument, max_pages: int = MAX_PDF_PAGES) -> int:
    pages = len(document)
    if pages == 0:
        raise _empty_pdf()
    if pages > max_pages:
        raise _too_many_pages(pages, max_pages)
    return pages


def _scale(width_pt: float, height_pt: float) -> float:
    """Points to pixels: PDF_DPI, or less for a page whose longer side would exceed MAX_PAGE_SIDE."""
    return min(PDF_DPI / 72, MAX_PAGE_SIDE / max(width_pt, height_pt))


# ---- measuring the drawing a PDF asks for -----------------------------------------------------------------

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def measure_pdf(data: bytes, limits: Limits | None = None) -> list[PageCost]:
    """The drawing each page asks for; raises RenderingError("too_complex") as soon as a limit is passed.

    Works on its own copy of the document: annotation appearances (and filled-in form fields) are flattened
    into the page first, so that what they draw is counted like the page's own content.
    """
    import pypdfium2
    import pypdfium2.raw as pdfium_raw

    limits = limits or Limits()
    costs = []
    with _PDFIUM_LOCK:
        document = _open_pdf(data)
        try:
            total_pixels = 0
            for index in range(_page_count(document, limits.max_pages)):
                width_pt, height_pt = document.get_page_size(index)
                if not (width_pt > 0 and height_pt > 0):
                    raise _broken()
                scale = _scale(width_pt, height_pt)
                total_pixels += round(width_pt * scale) * round(height_pt * scale)
                if total_pixels > limits.max_total_pixels:
                    raise too_complex()
                page = document[index]
                try:
                    pdfium_raw.FPDFPage_Flatten(page.raw, pdfium_raw.FLAT_PRINT)
                finally:
                    page.close()
                page = document[index]  # loaded again: the flattened appearances are now page content
                try:
                    costs.append(_page_cost(page, limits))
                finally:
                    page.close()
        except pypdfium2.PdfiumError as exc:
            raise _broken() from exc
        finally:
            document.close()
    return costs


def _then(first: tuple, second: tuple) -> tuple:
    """The matrix that applies `first`, then `second` (PDF row-vector convention: a b c d e f)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = second
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _children(page_raw, form) -> Iterator:
    import pypdfium2.raw as pdfium_raw

    if form is None:
        for index in range(pdfium_raw.FPDFPage_CountObjects(page_raw)):
            yield pdfium_raw.FPDFPage_GetObject(page_raw, index)
    else:
        for index in range(pdfium_raw.FPDFFormObj_CountObjects(form)):
            yield pdfium_raw.FPDFFormObj_GetObject(form, index)


def _page_cost(page: pypdfium2.PdfPage, limits: Limits) -> PageCost:
    """Objects and path segments of the page (nested forms included), and the area they paint (points²,
    each object's bounding box in page space clipped to the page), stopping as soon as a limit is passed."""
    import pypdfium2.raw as pdfium_raw

    left, bottom, right, top = page.get_bbox()
    page_area = max((right - left) * (top - bottom), 1.0)
    max_painted = limits.max_overdraw * page_area
    operations, painted = 0, 0.0
    edges = [ctypes.c_float() for _ in range(4)]
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    width = ctypes.c_float()
    matrix = pdfium_raw.FS_MATRIX()
    # (container: None for the page or a form object, its matrix to page space, its depth)
    pending: list[tuple] = [(None, _IDENTITY, 0)]
    while pending:
        container, to_page, depth = pending.pop()
        for obj in _children(page.raw, container):
            operations += 1
            kind = pdfium_raw.FPDFPageObj_GetType(obj)
            if kind == pdfium_raw.FPDF_PAGEOBJ_FORM:
                if depth >= MAX_FORM_DEPTH or not pdfium_raw.FPDFPageObj_GetMatrix(obj, matrix):
                    raise too_complex()
                form_matrix = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
                pending.append((obj, _then(form_matrix, to_page), depth + 1))
                continue
            if kind == pdfium_raw.FPDF_PAGEOBJ_PATH:
                operations += max(pdfium_raw.FPDFPath_CountSegments(obj), 0)
            if operations > limits.max_page_operations:
                raise too_complex()
            if not pdfium_raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(e) for e in edges)):
                continue
            x0, y0, x1, y1 = (e.value for e in edges)
            xs, ys = [], []
            for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
                a, b, c, d, e, f = to_page
                xs.append(a * x + c * y + e)
                ys.append(b * x + d * y + f)
            w = max(0.0, min(max(xs), right) - max(min(xs), left))
            h = max(0.0, min(max(ys), top) - max(min(ys), bottom))
            area = w * h
            if kind == pdfium_raw.FPDF_PAGEOBJ_PATH:
                pdfium_raw.FPDFPath_GetDrawMode(obj, ctypes.byref(fill_mode), ctypes.byref(stroke))
                if not fill_mode.value:  # a stroked outline paints about its length times its width
                    pdfium_raw.FPDFPageObj_GetStrokeWidth(obj, ctypes.byref(width))
                    area = min(area, 2 * (w + h) * max(width.value, 1.0)) if stroke.value else 0.0
            elif kind == pdfium_raw.FPDF_PAGEOBJ_IMAGE and _image_pixels(obj) > limits.max_image_pixels:
                raise too_complex()  # decoding it alone would take gigabytes
            painted += area
            if painted > max_painted:
                raise too_complex()
    return PageCost(operations=operations, overdraw=painted / page_area)


def _image_pixels(obj) -> int:
    import pypdfium2.raw as pdfium_raw

    width, height = ctypes.c_uint(), ctypes.c_uint()
    if not pdfium_raw.FPDFImageObj_GetImagePixelSize(obj, ctypes.byref(width), ctypes.byref(height)):
        return 0
    return width.value * height.value


def _render_pdf(data: bytes, limits: Limits | None = None) -> RenderedFile:
    import pypdfium2

    limits = limits or Limits()
    pages: list[tuple[bytes, int, int, float, float]] = []
    with _PDFIUM_LOCK:
        document = _open_pdf(data)
        try:
            # Form fields the resident filled in are part of what they sent: draw them (no JavaScript runs;
            # this PDFium build has none).
            document.init_forms()
            for index in range(_page_count(document, limits.max_pages)):
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
        scale = _scale(width_pt, height_pt)
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


def page_jpeg_of_safe_copy(data: bytes, index: int) -> bytes:
    """The JPEG of page `index` (0-based) of a safe copy made by `_render_pdf`, as stored in the file: the
    stream is read, not decoded or rendered (a preview costs no rendering in a request). Raises
    RenderingError("broken") when the file is not such a copy or has no such page."""
    import pypdfium2
    import pypdfium2.raw as pdfium_raw

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise _broken() from exc
    try:
        if not 0 <= index < len(document):
            raise _broken()
        page = document[index]
        try:
            images = list(page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=1))
            if len(images) != 1 or images[0].get_filters() != ["DCTDecode"]:
                raise _broken()
            jpeg = bytes(images[0].get_data(decode_simple=False))
        finally:
            page.close()
    finally:
        document.close()
    if not jpeg.startswith(b"\xff\xd8\xff"):
        raise _broken()
    return jpeg

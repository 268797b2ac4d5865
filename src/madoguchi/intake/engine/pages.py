"""Pages out of an uploaded file: PDF, (multi-page) TIFF, PNG, JPEG as greyscale images (pure: no Django).

`load_pages` never raises on bad input: a file it cannot read, an encrypted PDF or one with too many pages is
one `SourcePage` (index 1) with a status saying why; a single page that is too large or cannot be decoded is
that page with a status, the others are read. Sizes are checked before anything is decoded, so a
60-megapixel image or a 2,000-page PDF costs nothing.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

PDF_DPI = 200  # a PDF page is rendered at this resolution (the engine registers pages at 200 dpi)
MAX_PAGES = 500
MAX_PIXELS = 60_000_000

Status = Literal["ok", "unreadable", "encrypted", "too_large"]


@dataclass(frozen=True)
class SourcePage:
    """One page of an uploaded file: its 1-based `index`, the image (greyscale, None unless status "ok"),
    the status and a message (English, for logs and the staff's detail view) when it is not "ok"."""

    index: int
    image: Image.Image | None
    status: Status = "ok"
    message: str = ""


def _kind(data: bytes, filename: str) -> str:
    head = data[:8]
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    name = filename.lower()
    for ext, kind in (
        (".pdf", "pdf"),
        (".tif", "tiff"),
        (".tiff", "tiff"),
        (".png", "png"),
        (".jpg", "jpeg"),
    ):
        if name.endswith(ext):
            return kind
    return "unknown"


def load_pages(
    data: bytes,
    filename: str,
    *,
    max_pages: int = MAX_PAGES,
    max_pixels: int = MAX_PIXELS,
    dpi: int = PDF_DPI,
) -> Iterator[SourcePage]:
    """The pages of an uploaded file, in order, each with a status (see the module's docstring)."""
    kind = _kind(data, filename)
    if not data:
        yield SourcePage(1, None, "unreadable", f"{filename}: the file is empty")
        return
    if kind == "pdf":
        yield from _pdf_pages(data, filename, max_pages=max_pages, max_pixels=max_pixels, dpi=dpi)
    elif kind in ("tiff", "png", "jpeg"):
        yield from _image_pages(data, filename, max_pages=max_pages, max_pixels=max_pixels)
    else:
        yield SourcePage(
            1, None, "unreadable", f"{filename}: not a PDF, TIFF, PNG or JPEG file (unknown file type)"
        )


def _pdf_pages(
    data: bytes, filename: str, *, max_pages: int, max_pixels: int, dpi: int
) -> Iterator[SourcePage]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text or "security" in text:
            yield SourcePage(
                1, None, "encrypted", f"{filename}: the PDF is password-protected; save it without a password"
            )
        else:
            yield SourcePage(1, None, "unreadable", f"{filename}: not a readable PDF ({exc})")
        return
    except Exception as exc:  # pdfium may refuse broken input in many ways: never crash the batch
        yield SourcePage(1, None, "unreadable", f"{filename}: not a readable PDF ({exc})")
        return
    try:
        count = len(pdf)
        if count == 0:
            yield SourcePage(1, None, "unreadable", f"{filename}: the PDF has no pages")
            return
        if count > max_pages:
            yield SourcePage(
                1, None, "too_large",
                f"{filename}: the PDF has {count} pages, more than the limit of {max_pages}; split it into smaller files",
            )  # fmt: skip
            return
        scale = dpi / 72
        for index in range(count):
            try:
                page = pdf[index]
                width, height = page.get_size()
                pixels = width * scale * height * scale
                if pixels > max_pixels:
                    yield SourcePage(
                        index + 1, None, "too_large",
                        f"page {index + 1} is {width / 72 * 25.4:.0f} × {height / 72 * 25.4:.0f} mm: at {dpi} dpi "
                        f"{pixels / 1e6:.0f} megapixels, more than the limit of {max_pixels / 1e6:.0f}",
                    )  # fmt: skip
                    continue
                image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                page.close()
            except Exception as exc:
                yield SourcePage(
                    index + 1, None, "unreadable", f"page {index + 1} cannot be rendered ({exc})"
                )
                continue
            yield SourcePage(index + 1, image)
    finally:
        pdf.close()


def _image_pages(data: bytes, filename: str, *, max_pages: int, max_pixels: int) -> Iterator[SourcePage]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        yield SourcePage(1, None, "unreadable", f"{filename}: not a readable image ({exc})")
        return
    frames = getattr(image, "n_frames", 1)
    if frames > max_pages:
        yield SourcePage(
            1, None, "too_large",
            f"{filename}: the image has {frames} pages, more than the limit of {max_pages}; split it into smaller files",
        )  # fmt: skip
        return
    for index in range(frames):
        try:
            if frames > 1:
                image.seek(index)
            width, height = image.size
            if width * height > max_pixels:
                yield SourcePage(
                    index + 1, None, "too_large",
                    f"page {index + 1} is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels), more "
                    f"than the limit of {max_pixels / 1e6:.0f}; scan at 200–300 dpi",
                )  # fmt: skip
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                frame = ImageOps.exif_transpose(image) if index == 0 else image.copy()
                frame = _greyscale(frame)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            yield SourcePage(index + 1, None, "unreadable", f"page {index + 1} cannot be decoded ({exc})")
            continue
        yield SourcePage(index + 1, frame)


def _greyscale(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return image.convert("L")


__all__ = ["MAX_PAGES", "MAX_PIXELS", "SourcePage", "load_pages"]

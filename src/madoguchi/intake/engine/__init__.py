"""The paper intake's OCR engine (pure: numpy, OpenCV, Pillow, zxing-cpp, rapidocr, pytesseract; no Django).

    from madoguchi.intake.engine import load_pages, PageReader, read_form

    reader = PageReader()                                     # engine="rapidocr", second="tesseract"
    for source in load_pages(data, "scan.pdf"):
        if source.status == "ok":
            result = reader.read(source.image, layout_for, templates)
    reading = read_form([result, ...], spec, layout)          # values, confidences, validation

docs/intake.md ("Engine and figures") describes what is read automatically and how well.
"""

from madoguchi.procedures.forms.printable import QrPayload

from .engines import available_engines, get_engine, register_engine
from .form import ACCEPT_THRESHOLD, FieldValue, FormReading, read_basics, read_form
from .page import FieldRead, PageReader, PageResult
from .pages import MAX_PAGES, MAX_PIXELS, SourcePage, load_pages

__all__ = [
    "ACCEPT_THRESHOLD",
    "MAX_PAGES",
    "MAX_PIXELS",
    "FieldRead",
    "FieldValue",
    "FormReading",
    "PageReader",
    "PageResult",
    "QrPayload",
    "SourcePage",
    "available_engines",
    "get_engine",
    "load_pages",
    "read_basics",
    "read_form",
    "register_engine",
]

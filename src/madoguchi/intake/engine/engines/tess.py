"""Tesseract (Debian's tesseract-ocr with tesseract-ocr-jpn) through pytesseract (pure: no Django).

Slower than the rapidocr engine (a process per crop) and weaker on Japanese print; the intake uses it as a
second opinion on the fields the first engine is unsure of, and the benchmark as the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import register_engine
from .base import Crop, Recognition


class TesseractEngine:
    name = "tesseract"

    def __init__(self, *, lang: str = "jpn") -> None:
        import shutil

        import pytesseract

        if shutil.which("tesseract") is None:
            raise FileNotFoundError(
                "tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-jpn (scripts/bootstrap.sh run)"
            )
        self.pytesseract = pytesseract
        self.lang = lang

    def _one(self, crop: Crop) -> Recognition:
        image = crop.image
        ink = image < 160
        rows, cols = np.nonzero(ink)
        if not len(rows):
            return Recognition("", 0.0)
        image = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        pad = max(8, image.shape[0] // 3)
        image = np.pad(image, pad, constant_values=255)
        psm = 10 if crop.single else 7
        config = f"--psm {psm} --oem 1"
        if crop.allowed and crop.allowed.isascii():
            config += f" -c tessedit_char_whitelist={crop.allowed}"
        try:
            data = self.pytesseract.image_to_data(
                image, lang=self.lang, config=config, output_type=self.pytesseract.Output.DICT
            )
        except Exception:
            return Recognition("", 0.0)
        words = [(w, float(c)) for w, c in zip(data["text"], data["conf"], strict=False) if w.strip()]
        if not words:
            return Recognition("", 0.0)
        text = "".join(w for w, _c in words)  # Japanese: no spaces between words
        if crop.allowed:
            text = "".join(ch for ch in text if ch in crop.allowed)
        if crop.single:
            text = text[:1]
        score = min(c for _w, c in words) / 100.0
        return Recognition(text, max(0.0, min(1.0, score)))

    def recognise(self, crops: Sequence[Crop]) -> list[Recognition]:
        return [self._one(crop) for crop in crops]


@register_engine("tesseract")
def make_tesseract(**options) -> TesseractEngine:
    return TesseractEngine(lang=options.get("lang", "jpn"))

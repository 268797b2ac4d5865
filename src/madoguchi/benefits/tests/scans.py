"""A returned 確認書 as the scanner sends it: the printed letter rasterised, written on by "the resident" (ticks,
digits and katakana in the boxes, each glyph slightly turned, shifted and resized), then given scanner noise
(a small rotation, blur, sensor noise, speckle, JPEG) and saved as a PDF."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from madoguchi.benefits import letters
from madoguchi.intake.tests.scans import add_noise, rasterise, scanned_pdf
from madoguchi.procedures.forms.fonts import default_fonts
from madoguchi.procedures.forms.layout import FormLayout

MM = 72 / 25.4


class Writer:
    """Writes on a rasterised page in layout coordinates (points from the top left)."""

    def __init__(self, image: Image.Image, dpi: int, rng: random.Random) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.dpi = dpi
        self.rng = rng
        self.fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def px(self, value: float) -> float:
        return value * self.dpi / 72

    def glyph(self, ch: str, rect) -> None:
        rng = self.rng
        size = int(self.px(rect.height) * rng.uniform(0.62, 0.74))
        font = self.fonts.get(size) or self.fonts.setdefault(
            size, ImageFont.truetype(default_fonts().gothic, size)
        )
        side = int(size * 1.6)
        patch = Image.new("L", (side, side), 0)
        ImageDraw.Draw(patch).text((side / 2, side / 2), ch, font=font, fill=255, anchor="mm")
        patch = patch.rotate(rng.uniform(-5, 5), resample=Image.BILINEAR, fillcolor=0)
        cx = self.px(rect.x + rect.width / 2) + rng.uniform(-1, 1) * size * 0.06
        cy = self.px(rect.y + rect.height / 2) + rng.uniform(-1, 1) * size * 0.06
        self.image.paste(
            Image.new("L", patch.size, rng.randint(15, 60)), (int(cx - side / 2), int(cy - side / 2)), patch
        )

    def tick(self, rect) -> None:
        rng = self.rng
        x, y, w, h = (self.px(v) for v in (rect.x, rect.y, rect.width, rect.height))
        points = [
            (x + w * rng.uniform(0.1, 0.3), y + h * rng.uniform(0.45, 0.6)),
            (x + w * rng.uniform(0.35, 0.5), y + h * rng.uniform(0.8, 0.95)),
            (x + w * rng.uniform(0.8, 1.05), y + h * rng.uniform(-0.05, 0.2)),
        ]
        self.draw.line(points, fill=rng.randint(10, 60), width=max(2, int(self.px(0.9))), joint="curve")


def fill(
    image: Image.Image, layout: FormLayout, values: Mapping[str, Any], *, dpi: int, seed: int = 1
) -> Image.Image:
    """`values` written into the return part's boxes: `confirm` True ticks it; the account parts as text
    (`bank_code` "0005", `account_type` "1", `holder_kana` "ミドリカワ ハナコ", a space leaves a cell empty)."""
    image = image.copy()
    writer = Writer(image, dpi, random.Random(seed))
    for box in layout.boxes:
        value = values.get(box.field_id)
        if value in (None, "", False):
            continue
        if box.kind == "checkbox":
            writer.tick(box.rects[0])
        elif box.kind == "choices":
            writer.tick(box.rects[box.choices.index(str(value))])
        else:
            for rect, ch in zip(box.rects, str(value), strict=False):
                if not ch.isspace():
                    writer.glyph(ch, rect)
    return image


def returned_letter(
    pdf: bytes, values: Mapping[str, Any], *, layout: str = letters.A4, index: int = 0, program=None,
    dpi: int = 200, seed: int = 1,
) -> bytes:  # fmt: skip
    """The scan of letter `index` of a letter batch `pdf`, filled with `values` (the page the resident sends
    back: A4, the letter; 圧着はがき, its inside)."""
    per_letter = letters.PAGES_PER_LETTER[layout]
    page = rasterise(pdf, dpi=dpi)[index * per_letter + per_letter - 1]
    form = letters.letter_form_layout(
        layout, slug=program.slug, title_ja=program.title_ja, title_en=program.title_en
    )
    written = fill(page, form, values, dpi=dpi, seed=seed)
    return scanned_pdf(
        [add_noise(written, seed=seed, angle=0.5, sigma=5, speckle=0.0003, quality=(78, 88))], dpi=dpi
    )

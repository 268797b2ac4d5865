"""The synthetic corpus of the OCR benchmark: filled forms of the shipped procedures for people of the demo town,
printed with the product's own PDF forms, rasterised and put through a scan-noise model; and a hand-print set
whose values are written glyph by glyph in a handwriting-style font with jitter."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from madoguchi.demo.town import generate_town
from madoguchi.procedures import schema
from madoguchi.procedures.fields import registry
from madoguchi.procedures.forms.layout import MM, FormLayout, layout_form
from madoguchi.procedures.forms.printable import Basics, PrintableForm
from madoguchi.procedures.forms.render import _Planner, default_fonts, load_font, render_forms
from madoguchi.procedures.forms.sample import SampleSource
from madoguchi.procedures.spec import ProcedureSpec, load_procedure_file

ROOT = Path(__file__).resolve().parents[2]
CITY = "みどり市"
TODAY = dt.date(2026, 4, 1)
PROCEDURES = (
    "jido-teate", "kodomo-iryohi", "kokuho-kanyu", "tenkyo", "hoiku-moushikomi", "saigai-mimaikin",
    "yokaigo-nintei", "kazei-shomei",
)  # fmt: skip
# Handwriting-style fonts, best first: Klee One (Debian fonts-klee, SIL OFL 1.1); else a gothic font whose glyphs
# are jittered (rotation, offset, size, stroke width) to imitate block hand-print.
HAND_FONTS = (
    "/usr/share/fonts/opentype/klee/KleeOne-Regular.ttf",
    "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
    "/usr/share/fonts/opentype/fonts-klee/KleeOne-Regular.ttf",
)
FALLBACK_HAND_FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
RARE = (("高", "髙"), ("崎", "﨑"))


@dataclass
class Form:
    """One filled form of the corpus and its scans."""

    index: int
    procedure: str
    values: dict[str, Any]
    basics: Basics
    dpi: int
    hand: bool = False
    scans: list[bytes] = field(default_factory=list)  # JPEG bytes, one per page
    pages: int = 0


def load_specs(slugs=PROCEDURES) -> dict[str, tuple[ProcedureSpec, FormLayout]]:
    out = {}
    for slug in slugs:
        spec = load_procedure_file(ROOT / "procedures" / f"{slug}.yaml")
        spec = spec.without_field_types(registry.names_where("holds_my_number"))
        out[slug] = (spec, layout_form(spec))
    return out


def people(count: int, seed: int):
    persons = []
    for household in generate_town(residents=max(count * 3, 200), seed=seed):
        persons.extend(m for m in household.members if m.birth_date.year > 1930)
    rng = random.Random(seed)
    rng.shuffle(persons)
    return persons


def _rare(text: str, rng: random.Random) -> str:
    for common, rare in RARE:
        if common in text and rng.random() < 0.5:
            text = text.replace(common, rare)
    return text


def form_values(spec: ProcedureSpec, person, rng: random.Random) -> tuple[dict[str, Any], Basics]:
    """Cleaned values for every printable field (as a case stores them) from a demo resident."""
    name = _rare(person.name, rng)
    address = f"{person.prefecture}{person.city}{person.town}{person.banchi}"
    if person.building:
        address += f" {person.building}"
    source = SampleSource(
        rng=rng, today=TODAY, variant=rng.randint(0, 3), name=name, name_kana=person.name_kana,
        birth_date=person.birth_date, postal_code=person.postal_code, address=address,
        email=f"user{rng.randint(10, 9999)}@example.jp",
    )  # fmt: skip
    raw: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind.is_upload or f.kind.holds_my_number:
            continue
        answer = f.kind.demo_answer(f, source)
        if answer is None and f.kind.is_text:
            answer = source.sample_text(f) or "記入例"
        if answer is not None:
            raw[f.id] = answer
    result = schema.validate(spec, raw, today=TODAY)
    values = {
        key: value
        for key, value in result.cleaned.items()
        if key not in result.errors and key in raw and value not in (None, "", [], {})
    }
    basics = Basics(name=name, address=address, birth_date=person.birth_date, sex=person.sex)
    return values, basics


# --------------------------------------------------------------------------------------------------------------
# Scan noise


def rasterise(pdf: bytes, dpi: int) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")) for page in doc]
    finally:
        doc.close()


def scan_noise(page: np.ndarray, rng: random.Random, dpi: int) -> np.ndarray:
    """A flatbed scan: turned up to ±3°, scaled ±3 %, shifted up to 3 mm, blurred, lighter or darker print,
    speckle and sensor noise (JPEG comes after, in `encode`)."""
    h, w = page.shape
    angle = rng.uniform(-3, 3)
    scale = rng.uniform(0.97, 1.03)
    shift = 3 * MM * dpi / 72
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += (rng.uniform(-shift, shift), rng.uniform(-shift, shift))
    out = cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255).astype(np.float32)
    sigma = rng.uniform(0.0, 1.0) * dpi / 200
    if sigma > 0.2:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    faint = rng.uniform(0.55, 1.0)  # ink lighter (a faint print or a light scan setting)
    out = 255 - (255 - out) * faint
    out = out * rng.uniform(0.9, 1.02) + rng.uniform(-12, 8)  # brightness and contrast
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    out += nrng.normal(0, rng.uniform(2, 6), out.shape)
    speckle = nrng.random(out.shape)
    out[speckle < 0.0004] = 40
    out[speckle > 0.9992] = 255
    return np.clip(out, 0, 255).astype(np.uint8)


def encode(page: np.ndarray, rng: random.Random) -> bytes:
    ok, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(60, 85)])
    assert ok
    return data.tobytes()


# --------------------------------------------------------------------------------------------------------------
# Hand-print


def hand_font() -> tuple[str, bool]:
    """The handwriting-style font and whether it is one (False: the gothic fallback, jittered harder)."""
    for path in HAND_FONTS:
        if Path(path).is_file():
            return path, True
    return FALLBACK_HAND_FONT, False


class HandWriter:
    """Writes the values of a form on its blank rasterised pages glyph by glyph: each glyph slightly turned,
    shifted, resized and of varying stroke width; ticks as two strokes, eras circled by a wobbly ellipse."""

    def __init__(self, dpi: int, rng: random.Random) -> None:
        self.dpi = dpi
        self.rng = rng
        self.path, self.real = hand_font()
        self.fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def px(self, value: float) -> float:
        return value * self.dpi / 72

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self.fonts:
            self.fonts[size] = ImageFont.truetype(self.path, size)
        return self.fonts[size]

    def glyph(self, image: Image.Image, ch: str, cx: float, cy: float, size_pt: float) -> None:
        rng = self.rng
        size = max(8, int(self.px(size_pt) * rng.uniform(0.82, 1.04)))
        font = self.font(size)
        side = int(size * 1.6)
        patch = Image.new("L", (side, side), 0)
        draw = ImageDraw.Draw(patch)
        stroke = rng.choice((0, 0, 1)) if self.real else rng.choice((0, 1, 1))
        draw.text(
            (side / 2, side / 2), ch, font=font, fill=255, anchor="mm", stroke_width=stroke, stroke_fill=255
        )
        patch = patch.rotate(rng.uniform(-7, 7), resample=Image.BILINEAR, fillcolor=0)
        jitter = size * 0.08
        x = int(cx - side / 2 + rng.uniform(-jitter, jitter))
        y = int(cy - side / 2 + rng.uniform(-jitter, jitter))
        ink = Image.new("L", patch.size, rng.randint(10, 60))
        image.paste(ink, (x, y), patch)

    def tick(self, image: Image.Image, rect) -> None:
        rng = self.rng
        draw = ImageDraw.Draw(image)
        x, y, w, h = (self.px(v) for v in (rect.x, rect.y, rect.width, rect.height))
        points = [
            (x + w * rng.uniform(0.1, 0.3), y + h * rng.uniform(0.45, 0.6)),
            (x + w * rng.uniform(0.35, 0.5), y + h * rng.uniform(0.8, 0.95)),
            (x + w * rng.uniform(0.8, 1.05), y + h * rng.uniform(-0.05, 0.2)),
        ]
        draw.line(points, fill=rng.randint(10, 60), width=max(2, int(self.px(0.9))), joint="curve")

    def circle(self, image: Image.Image, rect) -> None:
        rng = self.rng
        draw = ImageDraw.Draw(image)
        g = self.px(rng.uniform(0.5, 1.8))
        box = [self.px(rect.x) - g, self.px(rect.y) - g, self.px(rect.right) + g, self.px(rect.bottom) + g]
        draw.ellipse(box, outline=rng.randint(10, 60), width=max(2, int(self.px(0.8))))

    def write(self, page: np.ndarray, ops) -> np.ndarray:
        image = Image.fromarray(page)
        for op in ops:
            if op.kind == "text":
                r = op.rect
                self.glyph(image, op.text, self.px(r.x + r.width / 2), self.px(r.y + r.height / 2), op.size)
            elif op.kind == "tick":
                self.tick(image, op.rect)
            elif op.kind == "circle":
                self.circle(image, op.rect)
            elif op.kind == "lines":
                size = 11.0
                for i, line in enumerate(op.lines):
                    y = op.rect.y + i * op.line_height + op.line_height / 2
                    x = op.rect.x + 1.5 * MM + size / 2
                    for ch in line:
                        if not ch.isspace():
                            self.glyph(image, ch, self.px(x), self.px(y), size)
                        x += (size * 0.55 if ch.isascii() else size) * self.rng.uniform(0.98, 1.1)
        return np.asarray(image)


# --------------------------------------------------------------------------------------------------------------
# The corpus


def build(
    count: int,
    seed: int,
    specs: dict[str, tuple[ProcedureSpec, FormLayout]],
    *,
    hand: bool = False,
    start: int = 0,
) -> list[Form]:
    rng = random.Random(seed * 7919 + (1 if hand else 0))
    persons = people(count, seed)
    slugs = sorted(specs)
    forms = []
    for n in range(count):
        slug = slugs[n % len(slugs)]
        spec, _layout = specs[slug]
        values, basics = form_values(spec, persons[n % len(persons)], rng)
        forms.append(Form(start + n, slug, values, basics, dpi=(200, 300)[n % 2], hand=hand))
    return forms


def scan(form: Form, specs, seed: int) -> Form:
    """Print, rasterise and scan one form (in a worker process)."""
    rng = random.Random(seed * 1_000_003 + form.index)
    spec, layout = specs[form.procedure]
    printable = PrintableForm(
        spec, layout, {} if form.hand else form.values, form.basics if not form.hand else None,
        None if form.hand else f"R8-{form.index:06d}", 1, TODAY,
    )  # fmt: skip
    pdf = render_forms([printable], city_name=CITY, allow_missing=True)
    pages = rasterise(bytes(pdf), form.dpi)
    if form.hand:
        fonts = default_fonts()
        planner = _Planner(
            PrintableForm(spec, layout, form.values, form.basics, None, 1, TODAY), 0, allow_missing=True,
            mincho=load_font(fonts.mincho), gothic=load_font(fonts.gothic), city_name=CITY,
        )  # fmt: skip
        plan = planner.run()
        writer = HandWriter(form.dpi, rng)
        pages = [writer.write(page, plan.ops.get(n, ())) for n, page in enumerate(pages, start=1)]
    form.scans = [encode(scan_noise(page, rng, form.dpi), rng) for page in pages]
    form.pages = len(pages)
    return form

"""Scans for the tests: a form filled with the product's own renderer, rasterised with pypdfium2 and given
mild scanner noise (a small rotation, blur, JPEG, speckle), written back as a PDF as a scanner would."""

from __future__ import annotations

import io
import random

import numpy as np
import pypdfium2
from django.conf import settings
from PIL import Image, ImageFilter

from madoguchi.procedures.forms.render import render_forms
from madoguchi.procedures.forms.sample import SAMPLE_BASICS, sample_values
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of
from madoguchi.procedures.services import printable_form


def filled_values(slug: str, *, seed: int = 7) -> dict:
    procedure = Procedure.objects.select_related("current_version").get(slug=slug)
    return sample_values(spec_of(procedure.current_version), seed=seed)


def form_pdf(
    slug: str, values: dict | None = None, *, case_number: str | None = None, basics=SAMPLE_BASICS
) -> bytes:
    procedure = Procedure.objects.select_related("current_version").get(slug=slug)
    form = printable_form(
        procedure_version=procedure.current_version,
        values=values if values is not None else {},
        basics=basics,
        case_number=case_number,
    )
    return bytes(render_forms([form], city_name=settings.MUNICIPALITY_NAME))


def rasterise(pdf: bytes, *, dpi: int = 200) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
    finally:
        document.close()


def add_noise(
    image: Image.Image,
    *,
    seed: int = 1,
    angle: float = 0.6,
    sigma: float = 6,
    speckle: float = 0.0004,
    quality: tuple[int, int] = (75, 85),
) -> Image.Image:
    """A scanner's damage: turned by `angle` degrees, blurred, grey noise of `sigma`, black specks, JPEG."""
    rng = random.Random(seed)
    turned = image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    blurred = turned.filter(ImageFilter.GaussianBlur(0.5))
    pixels = np.asarray(blurred, dtype=np.int16)
    noise = np.random.default_rng(seed).normal(0, sigma, pixels.shape)
    specks = np.random.default_rng(seed + 1).random(pixels.shape) < speckle
    noisy = np.clip(pixels + noise, 0, 255)
    noisy[specks] = 0
    out = Image.fromarray(noisy.astype(np.uint8))
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=rng.randint(*quality))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def scanned_pdf(pages: list[Image.Image], *, dpi: int = 200) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buffer.getvalue()


def scan_of(slug: str, values: dict | None = None, *, case_number: str | None = None, seed: int = 1) -> bytes:
    """A noisy scanned PDF of the form of `slug` filled with `values`."""
    images = rasterise(form_pdf(slug, values, case_number=case_number))
    return scanned_pdf([add_noise(img, seed=seed + i) for i, img in enumerate(images)])


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

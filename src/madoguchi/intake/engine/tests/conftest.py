"""The intake engine's tests are pure: no database; forms are printed with the product's renderer and
rasterised, then turned, scaled, flipped or spoiled with numpy/OpenCV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from madoguchi.procedures.fields import registry
from madoguchi.procedures.forms.layout import layout_form
from madoguchi.procedures.forms.printable import Basics, PrintableForm
from madoguchi.procedures.forms.render import render_forms
from madoguchi.procedures.spec import load_procedure_file

ROOT = Path(__file__).resolve().parents[5]
BASICS = Basics(
    name="髙橋 一郎", address="みどり県みどり市中央町一丁目2番3号", birth_date=dt.date(1986, 4, 12), sex="1"
)


@pytest.fixture(autouse=True)
def _isolated_files():
    """Override the project-wide autouse fixture, which needs Django's settings; the engine uses none."""
    return


def load(slug: str):
    spec = load_procedure_file(ROOT / "procedures" / f"{slug}.yaml")
    spec = spec.without_field_types(registry.names_where("holds_my_number"))
    return spec, layout_form(spec)


def rasterise(pdf: bytes, dpi: int = 200) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")) for page in doc]
    finally:
        doc.close()


def printed(slug: str, values=None, *, case: str | None = "R8-000001", basics=BASICS) -> tuple:
    spec, layout = load(slug)
    pdf = render_forms(
        [PrintableForm(spec, layout, values or {}, basics, case, 2, dt.date(2026, 4, 1))],
        city_name="みどり市",
    )
    return spec, layout, bytes(pdf)


@pytest.fixture(scope="session")
def tenkyo_page():
    """The first page of a 転居届 printed for a case, at 200 dpi, and its layout."""
    _spec, layout, pdf = printed("tenkyo")
    return rasterise(pdf)[0], layout


@pytest.fixture(scope="session")
def reader():
    from madoguchi.intake.engine import PageReader

    return PageReader(second=None)

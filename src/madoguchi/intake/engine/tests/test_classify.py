"""Which form a page is: its QR code, or — a photocopy without one — template matching against known layouts."""

from __future__ import annotations

import numpy as np

from madoguchi.intake.engine.qr import find_qr

from .conftest import load, printed, rasterise


def _without_qr(page: np.ndarray, layout) -> np.ndarray:
    page = page.copy()
    qr = layout.pages[0].zones["qr"]
    s = 200 / 72
    page[
        int(qr.y * s) - 4 : int((qr.y + qr.height) * s) + 4,
        int(qr.x * s) - 4 : int((qr.x + qr.width) * s) + 4,
    ] = 255
    return page


def test_qr_payload_is_decoded_from_a_printed_page(tenkyo_page):
    page, _layout = tenkyo_page
    hit = find_qr(page)
    assert hit.payload.procedure == "tenkyo" and hit.payload.case_number == "R8-000001"
    assert hit.payload.version == 2 and (hit.payload.page, hit.payload.pages) == (1, hit.payload.pages)
    assert find_qr(np.rot90(page, 2).copy()).payload.procedure == "tenkyo"  # upside down


def test_a_page_without_qr_is_classified_by_its_layout(reader):
    slugs = ("tenkyo", "jido-teate", "kodomo-iryohi", "kokuho-kanyu")
    templates = [(load(slug)[1], 3) for slug in slugs]
    _spec, layout, pdf = printed("jido-teate", case=None)
    pages = rasterise(pdf)
    result = reader.read(_without_qr(pages[1], layout), lambda payload: None, templates)
    assert result.qr is None
    assert result.candidates[0][:3] == ("jido-teate", 3, 2)
    assert result.status == "read" and (result.procedure, result.version, result.page) == ("jido-teate", 3, 2)
    assert result.fields  # read with the matched layout


def test_a_page_of_an_unknown_form_is_unknown_with_proposals(reader):
    _spec, layout, pdf = printed("tenkyo", case=None)
    page = _without_qr(rasterise(pdf)[0], layout)
    templates = [load(slug)[1] for slug in ("jido-teate", "kokuho-kanyu")]  # tenkyo is not among them
    result = reader.read(page, lambda payload: None, templates)
    assert result.status == "unknown_form" and result.fields == {}
    assert {c[0] for c in result.candidates} <= {"jido-teate", "kokuho-kanyu"} and result.candidates
    # Without templates there is nothing to propose.
    assert reader.read(page, lambda payload: None).status == "unknown_form"


def test_a_known_qr_without_a_stored_layout_is_unknown_form(tenkyo_page, reader):
    page, _layout = tenkyo_page
    result = reader.read(page, lambda payload: None)
    assert (
        result.status == "unknown_form"
        and result.procedure == "tenkyo"
        and "no stored layout" in result.message
    )


def test_a_page_whose_marks_and_qr_position_fail_is_unreadable(reader):
    # The QR code alone, pasted on an empty sheet at an odd place: read, but nothing to register to … except
    # the code itself, so cut the code's surroundings to make the similarity fail: an unregistrable page.
    page = np.full((2339, 1654), 255, dtype=np.uint8)
    result = reader.read(page, lambda payload: None)
    assert result.status == "blank"

"""The printed 確認書: A4 (a page per household) and 圧着はがき (100 × 296 mm, outside and inside), each with the
QR code the paper intake reads, carrying only the confirmation's random reference."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.benefits import letters, services
from madoguchi.benefits.models import Confirmation
from madoguchi.intake.engine.align import A4, A4_QR_ZONE, MARK_CENTERS, PageGeometry
from madoguchi.procedures.forms.printable import parse_qr_payload

from .support import make_household, make_program

MM = 72 / 25.4


def _codes(page, dpi=150):
    image = page.render(scale=dpi / 72).to_pil()
    return [parse_qr_payload(code.text) for code in zxingcpp.read_barcodes(image)]


def _text(page, left=0.0, bottom=0.0, right=None, top=None) -> str:
    """The text inside a region of the page (PDF points, origin bottom left)."""
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded(
            left, bottom, width if right is None else right, height if top is None else top
        )
    finally:
        textpage.close()


@pytest.mark.django_db
def test_the_a4_batch_has_a_page_per_household_whose_qr_carries_only_its_random_reference(tmp_path):
    program = make_program()
    make_household()
    make_household(account=False)
    services.compute_eligibility(program=program)
    target = tmp_path / "letters.pdf"

    call_command("benefits", "letters", program.slug, "-o", str(target))

    pdf = pdfium.PdfDocument(str(target))
    assert len(pdf) == 2
    confirmations = {c.reference: c for c in Confirmation.objects.all()}
    found = []
    for page in pdf:
        assert page.get_size() == pytest.approx((210 * MM, 297 * MM), abs=0.5)
        (payload,) = _codes(page)
        assert (payload.procedure, payload.version, payload.page, payload.pages) == (
            f"benefit:{program.slug}", 4, 1, 1,
        )  # fmt: skip
        confirmation = confirmations[payload.case_number]
        assert re.fullmatch(r"[0-9a-f]{32}", payload.case_number)
        assert confirmation.number not in payload.case_number  # not the printed 確認書番号
        found.append(payload.case_number)
        text = _text(page)
        assert "支給要件確認書" in text and "緑川" in text and confirmation.number in text
        assert "内容を確認しました／口座に振り込んでください" in text
    assert sorted(found) == sorted(confirmations)
    assert len(set(found)) == 2
    assert not Confirmation.objects.filter(printed_at__isnull=True).exists()

    pdf.close()
    with pytest.raises(CommandError, match="印刷していない確認書はありません"):
        call_command("benefits", "letters", program.slug, "-o", str(tmp_path / "none.pdf"))
    assert not (tmp_path / "none.pdf").exists()


@pytest.mark.django_db
def test_the_hagaki_batch_puts_the_personal_content_on_the_inside_only(tmp_path):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    confirmation = Confirmation.objects.get(eligibility__household=household)
    amount = f"{confirmation.eligibility.amount:,}"
    target = tmp_path / "hagaki.pdf"

    call_command("benefits", "letters", program.slug, "-o", str(target), "--layout", "hagaki")

    pdf = pdfium.PdfDocument(str(target))
    assert len(pdf) == 2  # outside, inside
    outside, inside = pdf[0], pdf[1]
    for page in (outside, inside):
        assert page.get_size() == pytest.approx((100 * MM, 296 * MM), abs=0.5)
    panel = 148 * MM
    height = 296 * MM
    address_face = _text(outside, bottom=height - panel)
    cover = _text(outside, top=height - panel)
    # The address face has what the post needs; nothing else of the household is outside.
    assert "緑川" in address_face and "みどり市" in address_face and "料金後納" in address_face
    assert "緑川" not in cover
    confidential = [amount, confirmation.number, "ﾐﾄﾞﾘｶﾜ", "口座番号", "****567", "支給額"]
    for secret in confidential:
        assert secret not in address_face and secret not in cover, secret
    assert _codes(outside) == []  # no QR code outside
    inner = _text(inside)
    for secret in confidential:
        assert secret in inner, secret
    (payload,) = _codes(inside)
    assert (payload.case_number, payload.procedure, payload.version) == (
        confirmation.reference, f"benefit:{program.slug}", 5,
    )  # fmt: skip
    # The return part (what is read back) lies on the inside's bottom panel, below the fold.
    form = letters.letter_form_layout("hagaki", slug=program.slug, title_ja=program.title_ja)
    assert all(box.y >= panel for box in form.boxes)
    assert "内容を確認しました" in _text(inside, top=height - panel)
    assert "給付金の受給を辞退します" in _text(inside, top=height - panel)
    pdf.close()


@pytest.mark.parametrize("layout", letters.LAYOUTS)
def test_the_return_part_fits_its_page_inside_the_corner_marks_without_overlaps(layout):
    form = letters.letter_form_layout(layout, slug="x", title_ja="給付金")
    width, height = form.page_size
    page = form.pages[0]
    rects = [(box.field_id, rect) for box in form.boxes for rect in box.rects]
    assert {box.field_id for box in form.boxes} == {
        f.id for f in letters.confirmation_spec(slug="x", title_ja="給付金").fields
    }
    for field_id, rect in rects:
        assert rect.x >= 8 * MM and rect.right <= width - 8 * MM, field_id
        assert not any(rect.overlaps(mark.grown(3 * MM)) for mark in page.marks), field_id
        assert rect.y > 0 and rect.bottom < height - 20 * MM, field_id
        assert not rect.overlaps(page.zones["qr"]), field_id
    for i, (a_id, a) in enumerate(rects):
        for b_id, b in rects[i + 1 :]:
            assert not a.overlaps(b), (a_id, b_id)
    for text in page.texts:
        for field_id, rect in rects:
            assert not text.rect.overlaps(rect), (text.text, field_id)
    assert form.to_json()["page_size"] == [round(width, 2), round(height, 2)]


def test_the_a4_letter_puts_its_marks_and_qr_where_every_printed_form_has_them():
    form = letters.letter_form_layout("a4", slug="x", title_ja="給付金")
    page = form.pages[0]
    centres = [value for m in page.marks for value in (m.x + m.width / 2, m.y + m.height / 2)]
    assert centres == pytest.approx(MARK_CENTERS.ravel().tolist(), abs=0.05)
    assert PageGeometry.of(form) is A4  # read back exactly like a procedure form
    qr = page.zones["qr"]
    assert (qr.x, qr.y, qr.width, qr.height) == pytest.approx(A4_QR_ZONE, abs=0.05)


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="a4, hagaki"):
        letters.letter_form_layout("b5", slug="x", title_ja="給付金")

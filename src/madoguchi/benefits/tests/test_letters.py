"""The printed 確認書: one A4 page per household with the QR the paper intake reads."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.benefits import services
from madoguchi.benefits.models import Confirmation
from madoguchi.procedures.forms.printable import parse_qr_payload

from .support import make_household, make_program


@pytest.mark.django_db
def test_the_letter_batch_has_a_page_per_household_with_its_qr_and_marks_them_printed(tmp_path):
    program = make_program()
    make_household()
    make_household(account=False)
    services.compute_eligibility(program=program)
    target = tmp_path / "letters.pdf"

    call_command("benefits", "letters", program.slug, "-o", str(target))

    pdf = pdfium.PdfDocument(str(target))
    assert len(pdf) == 2
    numbers = sorted(Confirmation.objects.values_list("number", flat=True))
    found = []
    for page in pdf:
        image = page.render(scale=150 / 72).to_pil()
        (code,) = zxingcpp.read_barcodes(image)
        payload = parse_qr_payload(code.text)
        assert (payload.procedure, payload.page, payload.pages) == (f"benefit:{program.slug}", 1, 1)
        found.append(payload.case_number)
        text = page.get_textpage().get_text_bounded()
        assert "支給要件確認書" in text and "緑川" in text
    assert sorted(found) == numbers
    assert not Confirmation.objects.filter(printed_at__isnull=True).exists()

    pdf.close()
    with pytest.raises(CommandError, match="印刷していない確認書はありません"):
        call_command("benefits", "letters", program.slug, "-o", str(tmp_path / "none.pdf"))
    assert not (tmp_path / "none.pdf").exists()

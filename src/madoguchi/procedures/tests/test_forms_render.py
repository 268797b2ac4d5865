"""Printing forms (procedures.forms.render): the PDF's text, fonts and QR codes, and 外字 handling.

pdftotext and pdffonts come from Debian's poppler-utils (`scripts/bootstrap.sh test` installs them).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from functools import cache

import pypdfium2
import pytest
import zxingcpp

from madoguchi.procedures.forms.fonts import DEFAULT_GOTHIC, DEFAULT_MINCHO, FontSet
from madoguchi.procedures.forms.layout import BASIC_NAME, layout_form
from madoguchi.procedures.forms.printable import Basics, PrintableForm, parse_qr_payload, qr_payload
from madoguchi.procedures.forms.render import (
    FormFontMissing,
    MissingGlyphs,
    font_has,
    render_forms,
)
from madoguchi.procedures.forms.sample import SAMPLE_BASICS, sample_values
from madoguchi.procedures.spec import load_procedure_file, parse_procedure_text

from .conftest import REPO_PROCEDURES, procedure_yaml

PRINTED_ON = dt.date(2025, 6, 2)


def poppler(tool: str, pdf: bytes, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is missing: install Debian's poppler-utils (scripts/bootstrap.sh test)")
    result = subprocess.run([tool, *args, "-", "-"] if tool == "pdftotext" else [tool, "-"], input=pdf,
                            capture_output=True, check=True, timeout=60)  # fmt: skip
    return result.stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    return poppler("pdftotext", pdf)


def squeeze(text: str) -> str:
    """Text without any white space: characters printed one per cell come out spaced."""
    return re.sub(r"\s+", "", text)


def qr_codes(pdf: bytes, dpi: int = 200) -> list[str]:
    """The QR code read from each page, rasterised as a scanner would (one code per page, or '')."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = []
        for index in range(len(document)):
            image = document[index].render(scale=dpi / 72).to_pil()
            codes = [
                code.text
                for code in zxingcpp.read_barcodes(image)
                if code.format == zxingcpp.BarcodeFormat.QRCode
            ]
            found.append(codes[0] if len(codes) == 1 else "")
        return found
    finally:
        document.close()


@cache
def spec_of(slug: str):
    return load_procedure_file(REPO_PROCEDURES / f"{slug}.yaml")


def form(slug: str, *, values=None, basics=None, case_number="R07-0001", version=2) -> PrintableForm:
    spec = spec_of(slug)
    return PrintableForm(
        spec=spec,
        layout=layout_form(spec),
        values=sample_values(spec) if values is None else values,
        basics=SAMPLE_BASICS if basics is None else basics,
        case_number=case_number,
        version=version,
        printed_on=PRINTED_ON,
    )


def test_a_filled_form_prints_its_labels_values_and_basic_items():
    printable = form("kodomo-iryohi")
    pdf = render_forms([printable], city_name="みどり市")
    assert pdf.startswith(b"%PDF-") and pdf.page_count == printable.layout.page_count
    text = pdf_text(pdf)
    flat = squeeze(text)
    assert "子ども医療費助成申請" in text and "（宛先）みどり市長" in text
    assert "印刷日 令和7年6月2日" in text and "R07-0001" in text
    for f in printable.spec.fields:
        if f.kind.print_layout(f).box != "none":
            assert squeeze(f.label.ja) in flat, f.id
    assert squeeze(SAMPLE_BASICS.name) in flat and squeeze(SAMPLE_BASICS.address) in flat
    values = printable.values
    for field_id, value in values.items():
        f = printable.spec.field(field_id)
        box = f.kind.print_layout(f).box
        if box in ("text_area", "cells") and isinstance(value, str):
            assert squeeze(value) in flat, field_id
        if box == "digits":
            assert "".join(ch for ch in str(value) if ch.isdigit()) in flat.replace("-", ""), field_id
    assert "✓" in text  # ticked options
    assert "昭和" in text and "61年04月12日" in flat  # 昭和61年4月12日 in the boxes


def test_fonts_are_embedded_truetype_subsets():
    pdf = render_forms([form("jido-teate")], city_name="みどり市")
    report = poppler("pdffonts", pdf)
    rows = [line.split() for line in report.splitlines()[2:] if line.strip()]
    assert rows, report
    for row in rows:
        name, emb = row[0], row[-5]
        assert "IPAex" in name, report
        assert emb == "yes", f"font {name} is not embedded:\n{report}"
    assert not any("Helvetica" in line or "Type 3" in line or "CID" in line for line in report.splitlines())


def test_every_page_carries_a_qr_code_with_case_procedure_version_and_page():
    first, second = form("jido-teate", case_number="R07-000123", version=3), form("kokuho-kanyu", version=1)
    pdf = render_forms([first, second], city_name="みどり市")
    pages_first, pages_second = first.layout.page_count, second.layout.page_count
    assert pdf.page_count == pages_first + pages_second  # each form starts on a page of its own
    expected = [f"MDG1|R07-000123|jido-teate|3|{n}/{pages_first}" for n in range(1, pages_first + 1)]
    expected += [f"MDG1|R07-0001|kokuho-kanyu|1|{n}/{pages_second}" for n in range(1, pages_second + 1)]
    assert qr_codes(bytes(pdf)) == expected


def test_a_blank_form_has_the_boxes_but_no_values_and_a_dash_for_the_case():
    printable = form("juminhyo-copy", values={}, basics=Basics(), case_number=None, version=4)
    pdf = render_forms([printable], city_name="みどり市")
    codes = qr_codes(bytes(pdf))
    assert codes[0] == f"MDG1|-|juminhyo-copy|4|1/{printable.layout.page_count}"
    text = pdf_text(pdf)
    assert "住民票の写しの交付請求" in text and "✓" not in text
    assert squeeze(SAMPLE_BASICS.name) not in squeeze(text)


def test_the_qr_payload_reads_back():
    payload = qr_payload(case_number=None, procedure="tenkyo", version=2, page=1, pages=3)
    assert payload == "MDG1|-|tenkyo|2|1/3"
    parsed = parse_qr_payload(payload)
    assert (parsed.case_number, parsed.procedure, parsed.version, parsed.page, parsed.pages) == (
        None,
        "tenkyo",
        2,
        1,
        3,
    )
    with pytest.raises(ValueError, match="not a Madoguchi form"):
        parse_qr_payload("https://example.jp")


# --- 外字: characters outside the font ---------------------------------------------------------------------------


def test_which_of_the_usual_gaiji_the_font_has():
    """IPAex has 髙 (はしごだか) and 﨑 (たつさき) but not 𠮷 (つちよし, outside the BMP)."""
    assert font_has(DEFAULT_MINCHO, "髙﨑") == ()
    assert font_has(DEFAULT_GOTHIC, "髙﨑") == ()
    assert font_has(DEFAULT_MINCHO, "𠮷田") == ("𠮷",)


def test_names_the_font_has_are_printed_as_they_are():
    pdf = render_forms([form("tenkyo", basics=Basics(name="髙﨑 花子"))], city_name="みどり市")
    assert "髙﨑" in pdf_text(pdf) and not pdf.warnings


def test_a_character_the_font_lacks_is_refused_with_the_field_named():
    with pytest.raises(MissingGlyphs) as caught:
        render_forms([form("tenkyo", basics=Basics(name="𠮷田 﨑子"))], city_name="みどり市")
    error = caught.value
    assert error.chars == ("𠮷",) and error.field_id == BASIC_NAME
    assert "𠮷" in error.ja and "外字" in error.ja and "手書き" in error.ja
    assert "U+20BB7" in error.en and "by hand" in error.en


def test_a_value_with_a_missing_glyph_in_a_field_is_refused_too():
    printable = form("kodomo-iryohi")
    text_field = next(f for f in printable.spec.fields if f.kind.print_layout(f).box == "text_area")
    values = {**printable.values, text_field.id: "𠮷野家"}
    with pytest.raises(MissingGlyphs) as caught:
        render_forms([form("kodomo-iryohi", values=values)], city_name="みどり市")
    assert caught.value.field_id == text_field.id


def test_allow_missing_leaves_the_box_empty_marked_and_warns():
    pdf = render_forms(
        [form("tenkyo", basics=Basics(name="𠮷田 太郎", address="みどり市1-1"))],
        city_name="みどり市",
        allow_missing=True,
    )
    assert [(w.field_id, w.chars) for w in pdf.warnings] == [(BASIC_NAME, ("𠮷",))]
    text = pdf_text(pdf)
    assert "【外字】" in text
    assert "田 太郎" not in text  # not printed without the character: the box is left to be written by hand
    assert "みどり市1-1" in text


def test_a_missing_font_is_a_clear_error(tmp_path):
    fonts = FontSet(mincho=str(tmp_path / "nothing.ttf"), gothic=DEFAULT_GOTHIC)
    with pytest.raises(FormFontMissing) as caught:
        render_forms([form("tenkyo")], city_name="みどり市", fonts=fonts)
    assert "fonts-ipaexfont-mincho" in caught.value.ja and "MADOGUCHI_FORMS_FONT_MINCHO" in caught.value.en


# --- long text ------------------------------------------------------------------------------------------------


def test_text_too_long_for_its_lines_continues_on_a_continuation_sheet():
    spec = parse_procedure_text(
        procedure_yaml(
            """\
            - id: story
              type: textarea
              label: {ja: 経緯, en: What happened}
              max_length: 4000
            """
        ),
        path="test-procedure.yaml",
    )
    long_text = "".join(f"{i:04d}番目の文です。" for i in range(300))  # about 3,000 characters
    printable = PrintableForm(spec, layout_form(spec), {"story": long_text}, case_number="C1", version=1)
    pdf = render_forms([printable], city_name="みどり市")
    assert pdf.page_count > printable.layout.page_count
    flat = squeeze(pdf_text(pdf))
    assert "別紙（続き）" in flat and "0299番目の文です。" in flat
    codes = qr_codes(bytes(pdf))
    assert codes[-1] == f"MDG1|C1|test-procedure|1|{pdf.page_count}/{pdf.page_count}"


def test_the_same_form_prints_the_same_bytes():
    assert render_forms([form("tenkyo")], city_name="みどり市") == render_forms(
        [form("tenkyo")], city_name="みどり市"
    )
    with pytest.raises(ValueError, match="at least one form"):
        render_forms([], city_name="みどり市")

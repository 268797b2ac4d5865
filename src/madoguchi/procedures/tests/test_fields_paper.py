"""Paper: how each field is printed on an A4 form, and how text read from a scan becomes a value `clean` takes."""

from __future__ import annotations

import pytest

from madoguchi.procedures.fields import BOX_KINDS, CHARSETS, OcrHints, PrintLayout, registry
from madoguchi.procedures.schema import validate
from madoguchi.procedures.spec import Field, Localized, parse_procedure_text

from .test_schema import ALL_TYPES, TODAY

DIGITS = "0123456789"


@pytest.fixture(scope="module")
def spec():
    return parse_procedure_text(ALL_TYPES, path="all-types.yaml")


def clean(spec, field_id, raw):
    """The value `validate` makes of `raw` for one field, and its error codes."""
    step = spec.step_of(field_id).id
    result = validate(spec, {field_id: raw}, step_id=step, today=TODAY)
    return result.cleaned[field_id], [m.code for m in result.errors.get(field_id, [])]


def field(type_: str, **kwargs) -> Field:
    return Field(id="x", type=type_, label=Localized("項目", "Item"), **kwargs)


def test_every_field_of_every_type_has_a_print_layout_and_ocr_hints(spec):
    assert {f.type for f in spec.fields} == set(registry.names())
    for f in spec.fields:
        layout, hints = f.kind.print_layout(f), f.kind.ocr_hints(f)
        assert isinstance(layout, PrintLayout) and layout.box in BOX_KINDS, f.id
        assert isinstance(hints, OcrHints) and hints.charset in CHARSETS, f.id
        if layout.box != "none":
            assert layout.width_mm > 0 and layout.height_mm > 0 and layout.rows >= 1, f.id
            assert layout.width_mm <= 180, f"{f.id} is wider than an A4 row"


def test_layouts_and_hints_refuse_unknown_kinds():
    with pytest.raises(ValueError, match="box kind"):
        PrintLayout("boxes")
    with pytest.raises(ValueError, match="add up"):
        PrintLayout("digits", cells=7, groups=(3, 3))
    with pytest.raises(ValueError, match="charset"):
        OcrHints("hiragana")


# --- digits ---------------------------------------------------------------------------------------------------


def test_postal_code_is_seven_digit_boxes_and_reads_back_without_separators(spec):
    f = spec.field("postal")
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.groups, layout.blank) == ("digits", 7, (3, 4), False)
    assert f.kind.ocr_hints(f) == OcrHints("digits", whitelist=DIGITS, min_length=7, max_length=7)
    for text in ("〒１００－０００１", "100 0001", "100-0001", " 1000001 "):
        assert f.kind.normalise_ocr(f, text) == "1000001", text
        assert clean(spec, "postal", f.kind.normalise_ocr(f, text)) == ("1000001", [])
    assert f.kind.normalise_ocr(f, "１００－０") == "100－0"  # unreadable: kept for clean to report
    assert clean(spec, "postal", "100-0")[1] == ["invalid_postal_code"]


def test_phone_is_eleven_digit_boxes_and_reads_back_as_digits(spec):
    f = spec.field("phone")
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.groups) == ("digits", 11, ())
    assert f.kind.ocr_hints(f) == OcrHints("digits", whitelist=DIGITS, min_length=10, max_length=11)
    assert f.kind.normalise_ocr(f, "０３－１２３４－５６７８") == "0312345678"
    assert f.kind.normalise_ocr(f, "090 1234 5678") == "09012345678"
    assert clean(spec, "phone", f.kind.normalise_ocr(f, "090 1234 5678")) == ("090-1234-5678", [])


def test_number_has_a_box_per_digit_of_its_max_and_its_unit(spec):
    f = spec.field("copies")  # min 1, max 10, unit 通
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.unit) == ("digits", 2, "通")
    assert f.kind.ocr_hints(f) == OcrHints("digits", whitelist=DIGITS, min_length=1, max_length=2)
    assert f.kind.normalise_ocr(f, "１ ０") == "10"  # a digit per box
    assert clean(spec, "copies", f.kind.normalise_ocr(f, "１ ０")) == (10, [])
    unbounded = field("number")
    assert unbounded.kind.print_layout(unbounded).cells == 6


def test_money_is_digit_boxes_in_yen(spec):
    f = spec.field("income")  # max 100,000,000
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.unit) == ("digits", 9, "円")
    assert f.kind.ocr_hints(f).charset == "digits" and f.kind.ocr_hints(f).max_length == 9
    assert f.kind.normalise_ocr(f, "￥１２，０００円") == "12000"
    assert f.kind.normalise_ocr(f, "1 2 0 0 0") == "12000"
    assert clean(spec, "income", f.kind.normalise_ocr(f, "￥１２，０００円")) == (12000, [])
    assert field("money").kind.print_layout(field("money")).cells == 9


def test_my_number_is_twelve_boxes_printed_blank(spec):
    f = spec.field("my_number")
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.groups, layout.blank) == ("digits", 12, (4, 4, 4), True)
    assert f.kind.ocr_hints(f) == OcrHints("digits", whitelist=DIGITS, min_length=12, max_length=12)
    for text in ("１２３４ ５６７８ ９０１８", "1234-5678-9018", "123456789018"):
        assert f.kind.normalise_ocr(f, text) == "123456789018"
    assert clean(spec, "my_number", f.kind.normalise_ocr(f, "１２３４ ５６７８ ９０１８")) == (
        "123456789018",
        [],
    )


# --- dates ----------------------------------------------------------------------------------------------------


def test_date_is_an_era_to_circle_and_year_month_day_boxes(spec):
    birth, visit = spec.field("birth"), spec.field("visit")  # max_date: today / min_date: today
    layout = birth.kind.print_layout(birth)
    assert (layout.box, layout.cells, layout.groups) == ("date", 6, (2, 2, 2))
    assert layout.choices == ("明治", "大正", "昭和", "平成", "令和")
    assert visit.kind.print_layout(visit).choices == ("令和",)  # a future date
    since = field("date", min_date="2000-01-01", max_date="2018-12-31")
    assert since.kind.print_layout(since).choices == ("平成",)
    assert birth.kind.ocr_hints(birth) == OcrHints("digits", whitelist=DIGITS, min_length=6, max_length=8)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和６年４月１日", "2024-04-01"),
        ("令和6年4月1日", "2024-04-01"),
        ("R6.4.1", "2024-04-01"),
        ("昭和40年1月15日", "1965-01-15"),
        ("２０２４／４／１", "2024-04-01"),
    ],
)
def test_date_text_from_paper_becomes_an_iso_date(spec, text, iso):
    f = spec.field("birth")
    assert f.kind.normalise_ocr(f, text) == iso
    assert clean(spec, "birth", f.kind.normalise_ocr(f, text)) == (iso, [])


def test_an_unreadable_date_is_kept_for_clean_to_report(spec):
    f = spec.field("birth")
    assert f.kind.normalise_ocr(f, "令和 ? 年") == "令和 ? 年"
    assert clean(spec, "birth", "令和 ? 年")[1]


# --- checkboxes -----------------------------------------------------------------------------------------------


def test_a_single_checkbox_is_one_box_read_as_ticked_or_not(spec):
    f = spec.field("agree")
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells) == ("checkbox", 1)
    assert f.kind.ocr_hints(f).checkbox and f.kind.ocr_hints(f).max_length == 1
    for mark in ("✓", "レ", "x", "■", "1", "☑"):
        assert f.kind.normalise_ocr(f, mark) is True, mark
    for empty in ("", " ", "□", "0"):
        assert f.kind.normalise_ocr(f, empty) is False, empty
    assert clean(spec, "agree", f.kind.normalise_ocr(f, "✓")) == (True, [])
    assert clean(spec, "agree", f.kind.normalise_ocr(f, "")) == (False, [])


def test_multiple_checkboxes_are_a_box_per_option(spec):
    f = spec.field("items")
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.choices) == ("choices", 2, ("head", "honseki"))
    assert f.kind.ocr_hints(f).checkbox and f.kind.ocr_hints(f).max_length == 2
    assert f.kind.normalise_ocr(f, "世帯主、Domicile") == ["head", "honseki"]
    assert f.kind.normalise_ocr(f, "honseki\nhead") == ["honseki", "head"]
    assert clean(spec, "items", f.kind.normalise_ocr(f, "honseki\nhead")) == (["head", "honseki"], [])
    assert f.kind.normalise_ocr(f, "世帯主, 続柄") == ["head", "続柄"]  # unknown: refused by clean
    assert clean(spec, "items", ["head", "続柄"])[1] == ["invalid_choice"]


def test_select_and_radio_are_a_box_per_option_read_by_value_or_label(spec):
    for field_id in ("purpose", "delivery"):
        f = spec.field(field_id)
        layout = f.kind.print_layout(f)
        assert layout.box == "choices" and layout.choices == tuple(o.value for o in f.options)
        assert f.kind.ocr_hints(f).checkbox
    purpose = spec.field("purpose")
    assert purpose.kind.normalise_ocr(purpose, "その他") == "other"
    assert purpose.kind.normalise_ocr(purpose, " Work ") == "work"


# --- kana -----------------------------------------------------------------------------------------------------


def test_kana_is_character_cells_read_as_full_width_katakana(spec):
    f = spec.field("kana")  # max_length defaults to 100
    layout = f.kind.print_layout(f)
    assert (layout.box, layout.cells, layout.rows) == ("cells", 20, 2)
    short = field("kana", max_length=12)
    assert (short.kind.print_layout(short).cells, short.kind.print_layout(short).rows) == (12, 1)
    assert f.kind.ocr_hints(f) == OcrHints("katakana", min_length=1, max_length=100)
    for text in ("ﾐﾄﾞﾘ ﾀﾛｳ", "みどり　たろう", "ミドリ  タロウ"):
        assert f.kind.normalise_ocr(f, text) == "ミドリ\u3000タロウ", text
    assert clean(spec, "kana", f.kind.normalise_ocr(f, "ﾐﾄﾞﾘ ﾀﾛｳ")) == ("ミドリ\u3000タロウ", [])


# --- the others: defaults of the base class and their types' shapes -------------------------------------------


def test_other_types_have_sensible_shapes(spec):
    def box(field_id):
        f = spec.field(field_id)
        return f.kind.print_layout(f)

    assert (box("name").box, box("name").cells) == ("cells", 10)  # text with max_length 10
    assert (box("purpose_other").box, box("purpose_other").rows) == ("text_area", 1)
    assert (box("note").box, box("note").rows) == ("text_area", 3)
    assert (box("address").box, box("address").rows) == ("text_area", 2)
    assert (box("email").box, box("email").rows) == ("cells", 2)
    assert (box("members").box, box("members").rows) == ("text_area", 4)
    assert box("photos").box == box("document").box == "none"
    account = box("account")
    assert account.box == "group"
    assert [(name, part.box, part.cells) for name, part in account.parts] == [
        ("bank_code", "digits", 4),
        ("branch_code", "digits", 3),
        ("account_type", "choices", 3),
        ("account_number", "digits", 7),
        ("holder", "cells", 30),
    ]
    name = spec.field("name")
    assert name.kind.normalise_ocr(name, " 緑　 太郎 ") == "緑 太郎"
    note = spec.field("note")
    assert note.kind.normalise_ocr(note, "一行目\n\n二行目 ") == "一行目\n二行目"
    assert (
        spec.field("email").kind.normalise_ocr(spec.field("email"), "ｍｉｄｏｒｉ＠example.jp")
        == "midori@example.jp"
    )

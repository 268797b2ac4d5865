"""The printed form's layout (procedures.forms.layout): pages, boxes, marks, and the stored JSON."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest

from madoguchi.procedures.fields import BOX_KINDS
from madoguchi.procedures.forms.layout import (
    BASIC_FIELDS,
    CONTENT_BOTTOM,
    FIELD_MARGIN,
    LAYOUT_VERSION,
    MARGIN,
    MM,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SIGNATURE,
    FormLayout,
    LayoutVersionError,
    layout_form,
    text_width,
    wrap_text,
)
from madoguchi.procedures.spec import load_procedure_file, parse_procedure_text

from .conftest import REPO_PROCEDURES, procedure_yaml
from .test_schema import ALL_TYPES

SHIPPED = sorted(path.stem for path in REPO_PROCEDURES.glob("*.yaml"))


@pytest.fixture(scope="module")
def layouts() -> dict[str, FormLayout]:
    return {slug: layout_form(load_procedure_file(REPO_PROCEDURES / f"{slug}.yaml")) for slug in SHIPPED}


def test_every_shipped_procedure_is_laid_out(layouts):
    assert len(SHIPPED) >= 14
    for slug, layout in layouts.items():
        spec = load_procedure_file(REPO_PROCEDURES / f"{slug}.yaml")
        assert layout.page_count >= 1, slug
        assert layout.procedure == slug and layout.title_ja == spec.name.ja
        printed = [f.id for f in spec.fields if f.kind.print_layout(f).box != "none"]
        laid_out = [box.field_id for box in layout.boxes if box.part is None and "." not in box.field_id]
        assert laid_out == printed, f"{slug}: every printed field once, in the form's order"
        assert all(box.kind in BOX_KINDS for box in layout.boxes)
        assert all(1 <= box.page <= layout.page_count for box in layout.boxes)


def test_boxes_stay_inside_the_margins(layouts):
    for slug, layout in layouts.items():
        for box in layout.boxes:
            rects = [box.rect, *box.rects, *box.choice_rects]
            for rect in rects:
                assert rect.x >= MARGIN - 0.01 and rect.right <= PAGE_WIDTH - MARGIN + 0.01, (slug, box.key)
                assert rect.y >= MARGIN - 0.01 and rect.bottom <= CONTENT_BOTTOM + 0.01, (slug, box.key)
        for page in layout.pages:
            for text in page.texts:
                assert text.x >= MARGIN - 0.01 and (text.x + text.width) <= PAGE_WIDTH - MARGIN + 0.5, (
                    slug,
                    text,
                )


def test_fields_do_not_overlap_and_keep_a_margin_around_them(layouts):
    for slug, layout in layouts.items():
        for number in range(1, layout.page_count + 1):
            boxes = [box for box in layout.boxes_on(number) if box.part is None]
            for a, b in combinations(boxes, 2):
                assert not a.rect.grown(FIELD_MARGIN / 2 - 0.01).overlaps(
                    b.rect.grown(FIELD_MARGIN / 2 - 0.01)
                ), f"{slug} page {number}: {a.key} and {b.key} are closer than {FIELD_MARGIN / MM:.0f} mm"
            # No printed text runs into a box someone writes in.
            cells = [rect for box in layout.boxes_on(number) for rect in box.rects]
            page = layout.pages[number - 1]
            for text in page.texts:
                for rect in cells:
                    assert not text.rect.overlaps(rect), f"{slug} page {number}: {text.text!r} over a box"


def test_parts_of_a_group_lie_inside_the_group(layouts):
    layout = layouts["jido-teate"]
    account = layout.boxes_of("payment_account")
    assert account[0].kind == "group" and account[0].part is None
    parts = {box.part: box for box in account[1:]}
    assert list(parts) == ["bank_code", "branch_code", "account_type", "account_number", "holder"]
    assert (parts["bank_code"].kind, parts["bank_code"].cells) == ("digits", 4)
    assert parts["account_type"].choices == ("ordinary", "current", "savings")
    assert parts["holder"].kind == "cells" and parts["holder"].ocr.charset == "katakana"
    group = account[0].rect.grown(0.01)
    for part in parts.values():
        assert part.page == account[0].page
        assert group.x <= part.x and part.rect.right <= group.right and part.rect.bottom <= group.bottom


def test_every_page_has_corner_marks_a_qr_zone_and_the_header(layouts):
    layout = layouts["yokaigo-nintei"]
    assert layout.page_count >= 2
    first = layout.pages[0]
    for page in layout.pages:
        assert page.marks == first.marks and len(page.marks) == 4
        xs = sorted({m.x for m in page.marks})
        ys = sorted({m.y for m in page.marks})
        assert len(xs) == 2 and len(ys) == 2  # one in each corner
        assert all(m.right < MARGIN or m.x > PAGE_WIDTH - MARGIN for m in page.marks)
        qr = page.zones["qr"]
        assert qr.right == pytest.approx(PAGE_WIDTH - MARGIN, abs=0.01) and qr.y == pytest.approx(
            MARGIN, abs=0.01
        )
        assert {"case_number", "city", "printed_on", "footer"} <= set(page.zones)
        assert any(t.text == layout.title_ja for t in page.texts)


def test_basic_items_on_the_first_page_and_the_signature_on_the_last(layouts):
    for slug, layout in layouts.items():
        for field_id in BASIC_FIELDS:
            (box,) = layout.boxes_of(field_id)
            assert box.page == 1, slug
        (signature,) = layout.boxes_of(SIGNATURE)
        assert signature.page == layout.page_count, slug
    basics = {field_id: layouts["tenkyo"].boxes_of(field_id)[0] for field_id in BASIC_FIELDS}
    assert basics["basics.sex"].choices == ("1", "2")
    assert basics["basics.birth_date"].choices == ("明治", "大正", "昭和", "平成", "令和")
    assert basics["basics.address"].kind == "text_area" and basics["basics.address"].rows == 2


def test_each_kind_of_box_is_laid_out_from_its_type():
    spec = parse_procedure_text(ALL_TYPES, path="all-types.yaml")
    layout = layout_form(spec)
    by_id = {box.field_id: box for box in layout.boxes if box.part is None}
    postal = by_id["postal"]
    assert (postal.kind, postal.cells, postal.groups, len(postal.rects)) == ("digits", 7, (3, 4), 7)
    assert postal.rects[0].width == pytest.approx(5 * MM, abs=0.01)
    assert postal.ocr.whitelist == "0123456789"
    money = next(box for box in layout.boxes if box.unit == "円")
    assert money.align == "right"
    my_number = next(box for box in layout.boxes if box.blank and box.kind == "digits")
    assert (my_number.cells, my_number.groups) == (12, (4, 4, 4))
    for box in layout.boxes:
        if box.kind in ("cells", "digits"):
            assert len(box.rects) == box.cells * box.rows
        if box.kind == "choices":
            assert len(box.rects) == len(box.choices) == box.cells
        if box.kind == "date":
            assert len(box.rects) == 6 and len(box.choice_rects) == len(box.choices) >= 1
        if box.kind == "text_area":
            assert len(box.rects) == box.rows
    assert not any(box.kind == "none" for box in layout.boxes)  # uploads are listed to bring instead
    texts = [t.text for page in layout.pages for t in page.texts]
    assert any("添付" in text for text in texts)


def test_a_future_date_offers_only_the_current_era():
    spec = parse_procedure_text(
        procedure_yaml(
            """\
            - id: visit
              type: date
              label: {ja: 来庁日, en: Visit day}
              min_date: today
            """
        ),
        path="test-procedure.yaml",
    )
    (box,) = layout_form(spec).boxes_of("visit")
    assert box.choices == ("令和",)


def test_the_json_is_stable_versioned_and_reads_back(layouts):
    spec = load_procedure_file(REPO_PROCEDURES / "jido-teate.yaml")
    first = json.dumps(layout_form(spec).to_json(), ensure_ascii=False)
    again = json.dumps(
        layout_form(load_procedure_file(REPO_PROCEDURES / "jido-teate.yaml")).to_json(), ensure_ascii=False
    )
    assert first == again
    data = json.loads(first)
    assert data["layout_version"] == LAYOUT_VERSION == 1
    assert data["units"] == "pt" and data["origin"] == "top-left"
    assert data["page_size"] == [PAGE_WIDTH, PAGE_HEIGHT]
    assert {"field_id", "page", "x", "y", "width", "height", "kind", "cells"} <= set(data["boxes"][0])
    for layout in layouts.values():
        assert FormLayout.from_json(json.loads(json.dumps(layout.to_json()))) == layout
    with pytest.raises(LayoutVersionError, match="layout_version"):
        FormLayout.from_json({**data, "layout_version": 99})


def test_long_labels_and_many_fields_flow_onto_new_pages():
    many = "".join(
        f"- id: note{i}\n"
        "  type: textarea\n"
        f"  label: {{ja: とても長い説明の欄その{i}です。ここには詳しい事情を書いてください, en: A long note number {i}}}\n"
        "  max_length: 300\n"
        for i in range(12)
    )
    spec = parse_procedure_text(procedure_yaml(many), path="test-procedure.yaml")
    layout = layout_form(spec)
    assert layout.page_count >= 4
    assert [box.field_id for box in layout.boxes if box.field_id.startswith("note")] == [
        f"note{i}" for i in range(12)
    ]


def test_text_measures_are_estimates_that_err_wide():
    assert text_width("氏名", 10) == 20
    assert text_width("ab", 10) == pytest.approx(12)
    assert wrap_text("あいうえお", 10, 25) == ["あい", "うえ", "お"]
    assert wrap_text("hello big world", 10, 60) == ["hello big", "world"]


def test_the_shipped_layouts_fit_in_few_pages(layouts):
    assert max(layout.page_count for layout in layouts.values()) <= 5
    assert Path(REPO_PROCEDURES).is_dir()

"""read_form: boxes → the values a case stores, validated by the procedure's own rules, with a confidence that
is low when a value fails validation or its OCR hints; and a printed form read back end to end."""

from __future__ import annotations

import datetime as dt

from madoguchi.intake.engine import ACCEPT_THRESHOLD, FieldRead, PageResult, read_form
from madoguchi.intake.engine.form import HANDWRITTEN_FREE_TEXT_CAP, INVALID_CAP, VARIANT_CAP
from madoguchi.procedures.forms.layout import Rect

from .conftest import load, printed, rasterise

TODAY = dt.date(2026, 4, 1)


def _read(key: str, raw: str, confidence: float = 0.99, kind: str = "digits") -> FieldRead:
    field_id, _, part = key.partition(".")
    return FieldRead(key, field_id, part or None, raw, confidence, Rect(0, 0, 1, 1), "test", kind=kind)


def _page(procedure: str, page: int, *reads: FieldRead) -> PageResult:
    return PageResult("read", procedure=procedure, page=page, fields={r.key: r for r in reads})


def test_values_are_normalised_and_cleaned_as_the_online_form_stores_them():
    spec, layout = load("tenkyo")
    pages = [
        _page(
            "tenkyo", 1,
            _read("move_date", "令和08年03月19日", kind="date"),
            _read("new_postal_code", "1000001"),
            _read("basics.name", "緑川 太郎", kind="text_area"),
            _read("basics.birth_date", "昭和61年04月12日", kind="date"),
            _read("basics.sex", "1", kind="choices"),
        ),
        _page("tenkyo", 2, _read("notifier_phone", "09012345678"), _read("household_change", "no", kind="choices")),
    ]  # fmt: skip
    reading = read_form(pages, spec, layout, today=TODAY)
    assert reading.fields["move_date"].value == "2026-03-19" and reading.fields["move_date"].valid
    assert reading.fields["new_postal_code"].value == "1000001"
    assert reading.fields["notifier_phone"].value == "090-1234-5678"
    assert reading.fields["move_date"].accepted()
    assert reading.basics["birth_date"].value == "1986-04-12"
    assert reading.basics["sex"].value == "1" and reading.basics["name"].value == "緑川 太郎"
    assert reading.missing_pages == [3]  # the signature page was not scanned


def test_a_value_that_fails_validation_is_never_accepted():
    spec, layout = load("tenkyo")
    pages = [
        _page(
            "tenkyo",
            1,
            _read("move_date", "令和08年02月30日", kind="date"),
            _read("new_postal_code", "12345"),
        )
    ]
    reading = read_form(pages, spec, layout, today=TODAY)
    for field_id in ("move_date", "new_postal_code"):
        value = reading.fields[field_id]
        assert not value.valid and value.error and value.confidence <= INVALID_CAP and not value.accepted()


def test_names_with_variant_prone_kanji_go_to_a_person():
    spec, layout = load("tenkyo")
    pages = [
        _page("tenkyo", 1, _read("basics.name", "高橋 一郎", kind="text_area")),
        _page("tenkyo", 2, _read("notifier_name", "山崎 花子", kind="text_area")),
    ]
    reading = read_form(pages, spec, layout, today=TODAY)
    assert reading.basics["name"].confidence <= VARIANT_CAP < ACCEPT_THRESHOLD
    assert reading.fields["notifier_name"].confidence <= VARIANT_CAP


def test_a_printed_form_read_back_end_to_end(reader):
    values = {
        "move_date": "2026-03-19",
        "old_postal_code": "1000005",
        "new_postal_code": "1000001",
        "household_change": "split",
        "related_procedures": ["my_number_card", "elderly_medical"],
        "notifier_phone": "090-1234-5678",
    }
    spec, layout = load("tenkyo")
    values = {k: v for k, v in values.items() if any(f.id == k for f in spec.fields)}
    _spec, layout, pdf = printed("tenkyo", values)
    results = [reader.read(page, lambda payload: layout) for page in rasterise(pdf)]
    assert [r.status for r in results] == ["read"] * len(results)
    reading = read_form(results, spec, layout, today=TODAY)
    for field_id, value in values.items():
        assert reading.fields[field_id].value == value, field_id
        assert reading.fields[field_id].accepted(), (field_id, reading.fields[field_id])
    assert reading.basics["birth_date"].value == "1986-04-12"
    assert reading.basics["address"].value == "みどり県みどり市中央町一丁目2番3号"


def test_free_handwriting_on_a_blank_form_is_only_proposed_but_digits_are_read():
    spec, layout = load("tenkyo")

    def pages(case_number):
        return [
            PageResult("read", procedure="tenkyo", page=1, case_number=case_number, fields={
                r.key: r for r in (_read("basics.name", "緑川 太郎", kind="text_area"),)
            }),
            PageResult("read", procedure="tenkyo", page=2, case_number=case_number, fields={
                r.key: r for r in (
                    _read("notifier_name", "緑川 花子", kind="text_area"), _read("notifier_phone", "09012345678")
                )
            }),
        ]  # fmt: skip

    by_hand = read_form(pages(None), spec, layout, today=TODAY)  # printed blank: written by hand
    assert not by_hand.fields["notifier_name"].accepted() and not by_hand.basics["name"].accepted()
    assert by_hand.fields["notifier_name"].confidence <= HANDWRITTEN_FREE_TEXT_CAP
    assert by_hand.fields["notifier_phone"].accepted()  # block digits in cells stay automatic
    typed = read_form(pages("R8-000001"), spec, layout, today=TODAY)  # printed pre-filled at the counter
    assert typed.fields["notifier_name"].accepted() and typed.basics["name"].accepted()

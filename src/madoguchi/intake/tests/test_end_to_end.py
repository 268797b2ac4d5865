"""From a scanned PDF to a case (channel=paper), through `madoguchi intake scan --json`, with the real engine:
the product's own printed form, rasterised by pypdfium2 with mild scanner noise (tests/scans.py)."""

from __future__ import annotations

import json
import unicodedata

import pytest
from django.core.management import call_command

from madoguchi.cases import services as case_services
from madoguchi.cases.models import Case, CaseAttachment, CaseHistory, Channel
from madoguchi.intake import services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus, ScannedFile
from madoguchi.procedures.models import Procedure

from .scans import filled_values, scan_of

SLUG = "inkan-certificate"
CONTRACT_KEYS = {"file", "page", "status", "procedure", "version", "case", "fields"}


def scan(capsys, *files, batch="test"):
    capsys.readouterr()
    call_command("intake", "scan", *[str(f) for f in files], "--batch", batch, "--json")
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def same(a, b) -> bool:
    """Values compared as a person would: width and spaces do not matter."""

    def fold(v):
        return unicodedata.normalize("NFKC", json.dumps(v, ensure_ascii=False, sort_keys=True)).replace(
            " ", ""
        )

    return fold(a).replace("\\u3000", "") == fold(b).replace("\\u3000", "")


@pytest.mark.django_db(transaction=True)
def test_a_scanned_form_becomes_a_paper_case_after_its_unsure_fields_are_checked(
    published, clerk, tmp_path, capsys
):
    values = filled_values(SLUG)
    path = tmp_path / "scan.pdf"
    path.write_bytes(scan_of(SLUG, values))

    lines = scan(capsys, path)

    assert [(line["page"], line["status"], line["procedure"]) for line in lines] == [
        (1, "read", SLUG),
        (2, "read", SLUG),
    ]
    assert all(set(line) == CONTRACT_KEYS for line in lines)
    form = PaperForm.objects.get()
    pending = list(form.readings.filter(status=ReadingStatus.PENDING))
    auto = list(form.readings.filter(status=ReadingStatus.AUTO))
    assert auto, "the engine accepts clear printed fields by itself"
    for reading in auto:  # every field that went in without a person was read right
        if reading.field_id in values:
            assert same(reading.value, values[reading.field_id]), reading.field_id
    for reading in pending:  # a person checks the rest: accepts what is right, types what is not
        right = values.get(reading.field_id)
        if reading.field_id.startswith("basics.") or right is None or same(reading.proposed, right):
            services.verify_reading(reading=reading, actor=clerk)
        else:
            services.verify_reading(reading=reading, actor=clerk, raw=right)

    form.refresh_from_db()
    assert form.status == PaperForm.Status.DONE
    case = form.case
    assert case.channel == Channel.PAPER
    assert case.procedure.slug == SLUG
    for field_id, value in values.items():
        assert same(case.data.get(field_id), value), field_id
    assert CaseAttachment.objects.filter(case=case).count() == 2  # the two scanned pages, for the office
    history = CaseHistory.objects.get(case=case)
    assert history.actor == (clerk if pending else None)
    assert "自動確定" in history.note
    decided = FieldReading.objects.filter(form=form).exclude(status=ReadingStatus.AUTO)
    assert all(r.decided_by == clerk and r.decided_at for r in decided)

    # The same scan again: "duplicate", pointing to the case of the first; no second case.
    again = scan(capsys, path)
    assert again == [
        {
            "file": str(path),
            "page": None,
            "status": "duplicate",
            "procedure": None,
            "version": None,
            "case": case.reference,
            "fields": {},
        }
    ]
    assert Case.objects.count() == 1
    assert ScannedFile.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_json_contract_when_every_field_is_accepted(published, tmp_path, capsys, settings):
    settings.OCR_ACCEPT_CONFIDENCE = "0"  # every valid field goes in without a person
    values = filled_values(SLUG)
    path = tmp_path / "auto.pdf"
    path.write_bytes(scan_of(SLUG, values, seed=3))

    lines = scan(capsys, path)

    case = Case.objects.get()
    assert case.channel == Channel.PAPER
    for line in lines:
        assert set(line) == CONTRACT_KEYS
        assert line["file"] == str(path) and line["procedure"] == SLUG and line["version"] == 1
        assert line["case"] == case.reference
        for field_id, item in line["fields"].items():
            assert set(item) == {"value", "confidence", "accepted"}
            assert item["accepted"] is True and 0 <= item["confidence"] <= 1
            if not field_id.startswith("basics."):
                assert same(item["value"], case.data.get(field_id)), field_id
    fields = {k for line in lines for k in line["fields"]}
    assert {"registrant_name", "registrant_postal_code", "copies"} <= fields
    assert CaseHistory.objects.get(case=case).actor is None  # nobody had to look


@pytest.mark.django_db(transaction=True)
def test_a_form_printed_at_the_counter_completes_its_case(published, clerk, tmp_path, capsys, settings):
    settings.OCR_ACCEPT_CONFIDENCE = "0"
    values = filled_values(SLUG)
    procedure = Procedure.objects.get(slug=SLUG)
    case = case_services.create_counter_case(procedure=procedure, raw=values, person=None, staff=clerk)
    path = tmp_path / "signed.pdf"
    path.write_bytes(scan_of(SLUG, case.data, case_number=case.reference, seed=5))

    lines = scan(capsys, path)

    assert {line["case"] for line in lines} == {case.reference}
    assert Case.objects.count() == 1  # attached to the counter's case, not a new one
    form = PaperForm.objects.get()
    assert form.case_number == case.reference and form.case == case
    assert CaseAttachment.objects.filter(case=case).count() == 2
    checked = FieldReading.objects.filter(form=form, checks__icontains='"case"')
    assert checked.exists()  # compared with the values the counter filled in

"""A returned 確認書 through the paper intake: the printed letter → a filled, scanned page → `intake scan` →
verification → the household's paper application (through `services.apply`), with the real OCR engine."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.benefits import printing, services
from madoguchi.benefits.models import Application, ApplicationStatus, Channel
from madoguchi.intake import services as intake_services
from madoguchi.intake.models import PaperForm, ReadingStatus

from .scans import returned_letter
from .support import make_household, make_program

CONTRACT_KEYS = {"file", "page", "status", "procedure", "version", "case", "fields"}


def scan(capsys, path):
    capsys.readouterr()
    call_command("intake", "scan", str(path), "--batch", "test", "--json")
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("layout", ["a4", "hagaki"])
def test_a_returned_letter_with_a_new_account_becomes_the_households_paper_application(
    layout, tmp_path, capsys
):
    program = make_program()
    household = make_household()
    services.compute_eligibility(program=program)
    pdf_path = tmp_path / "letters.pdf"
    printing.print_letters(program=program, path=pdf_path, layout=layout)
    values = {
        "confirm": True,
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": "1",
        "account_number": "7654321",
        "holder_kana": "ミドリカワ ハナコ",
    }
    scan_path = tmp_path / "scan.pdf"
    scan_path.write_bytes(returned_letter(pdf_path.read_bytes(), values, program=program, layout=layout))

    (line,) = scan(capsys, scan_path)

    assert set(line) == CONTRACT_KEYS
    assert (line["status"], line["procedure"], line["version"]) == (
        "read",
        f"benefit:{program.slug}",
        {"a4": 2, "hagaki": 3}[layout],
    )
    print(line)
    form = PaperForm.objects.get()
    clerk = StaffFactory(role=Role.REVIEWER)
    for reading in form.readings.filter(status=ReadingStatus.PENDING):
        print("pending", reading.field_id, reading.proposed, reading.confidence, reading.checks)
        intake_services.verify_reading(reading=reading, actor=clerk, raw=values[reading.field_id])
    form.refresh_from_db()
    assert form.status == PaperForm.Status.DONE
    application = Application.objects.get(household=household)
    assert application.channel == Channel.PAPER
    assert form.filed_as == application.number
    assert application.status == ApplicationStatus.RECEIVED
    assert (application.bank_code, application.branch_code, application.account_number) == (
        "0001",
        "001",
        "7654321",
    )

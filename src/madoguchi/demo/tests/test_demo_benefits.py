"""The demo's benefit program: every channel, a conflict, a returned payment, declines, and a file to export."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from madoguchi.benefits import selectors, zengin
from madoguchi.benefits.models import Application, ApplicationKind, ApplicationStatus, Payment, Program
from madoguchi.demo.benefits import SLUG, create_demo_benefit
from madoguchi.demo.services import ensure_demo_staff, load_demo_town

pytestmark = pytest.mark.django_db


def test_the_demo_program_exports_a_valid_file_and_reconciles(tmp_path):
    load_demo_town(residents=400, seed=3)
    ensure_demo_staff()  # as `madoguchi demo` does first: the decider who withdraws the demo's one decline

    report = create_demo_benefit()

    program = Program.objects.get(slug=SLUG)
    assert (program.amount_per_household, program.amount_per_person, str(program.base_date)) == (
        30000,
        20000,
        "2025-06-01",
    )
    assert report.created and report.eligible > 10 and report.to_export > 0 and report.returned == 1
    assert set(Application.objects.values_list("channel", flat=True)) == {"online", "counter", "paper"}
    assert Application.objects.filter(status="conflict").count() == 1
    assert Application.objects.filter(note__contains="金融機関コード").exists()
    declines = Application.objects.filter(kind=ApplicationKind.DECLINE)
    assert set(declines.filter(status=ApplicationStatus.DECLINED).values_list("channel", flat=True)) == {
        "online",
        "counter",
        "paper",
    }
    assert declines.filter(status=ApplicationStatus.DECLINE_WITHDRAWN).count() == 1  # by the demo's decider
    reconciliation = selectors.reconciliation(program)
    assert report.declined == reconciliation.declined == 3
    assert reconciliation.declined_by_channel == {"online": 1, "counter": 1, "paper": 1}
    assert reconciliation.holds()

    target = tmp_path / "zengin.txt"
    call_command("benefits", "export-payments", SLUG, "-o", str(target))
    parsed = zengin.read_transfer_file(target.read_bytes())
    assert len(parsed.records) == report.to_export
    assert not Payment.objects.filter(
        application__kind=ApplicationKind.DECLINE, export__isnull=False
    ).exists()

    assert not create_demo_benefit().created  # running the demo again changes nothing

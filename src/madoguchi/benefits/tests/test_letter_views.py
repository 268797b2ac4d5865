"""The office's letter batch: A4 or 圧着はがき as a download, for approvers, audited; bad input answered."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.benefits import services
from madoguchi.benefits.models import Confirmation
from madoguchi.core.models import AuditEvent

from .support import make_household, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"


@pytest.fixture
def program():
    program = make_program()
    make_household()
    make_household(account=False)
    services.compute_eligibility(program=program)
    return program


def _staff(role):
    return StaffFactory(department=DepartmentFactory(code="fukushi"), role=role)


def test_an_approver_prints_a_hagaki_batch_and_the_look_is_audited(client, program):
    approver = _staff(Role.APPROVER)
    client.force_login(approver)
    url = f"/office/benefits/{program.slug}/letters/"
    page = client.get(url).content.decode()
    assert "確認書 2 件（印刷済み 0 件・未印刷 2 件）" in page
    assert 'name="layout" id="layout-hagaki" value="hagaki"' in page
    dashboard = client.get(f"/office/benefits/{program.slug}/").content.decode()
    assert url in dashboard

    response = client.post(url, {"layout": "hagaki", "count": "1"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "letters-hagaki" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    pdf = pdfium.PdfDocument(response.content)
    assert len(pdf) == 2  # one household: outside and inside
    pdf.close()
    assert Confirmation.objects.filter(printed_at__isnull=False).count() == 1
    event = AuditEvent.objects.get(object_type="benefits.letters")
    assert (event.actor_id, event.action, event.object_id) == (approver.pk, "export", str(program.pk))


def test_bad_input_is_answered_and_prints_nothing(client, program):
    client.force_login(_staff(Role.APPROVER))
    url = f"/office/benefits/{program.slug}/letters/"

    too_many = client.post(url, {"layout": "a4", "count": "999999"}).content.decode()
    assert "1から5,000 までの数" in too_many
    no_layout = client.post(url, {"layout": "b5", "count": "10"}).content.decode()
    assert "様式を選んでください" in no_layout
    assert not Confirmation.objects.filter(printed_at__isnull=False).exists()

    client.post(url, {"layout": "a4", "count": "10"})
    nothing_left = client.post(url, {"layout": "a4", "count": "10"}, follow=True).content.decode()
    assert "印刷していない確認書はありません" in nothing_left
    english = client.get(f"/en{url}").content.decode()
    assert "Print the confirmation letters" in english and "Pressure-sealed postcard" in english


def test_a_reviewer_sees_the_counts_but_cannot_print(client, program):
    client.force_login(_staff(Role.REVIEWER))
    url = f"/office/benefits/{program.slug}/letters/"
    page = client.get(url).content.decode()
    assert "決裁者・課管理者が行います" in page and 'name="layout"' not in page
    assert client.post(url, {"layout": "a4", "count": "1"}).status_code == 404
    assert client.get("/office/benefits/no-such-program/letters/").status_code == 404
    assert not Confirmation.objects.filter(printed_at__isnull=False).exists()

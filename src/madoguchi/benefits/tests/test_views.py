"""The resident's confirmation page and the office's dashboard, conflicts, approval and export."""

from __future__ import annotations

import pytest

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.benefits import services, zengin
from madoguchi.benefits.models import Application, ApplicationStatus, Channel, Payment, PaymentStatus
from madoguchi.core.models import AuditEvent

from .support import confirmation_number, linked_resident, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"


def test_the_resident_confirms_the_prefilled_account_and_that_is_the_online_application(client, program):
    household = make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(household))
    number = confirmation_number(household)

    listing = client.get("/benefits/").content.decode()
    assert "テスト給付金" in listing and f"/benefits/{number}/" in listing
    page = client.get(f"/benefits/{number}/").content.decode()
    assert "****567" in page and "1234567" not in page and "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ" in page

    response = client.post(f"/benefits/{number}/", {"choice": "confirm"})
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.channel, application.status, application.account_corrected) == (
        Channel.ONLINE,
        ApplicationStatus.RECEIVED,
        False,
    )
    assert "確認して申請する" not in client.get(f"/benefits/{number}/").content.decode()


def test_a_correction_with_a_branch_that_does_not_exist_is_refused_on_the_page(client, program):
    household = make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(household))
    number = confirmation_number(household)
    form = {
        "choice": "correct",
        "bank_code": "0001",
        "branch_code": "998",
        "account_type": "1",
        "account_number": "7654321",
        "holder_kana": "みどりかわ　はなこ",
    }
    page = client.post(f"/benefits/{number}/", form).content.decode()
    assert "支店コード「998」の支店はありません" in page and 'href="#id_branch_code"' in page
    assert not Application.objects.exists()

    form["branch_code"] = "001"
    assert client.post(f"/benefits/{number}/", form).status_code == 302
    application = Application.objects.get()
    assert application.account_corrected and application.holder_kana == "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ"


def test_english_page_and_another_households_confirmation_is_not_found(client, program):
    mine, other = make_household(), make_household()
    services.compute_eligibility(program=program)
    client.force_login(linked_resident(mine))
    assert client.get(f"/benefits/{confirmation_number(other)}/").status_code == 404
    page = client.get(f"/en/benefits/{confirmation_number(mine)}/").content.decode()
    assert "Test benefit" in page


def test_the_dashboard_shows_the_figures_and_reconciles_and_the_csv_matches(client, program):
    households = [make_household() for _ in range(3)]
    services.compute_eligibility(program=program)
    services.apply(program=program, household=households[0], channel=Channel.ONLINE)
    services.apply(program=program, household=households[1], channel=Channel.PAPER)
    services.apply(program=program, household=households[1], channel=Channel.COUNTER)
    client.force_login(StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.APPROVER))

    page = client.get(f"/office/benefits/{program.slug}/").content.decode()
    assert 'data-figure="eligible">3<' in page and 'data-figure="applied">2<' in page
    assert "<svg" in page and "対象 3 = 申請 2 + 辞退 0 + 未申請 1" in page
    assert "が成り立っています" in page
    csv_text = client.get(f"/office/benefits/{program.slug}/figures.csv").content.decode("utf-8-sig")
    assert "eligible,3,applied,2,not_applied,1,declined,0" in csv_text

    audited = AuditEvent.objects.count()
    conflicts = client.get(f"/office/benefits/{program.slug}/conflicts/").content.decode()
    paper, counter = Application.objects.filter(household=households[1]).order_by("pk")
    assert paper.number in conflicts and counter.number in conflicts
    assert AuditEvent.objects.count() == audited + 2

    client.post(f"/office/benefits/{program.slug}/conflicts/", {"keep": counter.number})
    assert Application.objects.get(pk=paper.pk).status == ApplicationStatus.REJECTED

    client.post(f"/office/benefits/{program.slug}/approve/")
    assert Payment.objects.filter(status=PaymentStatus.APPROVED).count() == 2
    response = client.post(f"/office/benefits/{program.slug}/export/")
    assert response["Content-Disposition"].startswith('attachment; filename="test-kyufu-zengin-')
    parsed = zengin.read_transfer_file(response.content)
    assert len(parsed.records) == 2


def test_a_reviewer_sees_the_dashboard_but_cannot_approve_or_export(client, program):
    client.force_login(StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.REVIEWER))
    assert client.get(f"/office/benefits/{program.slug}/").status_code == 200
    assert client.post(f"/office/benefits/{program.slug}/approve/").status_code == 404
    assert client.post(f"/office/benefits/{program.slug}/export/").status_code == 404


def test_residents_do_not_see_office_pages(client, program):
    client.force_login(ResidentFactory())
    assert client.get(f"/office/benefits/{program.slug}/").status_code == 404


def test_the_conflicts_page_withholds_the_household_number_at_a_protected_address(client, program):
    from madoguchi.residents.models import Person

    protected, plain = make_household(), make_household()
    Person.objects.filter(household=protected).update(support_measure=True)  # 支援措置
    services.compute_eligibility(program=program)
    for household in (protected, plain):
        services.apply(program=program, household=household, channel=Channel.PAPER)
        services.apply(program=program, household=household, channel=Channel.COUNTER)
    client.force_login(StaffFactory(department=DepartmentFactory(code="fukushi"), role=Role.APPROVER))

    page = client.get(f"/office/benefits/{program.slug}/conflicts/").content.decode()
    assert plain.number in page
    assert protected.number not in page and "支援措置対象のため表示できません" in page
    for application in Application.objects.filter(household=protected):
        assert application.number in page  # the applications themselves stay side by side

"""Hostile probes of the benefit pages: what an attacker tries, written as tests that pass when the product is
safe. A resident guessing another household's 確認書 number, staff of another department on the desk, letters,
conflicts and CSV, a reviewer trying a decider's POSTs, CSRF, GETs that would change state, mass assignment,
malformed input, markup in resident-entered text, and the download headers."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.benefits import services
from madoguchi.benefits.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    Confirmation,
    Payment,
    PaymentStatus,
    PublicAccount,
)
from madoguchi.core.models import AuditEvent
from madoguchi.residents.models import Person

from .support import confirmation_number, linked_resident, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"


@pytest.fixture
def outsider():
    """An approver of 市民課, a department that does not run benefits."""
    return StaffFactory(department=DepartmentFactory(code="shimin"), role=Role.APPROVER)


def _two_households(program):
    mine, theirs = make_household(), make_household()
    services.compute_eligibility(program=program)
    return mine, theirs


# --- residents: IDOR, enumeration, CSRF, method, mass assignment, malformed numbers -------------------------


def test_another_households_confirmation_looks_exactly_like_a_number_that_does_not_exist(client, program):
    mine, theirs = _two_households(program)
    client.force_login(linked_resident(mine))
    theirs_number = confirmation_number(theirs)
    unknown = "9" * len(theirs_number)
    assert not Confirmation.objects.filter(number=unknown).exists()

    for suffix in ("", "decline/"):
        other = client.get(f"/benefits/{theirs_number}/{suffix}")
        missing = client.get(f"/benefits/{unknown}/{suffix}")
        assert other.status_code == missing.status_code == 404
        # the same page: nothing tells a guessed number of a real household from a made-up one
        assert other.content.replace(theirs_number.encode(), b"N") == missing.content.replace(
            unknown.encode(), b"N"
        )
    assert client.post(f"/benefits/{theirs_number}/", {"choice": "confirm"}).status_code == 404
    assert client.post(f"/benefits/{theirs_number}/decline/").status_code == 404
    assert not Application.objects.exists()


def test_a_decline_or_an_application_without_the_csrf_token_is_refused(program):
    mine, _ = _two_households(program)
    client = Client(enforce_csrf_checks=True)
    client.force_login(linked_resident(mine))
    number = confirmation_number(mine)

    assert client.post(f"/benefits/{number}/decline/").status_code == 403
    assert client.post(f"/benefits/{number}/", {"choice": "confirm"}).status_code == 403
    assert not Application.objects.exists()


def test_gets_never_file_anything(client, program):
    mine, _ = _two_households(program)
    client.force_login(linked_resident(mine))
    number = confirmation_number(mine)

    assert client.get(f"/benefits/{number}/decline/").status_code == 200
    assert client.get(f"/benefits/{number}/", {"choice": "confirm"}).status_code == 200
    assert client.put(f"/benefits/{number}/decline/").status_code == 405
    assert not Application.objects.exists()


def test_posted_extra_fields_cannot_set_the_amount_the_status_or_the_household(client, program):
    mine, theirs = _two_households(program)
    client.force_login(linked_resident(mine))
    number = confirmation_number(mine)

    response = client.post(
        f"/benefits/{number}/",
        {
            "choice": "confirm",
            "amount": "99999999",
            "status": ApplicationStatus.APPROVED,
            "household": str(theirs.pk),
            "household_id": str(theirs.pk),
            "channel": Channel.COUNTER,
            "kind": ApplicationKind.DECLINE,
        },
    )

    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.household_id, application.status, application.channel, application.kind) == (
        mine.pk,
        ApplicationStatus.RECEIVED,
        Channel.ONLINE,
        ApplicationKind.APPLICATION,
    )
    assert application.eligibility.household_id == mine.pk
    assert not Payment.objects.filter(amount=99999999).exists()


@pytest.mark.parametrize(
    "number",
    ["%00", "x" * 5000, "..%2F..%2Fetc%2Fpasswd", "1%27%20OR%201=1--", "%E3%81%82", "%ff%fe", "-1", "0"],
)
def test_malformed_confirmation_numbers_are_a_404_never_a_500(client, program, number):
    mine, _ = _two_households(program)
    client.force_login(linked_resident(mine))
    # 404, or the 400 Django gives a path with a NUL byte: never a 500, never a page
    assert client.get(f"/benefits/{number}/").status_code in (400, 404)
    assert client.post(f"/benefits/{number}/decline/").status_code in (400, 404)


def test_overlong_and_control_character_account_input_is_a_message_not_a_500(client, program):
    mine, _ = _two_households(program)
    client.force_login(linked_resident(mine))
    number = confirmation_number(mine)
    for data in (
        {"choice": "correct", "bank_code": "0" * 5000, "branch_code": "1" * 5000, "account_number": "9" * 5000,
         "holder_kana": "ｱ" * 5000},
        {"choice": "correct", "bank_code": "0005", "branch_code": "001", "account_number": "1234567",
         "holder_kana": "ﾐﾄﾞﾘ\u202eｶﾜ"},
        {"choice": "correct", "bank_code": "0005", "branch_code": "001", "account_number": "1234567",
         "holder_kana": "=HYPERLINK(\"http://x\")"},
        {"choice": "nonsense"},
    ):  # fmt: skip
        response = client.post(f"/benefits/{number}/", data)
        assert response.status_code == 200, data
    assert not Application.objects.exists()


# --- staff: other departments, non-deciders, method, CSRF ------------------------------------------------


def _filed(program):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    return household, application


def test_staff_of_another_department_open_no_personal_data_page(client, program, outsider):
    household, application = _filed(program)
    person = household.members.first()
    number = confirmation_number(household)
    slug = program.slug
    client.force_login(outsider)
    audited_before = AuditEvent.objects.count()

    for url in (
        "/office/benefits/desk/",
        "/office/benefits/desk/banks/?bank=0005",
        f"/office/benefits/{slug}/desk/",
        f"/office/benefits/{slug}/counter/{person.pk}/",
        f"/office/benefits/{slug}/paper/person/{person.pk}/",
        f"/office/benefits/{slug}/paper/{number}/",
        f"/office/benefits/{slug}/receipt/{application.number}/",
        f"/office/benefits/{slug}/applications/{application.number}/",
        f"/office/benefits/{slug}/conflicts/",
        f"/office/benefits/{slug}/letters/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert person.name not in response.content.decode(), url
        assert "ﾐﾄﾞﾘｶﾜ" not in response.content.decode(), url  # the account holder
    for url, data in (
        (f"/office/benefits/{slug}/applications/{application.number}/decide/", {"decision": "reject", "reason": "x"}),
        (f"/office/benefits/{slug}/conflicts/", {"keep": application.number}),
        (f"/office/benefits/{slug}/letters/", {"layout": "a4", "count": "1"}),
        (f"/office/benefits/{slug}/counter/{person.pk}/", {"source": "public", "action": "confirm"}),
        (f"/office/benefits/{slug}/approve/", {}),
        (f"/office/benefits/{slug}/export/", {}),
    ):  # fmt: skip
        assert client.post(url, data).status_code in (403, 404), url
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED and Application.objects.count() == 1
    assert AuditEvent.objects.count() == audited_before  # nothing was looked at


def test_a_reviewer_cannot_reject_approve_export_print_or_keep_a_conflict(client, program, clerk):
    _household, application = _filed(program)
    slug = program.slug
    client.force_login(clerk)

    decide = client.post(
        f"/office/benefits/{slug}/applications/{application.number}/decide/",
        {"decision": "reject", "reason": "x"},
    )
    assert decide.status_code == 403
    assert client.post(f"/office/benefits/{slug}/conflicts/", {"keep": application.number}).status_code == 404
    assert client.post(f"/office/benefits/{slug}/approve/").status_code == 404
    assert client.post(f"/office/benefits/{slug}/export/").status_code == 404
    assert client.post(f"/office/benefits/{slug}/letters/", {"layout": "a4", "count": "1"}).status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED
    assert not Payment.objects.filter(status=PaymentStatus.EXPORTED).exists()


def test_state_changing_office_urls_refuse_get_and_need_the_csrf_token(program, decider):
    _household, application = _filed(program)
    slug = program.slug
    client = Client(enforce_csrf_checks=True)
    client.force_login(decider)

    for url in (
        f"/office/benefits/{slug}/approve/",
        f"/office/benefits/{slug}/export/",
        f"/office/benefits/{slug}/applications/{application.number}/decide/",
    ):
        assert client.get(url, {"decision": "reject", "reason": "x"}).status_code == 405, url
        assert client.post(url, {"decision": "reject", "reason": "x"}).status_code == 403, url
    assert client.post(f"/office/benefits/{slug}/conflicts/", {"keep": application.number}).status_code == 403
    assert client.post(f"/office/benefits/{slug}/letters/", {"layout": "a4"}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED


@pytest.mark.parametrize("number", ["%00", "x" * 5000, "%ff", "1%27--", "%E3%81%82"])
def test_malformed_application_numbers_at_the_desk_are_a_404_never_a_500(client, program, decider, number):
    _filed(program)
    client.force_login(decider)
    slug = program.slug
    assert client.get(f"/office/benefits/{slug}/applications/{number}/").status_code in (400, 404)
    assert client.get(f"/office/benefits/{slug}/receipt/{number}/").status_code in (400, 404)
    assert client.post(f"/office/benefits/{slug}/applications/{number}/decide/", {}).status_code in (400, 404)
    assert client.get(f"/office/benefits/{slug}/paper/{number}/").status_code in (200, 400, 404)


def test_malformed_desk_and_letter_input_is_a_message_not_a_500(client, program, decider):
    _filed(program)
    client.force_login(decider)
    slug = program.slug
    assert client.get(
        f"/office/benefits/{slug}/desk/", {"reference": "\x00" * 300, "channel": "x" * 500}
    ).status_code in (200, 400)
    assert client.post(
        f"/office/benefits/{slug}/desk/", {"channel": "\x00", "atena_number": "x" * 5000}
    ).status_code in (200, 400)
    assert client.get(
        "/office/benefits/desk/banks/", {"bank": "\x00" * 50, "q": "%" * 500, "kind": "branch"}
    ).status_code in (200, 400)
    for count in ("-1", "1e9", "abc", "9" * 400, ""):
        response = client.post(
            f"/office/benefits/{slug}/letters/", {"layout": "evil\r\nX: y", "count": count}
        )
        assert response.status_code == 200 and "様式を選んでください" in response.content.decode()
    long_reason = client.post(
        f"/office/benefits/{slug}/applications/{Application.objects.get().number}/decide/",
        {"decision": "reject", "reason": "理" * 20000},
    )
    assert long_reason.status_code in (302, 400)


# --- resident-entered text shown to staff ---------------------------------------------------------------------


def test_markup_in_names_holders_and_reasons_is_escaped_on_the_staff_pages(client, program, decider):
    household = make_household()
    person = household.members.first()
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    short = "<script>alert(1)</script>"  # an account holder has at most 30 characters
    Person.objects.filter(pk=person.pk).update(name=evil, name_kana=evil)
    PublicAccount.objects.filter(person=person).update(holder_kana=short)
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    Application.objects.filter(pk=application.pk).update(holder_kana=short, note=evil)
    services.apply(program=program, household=household, channel=Channel.COUNTER)  # a conflict
    client.force_login(decider)
    slug = program.slug

    for url in (
        f"/office/benefits/{slug}/applications/{application.number}/",
        f"/office/benefits/{slug}/receipt/{application.number}/",
        f"/office/benefits/{slug}/conflicts/",
        f"/office/benefits/{slug}/counter/{person.pk}/",
    ):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url


# --- downloads -------------------------------------------------------------------------------------------


def test_download_names_are_plain_ascii_from_the_slug(client, program, decider):
    _filed(program)
    client.force_login(decider)
    response = client.get(f"/office/benefits/{program.slug}/figures.csv")
    disposition = response["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_-]+-figures\.csv"', disposition)
    # the slug converter refuses anything that could break out of the header
    assert client.get("/office/benefits/a%0d%0aSet-Cookie:x=1/figures.csv").status_code == 404
    assert client.get('/office/benefits/a";x=/figures.csv').status_code == 404


# --- every look at personal data leaves an audit row --------------------------------------------------------


def test_every_desk_page_with_personal_data_writes_an_audit_row(client, program, clerk):
    household, application = _filed(program)
    services.apply(program=program, household=household, channel=Channel.COUNTER)  # a conflict to show
    person = household.members.first()
    slug = program.slug
    client.force_login(clerk)

    for url in (
        f"/office/benefits/{slug}/applications/{application.number}/",
        f"/office/benefits/{slug}/receipt/{application.number}/",
        f"/office/benefits/{slug}/conflicts/",
        f"/office/benefits/{slug}/counter/{person.pk}/",
        f"/office/benefits/{slug}/paper/{confirmation_number(household)}/",
    ):
        before = AuditEvent.objects.filter(actor_id=clerk.pk).count()
        assert client.get(url).status_code == 200, url
        assert AuditEvent.objects.filter(actor_id=clerk.pk).count() > before, url

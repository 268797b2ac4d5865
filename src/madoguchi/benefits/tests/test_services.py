"""Eligibility, applications from every channel, once-per-household payments, the file, returns, reconciliation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from madoguchi.benefits import selectors, services, zengin
from madoguchi.benefits.imports import ImportFileError
from madoguchi.benefits.models import (
    Application,
    ApplicationStatus,
    Channel,
    Confirmation,
    Eligibility,
    Payment,
    PaymentExport,
    PaymentStatus,
    TaxRecord,
)
from madoguchi.core.models import OutboxEvent

from .support import make_household

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so concurrent approvals cannot race",
)


def test_eligibility_on_the_base_date_with_the_tax_condition_and_child_amounts(program):
    family = make_household((dt.date(1980, 1, 1), dt.date(2010, 5, 5), dt.date(2006, 6, 1)))
    single = make_household()
    make_household(non_taxed=False)  # taxed
    make_household(since=dt.date(2025, 6, 2))  # moved in after the base date
    make_household(
        since=dt.date(2000, 1, 1), until=dt.date(2025, 6, 1)
    )  # left the day before... valid_to exclusive
    make_household(non_taxed=None)  # no tax record: not known to be 非課税

    report = services.compute_eligibility(program=program)

    amounts = dict(Eligibility.objects.values_list("household_id", "amount"))
    # 30,000 + 20,000 for the child born 2010 (the one born 2006-06-01 is 19 on the base date)
    assert amounts == {family.pk: 50_000, single.pk: 30_000}
    assert (report.eligible, report.amount, report.confirmations_created) == (2, 80_000, 2)
    confirmation = Confirmation.objects.get(eligibility__household=single)
    assert (confirmation.bank_code, confirmation.account_number, confirmation.holder_kana) == (
        "0005",
        "1234567",
        "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ",
    )
    assert confirmation.masked_account_number == "****567"

    # a second run changes nothing and creates no second confirmation
    again = services.compute_eligibility(program=program)
    assert (again.eligible, again.confirmations_created) == (2, 0)


def test_the_database_pays_a_household_at_most_once_per_program(program):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.ONLINE)
    Payment.objects.create(program=program, household=household, application=application, amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(program=program, household=household, application=application, amount=1)
    # a returned payment leaves the constraint: the household can be paid again
    Payment.objects.update(status=PaymentStatus.RETURNED)
    Payment.objects.create(program=program, household=household, application=application, amount=1)
    assert Payment.objects.filter(status=PaymentStatus.APPROVED).count() == 1


def test_a_second_application_is_a_conflict_shown_side_by_side_and_resolved_by_staff(program):
    household = make_household()
    services.compute_eligibility(program=program)
    online = services.apply(program=program, household=household, channel=Channel.ONLINE)
    paper = services.apply(
        program=program,
        household=household,
        channel=Channel.PAPER,
        account=services.AccountInput("0001", "001", "1", "7654321", "ミドリカワ　ハナコ"),
    )
    assert (online.status, paper.status) == (ApplicationStatus.RECEIVED, ApplicationStatus.CONFLICT)
    assert paper.account_corrected and paper.holder_kana == "ﾐﾄﾞﾘｶﾜ ﾊﾅｺ"
    assert [[a.number for a in group] for group in selectors.conflicts(program)] == [
        [online.number, paper.number]
    ]

    services.resolve_conflict(keep=paper, staff=None)
    online.refresh_from_db()
    paper.refresh_from_db()
    assert (online.status, paper.status) == (ApplicationStatus.REJECTED, ApplicationStatus.RECEIVED)
    assert services.approve(application=paper) is not None
    assert Payment.objects.get().application == paper


def test_approving_twice_through_two_applications_pays_once(program):
    household = make_household()
    services.compute_eligibility(program=program)
    first = services.apply(program=program, household=household, channel=Channel.COUNTER)
    second = services.apply(program=program, household=household, channel=Channel.ONLINE)
    Application.objects.filter(pk=second.pk).update(
        status=ApplicationStatus.RECEIVED
    )  # as if both slipped through
    assert services.approve(application=first) is not None
    assert services.approve(application=Application.objects.get(pk=second.pk)) is None
    assert Payment.objects.count() == 1
    assert Application.objects.get(pk=second.pk).status == ApplicationStatus.CONFLICT


def test_a_bank_that_does_not_exist_sends_the_application_back_to_the_resident(program):
    from madoguchi.accounts.models import User, UserKind
    from madoguchi.notify.models import Notice

    resident = User.objects.create_user(email="r@example.jp", password="x" * 12, kind=UserKind.RESIDENT)
    household = make_household(account=False)
    services.compute_eligibility(program=program)
    application = services.apply(
        program=program,
        household=household,
        channel=Channel.ONLINE,
        applicant=resident,
        account=services.AccountInput("0999", "001", "1", "1234567", "ミドリ"),
    )
    assert application.status == ApplicationStatus.RETURNED_TO_RESIDENT
    notice = Notice.objects.get(recipient=resident)
    assert application.number in notice.body_ja and "金融機関" in notice.body_ja
    services.correct_account(
        application=application, account=services.AccountInput("0001", "001", "1", "1234567", "ミドリ")
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED


def test_an_ineligible_household_cannot_apply(program):
    household = make_household(non_taxed=False)
    services.compute_eligibility(program=program)
    with pytest.raises(services.BenefitError) as caught:
        services.apply(program=program, household=household, channel=Channel.PAPER)
    assert caught.value.code == "not_eligible"


def test_export_writes_a_valid_file_and_returns_reopen_payments_and_the_numbers_reconcile(program, tmp_path):
    households = [make_household((dt.date(1980, 1, 1), dt.date(2015, 1, 1))) for _ in range(3)] + [
        make_household()
    ]
    make_household()  # eligible, never applies
    services.compute_eligibility(program=program)
    channels = [Channel.ONLINE, Channel.COUNTER, Channel.PAPER, Channel.PAPER]
    apps = [
        services.apply(program=program, household=h, channel=c)
        for h, c in zip(households, channels, strict=True)
    ]
    services.reject(application=apps[3], staff=None, note="取下げ")
    report = services.approve_received(program=program)
    assert report.approved == 3

    target = tmp_path / "zengin.txt"
    call_command("benefits", "export-payments", program.slug, "-o", str(target))
    parsed = zengin.read_transfer_file(target.read_bytes())
    assert len(parsed.records) == 3 and int(parsed.trailer["total"]) == 150_000
    assert {r["customer_code2"] for r in parsed.records} == {f"{a.pk:010d}" for a in apps[:3]}
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.EXPORTED}

    paid_back = zengin.mark_results(target.read_bytes(), {Payment.objects.get(application=apps[1]).pk: "1"})
    (tmp_path / "returns.txt").write_bytes(paid_back)
    call_command("benefits", "import-returns", program.slug, str(tmp_path / "returns.txt"))
    assert Payment.objects.get(application=apps[1]).status == PaymentStatus.RETURNED
    assert Application.objects.get(pk=apps[1].pk).status == ApplicationStatus.RETURNED_TO_RESIDENT

    r = selectors.reconciliation(program)
    assert (r.eligible, r.applied, r.not_applied) == (5, 4, 1)
    assert r.by_state == {"paid": 2, "pending": 0, "rejected": 1, "returned": 1}
    assert r.by_channel["paper"] == {"paid": 1, "pending": 0, "rejected": 1, "returned": 0}
    assert r.holds()

    # the household gives a correct account and is paid again: still one live payment
    services.correct_account(
        application=Application.objects.get(pk=apps[1].pk),
        account=services.AccountInput("0001", "001", "1", "7777777", "ミドリ"),
    )
    services.approve_received(program=program)
    assert Payment.objects.filter(household=households[1]).count() == 2
    r = selectors.reconciliation(program)
    assert r.by_state == {"paid": 2, "pending": 1, "rejected": 1, "returned": 0} and r.holds()

    call_command("benefits", "export-payments", program.slug, "-o", str(tmp_path / "again.txt"))
    assert len(zengin.read_transfer_file((tmp_path / "again.txt").read_bytes()).records) == 1
    with pytest.raises(CommandError, match="支給決定がありません"):
        call_command("benefits", "export-payments", program.slug, "-o", str(tmp_path / "nothing.txt"))


def test_an_invalid_record_names_the_application_and_writes_nothing(program, tmp_path):
    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.COUNTER)
    services.approve(application=application)
    Application.objects.filter(pk=application.pk).update(holder_kana="山田")
    target = tmp_path / "z.txt"
    with pytest.raises(CommandError, match=application.number):
        call_command("benefits", "export-payments", program.slug, "-o", str(target))
    assert not target.exists()
    assert Payment.objects.get().status == PaymentStatus.APPROVED


def test_tax_import_rejects_a_malformed_file_whole_with_row_and_column(program):
    household = make_household(non_taxed=None)
    atena = household.members.get().atena_number
    bad = f"atena_number,fiscal_year,non_taxed,income\n{atena},2025,1,0\n{atena}x,2025,2,abc\n".encode()
    with pytest.raises(ImportFileError) as caught:
        services.import_tax_file(data=bad)
    assert "3行目 non_taxed列" in caught.value.ja and "row 3, column income" in caught.value.en
    assert not TaxRecord.objects.exists()


def test_tax_import_of_an_unknown_person_is_rejected_with_the_row():
    with pytest.raises(ImportFileError) as caught:
        services.import_tax_file(data=b"atena_number,fiscal_year,non_taxed,income\n999,2025,1,\n")
    assert "2行目 atena_number列" in caught.value.ja


def test_a_tax_correction_emits_an_event_naming_the_programs_that_used_it(program):
    household = make_household()
    services.compute_eligibility(program=program)
    atena = household.members.get().atena_number
    OutboxEvent.objects.all().delete()
    report = services.import_tax_file(
        data=f"atena_number,fiscal_year,non_taxed,income\n{atena},2025,0,2500000\n".encode()
    )
    assert (report.corrected, report.created) == (1, 0)
    event = OutboxEvent.objects.get(topic="tax.record_corrected")
    assert event.payload["household_number"] == household.number
    assert event.payload["changed"] == ["non_taxed", "income"] and event.payload["programs"] == [program.slug]


def test_accounts_import_checks_banks_and_branches(program):
    household = make_household(account=False)
    atena = household.members.get().atena_number
    header = "atena_number,bank_code,branch_code,account_type,account_number,holder_kana\n"
    with pytest.raises(ImportFileError) as caught:
        services.import_accounts_file(data=f"{header}{atena},0001,999,1,1234567,ミドリ\n".encode())
    assert "2行目 branch_code列" in caught.value.ja
    assert (
        services.import_accounts_file(data=f"{header}{atena},1,1,1,123,みどり　はなこ\n".encode("cp932")) == 1
    )
    services.compute_eligibility(program=program)
    confirmation = Confirmation.objects.get()
    assert (confirmation.bank_code, confirmation.branch_code, confirmation.account_number) == (
        "0001",
        "001",
        "0000123",
    )
    assert confirmation.holder_kana == "ﾐﾄﾞﾘ ﾊﾅｺ"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_online_and_paper_applications_pay_each_household_once(program):
    from .concurrency import race_applications

    households = [make_household() for _ in range(40)]
    services.compute_eligibility(program=program)
    outcome = race_applications(program_id=program.pk, household_ids=[h.pk for h in households], workers=8)
    assert not outcome.errors
    assert outcome.double_payments == 0
    assert Payment.objects.count() == 40


def test_a_payment_hold_set_by_the_rules_stops_approval_until_it_is_cleared(program):
    from django.utils import timezone

    from madoguchi.automation.models import Flag

    household = make_household()
    services.compute_eligibility(program=program)
    application = services.apply(program=program, household=household, channel=Channel.PAPER)
    flag = Flag.objects.create(flag="payment_hold", person=household.members.first())

    report = services.approve_received(program=program)
    assert report.held == [application.number] and Payment.objects.count() == 0
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.RECEIVED

    Flag.objects.filter(pk=flag.pk).update(cleared_at=timezone.now())
    assert services.approve(application=Application.objects.get(pk=application.pk)) is not None
    assert Payment.objects.count() == 1


def test_an_export_with_one_invalid_record_marks_nothing_and_writes_no_file(program, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "PARALLEL_EXPORT_FROM", 1)  # on PostgreSQL: the file built in a thread
    households = [make_household() for _ in range(3)]
    services.compute_eligibility(program=program)
    apps = [services.apply(program=program, household=h, channel=Channel.PAPER) for h in households]
    assert services.approve_received(program=program).approved == 3
    # the bank of one account disappeared from zengin-code after approval (a merger)
    Application.objects.filter(pk=apps[1].pk).update(bank_code="9999")

    target = tmp_path / "zengin.txt"
    with pytest.raises(zengin.ZenginValidationError) as caught:
        services.export_payments(program=program, path=target)
    assert [p.reference for p in caught.value.problems] == [apps[1].number]
    assert not list(tmp_path.iterdir())
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.APPROVED}
    assert not Payment.objects.filter(export__isnull=False).exists()
    assert not PaymentExport.objects.exists()

    Application.objects.filter(pk=apps[1].pk).update(bank_code="0005")
    result = services.export_payments(program=program, path=target)
    assert (result.count, result.export.count, result.export.total) == (3, 3, result.total)
    assert [r["customer_code1"] for r in zengin.read_transfer_file(target.read_bytes()).records] == [
        f"{p:010d}" for p in Payment.objects.order_by("pk").values_list("pk", flat=True)
    ]
    assert Payment.objects.filter(export=result.export, status=PaymentStatus.EXPORTED).count() == 3

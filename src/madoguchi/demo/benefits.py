"""The demo town's benefit program: みどり市物価高騰対策給付金 (midori-bukka-2026), as the demo FAQ describes it.

基準日 令和7年6月1日; households whose members are all 住民税均等割 非課税 in 令和7年度 (2025); 30,000 yen per
household plus 20,000 yen per child aged 18 or under on the base date. The demo makes up the tax records and
some 公金受取口座, computes eligibility, files applications from every channel (one conflict, one with a bank
that does not exist), approves them, sends a first batch through the bank (one return), and leaves a second
batch approved, so that `madoguchi benefits export-payments midori-bukka-2026 -o FILE` writes a file. A few
households decline (辞退) instead, one on each channel (online, counter, a returned letter); a fourth declined
online and had its decline withdrawn by staff, so it can apply again.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from madoguchi.benefits import services, zengin
from madoguchi.benefits.models import Application, Channel, Eligibility, Program, PublicAccount, TaxRecord
from madoguchi.residents.models import Household, Person

SLUG = "midori-bukka-2026"
BASE_DATE = dt.date(2025, 6, 1)  # 令和7年6月1日
FISCAL_YEAR = 2025  # 令和7年度
# (bank, branch) pairs that exist in zengin-code; the demo's accounts use them in turn.
DEMO_BRANCHES = (("0001", "001"), ("0005", "001"), ("0009", "001"), ("9900", "018"), ("1000", "001"))


@dataclass
class DemoBenefitReport:
    created: bool
    eligible: int = 0
    applications: int = 0
    approved: int = 0
    paid: int = 0
    returned: int = 0
    to_export: int = 0
    declined: int = 0

    def __str__(self) -> str:
        if not self.created:
            return f"給付金「{SLUG}」は作成済みです。"
        return (
            f"給付金「{SLUG}」: 対象 {self.eligible:,} 世帯、申請 {self.applications:,} 件、支給決定 {self.approved:,} 件"
            f"（振込済 {self.paid:,}・振込不能 {self.returned:,}・振込データ未作成 {self.to_export:,}）、"
            f"辞退 {self.declined:,} 世帯"
        )


def _non_taxed(household_id: int) -> bool:
    return household_id % 3 == 0  # a third of the households: every member 非課税


def create_demo_benefit() -> DemoBenefitReport:
    if Program.objects.filter(slug=SLUG).exists():
        return DemoBenefitReport(created=False)
    with transaction.atomic():
        program = Program.objects.create(
            slug=SLUG,
            title_ja="みどり市物価高騰対策給付金",
            title_en="Midori City price-rise relief benefit",
            base_date=BASE_DATE,
            tax_fiscal_year=FISCAL_YEAR,
            amount_per_household=30_000,
            amount_per_person=20_000,
            born_on_or_after=dt.date(2006, 6, 2),  # 18 or under on 2025-06-01
            channels=list(Channel.values),
            # 返送期限: three months after the letters go out (the demo FAQ says so), counted from the day the demo
            # is made, so that the demo's residents can still confirm or decline online.
            deadline=timezone.localdate() + dt.timedelta(days=92),
            remitter_code="1234567890",
            remitter_name="ミドリシ",
            remitter_bank_code="0001",
            remitter_branch_code="001",
            remitter_account_type="1",
            remitter_account_number="1234567",
        )
        persons = list(Person.objects.values_list("id", "household_id", "relationship", "name_kana"))
        TaxRecord.objects.bulk_create(
            [
                TaxRecord(
                    person_id=pid,
                    fiscal_year=FISCAL_YEAR,
                    non_taxed=_non_taxed(hid),
                    income=0 if _non_taxed(hid) else 3_000_000 + pid % 1000 * 1000,
                )
                for pid, hid, _rel, _kana in persons
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        accounts = []
        for pid, hid, relationship, kana in persons:
            holder = zengin.fold_to_zengin(kana)
            if relationship != "世帯主" or hid % 5 == 0 or not holder or zengin.invalid_characters(holder):
                continue
            bank, branch = DEMO_BRANCHES[pid % len(DEMO_BRANCHES)]
            accounts.append(
                PublicAccount(
                    person_id=pid,
                    bank_code=bank,
                    branch_code=branch,
                    account_type="1",
                    account_number=f"{1000000 + pid % 8999999:07d}",
                    holder_kana=zengin.cut_to(holder, 30),
                )
            )
        PublicAccount.objects.bulk_create(accounts, batch_size=5000, ignore_conflicts=True)
        eligibility = services.compute_eligibility(program=program)
    report = DemoBenefitReport(created=True, eligible=eligibility.eligible)
    _demo_applications(program, report)
    _demo_declines(program, report)
    return report


def _demo_applications(program: Program, report: DemoBenefitReport) -> None:
    eligible = list(
        Eligibility.objects.filter(program=program, active=True)
        .select_related("confirmation", "household")
        .order_by("household__number")
    )
    channels = (Channel.ONLINE, Channel.ONLINE, Channel.PAPER, Channel.COUNTER)
    applying = eligible[: max(1, len(eligible) * 7 // 10)]  # 70 % have applied
    for n, item in enumerate(applying):
        channel = channels[n % len(channels)]
        household: Household = item.household
        confirmation = item.confirmation
        if confirmation.has_account and n % 6:
            account = None  # confirms the pre-filled account
        else:
            head = Person.objects.filter(household=household).order_by("atena_number").first()
            bank, branch = DEMO_BRANCHES[n % len(DEMO_BRANCHES)]
            holder = zengin.fold_to_zengin(head.name_kana if head else "") or "ﾐﾄﾞﾘ"
            if zengin.invalid_characters(holder):
                holder = "ﾐﾄﾞﾘ ﾀﾛｳ"
            account = services.AccountInput(
                bank, branch, "1", f"{2000000 + n:07d}", zengin.cut_to(holder, 30)
            )
        if n == 3:  # a bank code that does not exist: back to the resident
            account = services.AccountInput("0999", "999", "1", "1234567", "ﾐﾄﾞﾘ ﾊﾅｺ")
        services.apply(program=program, household=household, channel=channel, account=account)
        report.applications += 1
    if len(applying) > 2:  # the same household on paper too: a conflict for staff
        # The paper form carries its account written in: the household may have no 公金受取口座 to confirm
        # (which households have one depends on their ids, and ids differ between databases and runs).
        bank, branch = DEMO_BRANCHES[0]
        services.apply(
            program=program,
            household=applying[1].household,
            channel=Channel.PAPER,
            account=services.AccountInput(bank, branch, "1", "7654321", "ﾐﾄﾞﾘ ﾊﾅｺ"),
        )
        report.applications += 1
    received = list(Application.objects.filter(program=program, status="received").order_by("pk"))
    first = received[: len(received) // 2]
    for application in first:
        services.approve(application=application)
    if program.payments.filter(status="approved").exists():
        _first_batch_through_the_bank(program)
    exported = program.payments.exclude(status="approved")
    report.returned = exported.filter(status="returned").count()
    report.paid = exported.filter(status="paid").count()
    for application in received[len(received) // 2 :]:
        services.approve(application=application)
    report.to_export = program.payments.filter(status="approved").count()
    report.approved = report.paid + report.returned + report.to_export


def _first_batch_through_the_bank(program: Program) -> None:
    """The first batch exported and returned by the bank: the first payment 該当口座なし, the rest paid."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "first-batch.txt"
        exported = services.export_payments(program=program, path=path, transfer_date=dt.date(2026, 7, 10))
        payments = sorted(exported.export.payments.values_list("pk", flat=True))
        returned = {payments[0]: "1"} if payments else {}
        services.import_returns(program=program, data=zengin.mark_results(path.read_bytes(), returned))


# Who declines: households that have not applied, one per channel, and one whose decline staff withdrew.
DECLINE_CHANNELS = (Channel.ONLINE, Channel.COUNTER, Channel.PAPER, Channel.ONLINE)


def _demo_declines(program: Program, report: DemoBenefitReport) -> None:
    """A few declines (辞退) across channels, among the households that did not apply (the last ones, so that
    the households that applied stay the same as before). The last one is withdrawn by a decider of 福祉, when
    the demo has one (the household can apply again)."""
    from madoguchi.accounts.models import Role, User

    applied = set(Application.objects.filter(program=program).values_list("household_id", flat=True))
    quiet = [
        e.household
        for e in Eligibility.objects.filter(program=program, active=True)
        .select_related("household")
        .order_by("-household__number")
        if e.household_id not in applied
    ][: len(DECLINE_CHANNELS)]
    if len(quiet) < len(DECLINE_CHANNELS):
        return
    decider = (
        User.objects.filter(
            is_active=True,
            department__code="fukushi",
            role__in=[Role.APPROVER, Role.DEPARTMENT_ADMIN],
        )
        .order_by("pk")
        .first()
    )
    declines = []
    for household, channel in zip(quiet, DECLINE_CHANNELS, strict=True):
        if channel == Channel.PAPER:  # a returned 確認書 with only the 辞退 box ticked
            declines.append(
                services.decline_by_letter(
                    program=program, household=household, staff=None, applies=False, account=None
                )
            )
        else:
            declines.append(services.decline(program=program, household=household, channel=channel))
    withdrawn = declines[-1]
    if decider is not None:
        services.withdraw_decline(
            application=withdrawn, staff=decider, note="本人から電話で辞退撤回の申出（デモ）"
        )
    report.declined = sum(1 for d in declines if d.pk != withdrawn.pk or decider is None)

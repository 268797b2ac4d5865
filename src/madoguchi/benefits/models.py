"""Benefit programs (給付金): who is eligible, the push-type 確認書, applications from every channel, payments.

The one rule the database itself keeps: a household is paid at most once per program. `Payment` has a partial
unique index on (program, household) over the payments that are still live (not returned by the bank and not
cancelled), so two approvals racing from the online, counter and paper channels cannot both commit, whatever
the application code does. A payment the bank returned (振込不能) or staff cancelled leaves the index, so the
household can be paid again once it has given a correct account — still at most one live payment at a time.

A household that declines (辞退) takes the same single slot: its decline is an `Application` of kind `decline`
and, once in effect, a row of status `declined` (amount 0, never exported) under the same index. So a decline
and an approval cannot both hold, whatever the order; withdrawing the decline (staff) cancels that row and the
household can apply again. See docs/benefits.md.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Program(models.Model):  # 給付金事業
    slug = models.SlugField(max_length=60, unique=True)
    title_ja = models.CharField(max_length=120)
    title_en = models.CharField(max_length=200, blank=True)
    base_date = models.DateField()  # 基準日: households with a member registered on this day
    tax_fiscal_year = models.PositiveIntegerField(null=True, blank=True)  # set: every member 非課税 that year
    amount_per_household = models.PositiveIntegerField(default=0)  # 1世帯あたり
    amount_per_person = models.PositiveIntegerField(
        default=0
    )  # per member (or per child when born_on_or_after)
    born_on_or_after = models.DateField(null=True, blank=True)  # 加算: only members born on or after this day
    channels = models.JSONField(default=list)  # subset of Channel values the program accepts
    deadline = models.DateField(null=True, blank=True)  # 申請期限
    # The city's account the bank debits (全銀 header): 委託者コード, name (kana), bank, branch, type, number.
    remitter_code = models.CharField(max_length=10)
    remitter_name = models.CharField(max_length=40)
    remitter_bank_code = models.CharField(max_length=4)
    remitter_branch_code = models.CharField(max_length=3)
    remitter_account_type = models.CharField(max_length=1, default="1")
    remitter_account_number = models.CharField(max_length=7)
    eligibility_computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


class TaxRecord(models.Model):  # 課税情報 (imported 課税 and 課税異動 files)
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    fiscal_year = models.PositiveIntegerField()
    non_taxed = models.BooleanField()  # 住民税均等割 非課税
    income = models.BigIntegerField(null=True, blank=True)  # 合計所得金額
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "fiscal_year"], name="benefits_tax_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.fiscal_year}"


class AccountFields(models.Model):
    """A bank account as 全銀 needs it (codes checked with zengin-code by the services)."""

    bank_code = models.CharField(max_length=4, blank=True)
    branch_code = models.CharField(max_length=3, blank=True)
    account_type = models.CharField(max_length=1, blank=True)  # 1 普通 2 当座 4 貯蓄 9 その他
    account_number = models.CharField(max_length=7, blank=True)
    holder_kana = models.CharField(max_length=30, blank=True)  # half-width, 全銀 set

    class Meta:
        abstract = True

    @property
    def has_account(self) -> bool:
        return bool(self.bank_code and self.account_number)

    @property
    def masked_account_number(self) -> str:
        return "*" * max(0, len(self.account_number) - 3) + self.account_number[-3:]


class PublicAccount(AccountFields):  # 公金受取口座 (imported)
    person = models.OneToOneField("residents.Person", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.person_id} {self.bank_code}-{self.branch_code}"


class Eligibility(models.Model):  # 支給対象世帯 (as of the base date)
    # Indexed by the unique (program, household) below: a second index would only slow the bulk insert.
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="eligibilities", db_index=False
    )
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="+")
    members = models.PositiveIntegerField()
    counted = models.PositiveIntegerField(default=0)  # members the per-person amount counts
    amount = models.PositiveIntegerField()
    active = models.BooleanField(default=True)  # False: no longer eligible after a recomputation
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "household"], name="benefits_eligibility_once")
        ]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.household_id}"


def new_reference() -> str:
    """A confirmation's reference: 128 random bits as 32 hex digits (what the letter's QR code carries)."""
    return secrets.token_hex(16)


class Confirmation(AccountFields):  # 確認書 (push-type), pre-filled with the 公金受取口座 when there is one
    number = models.CharField(max_length=20, unique=True)  # 確認書番号, printed on the letter
    # The only thing the printed letter's QR code carries: random, so it tells nothing about the household and
    # cannot be guessed from another letter's (the eligibility SQL draws it from the database's random source).
    reference = models.CharField(max_length=32, unique=True, default=new_reference)
    eligibility = models.OneToOneField(Eligibility, on_delete=models.PROTECT, related_name="confirmation")
    created_at = models.DateTimeField(default=timezone.now)
    printed_at = models.DateTimeField(null=True, blank=True)  # in a letter batch

    def __str__(self) -> str:
        return self.number


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    PAPER = "paper", _("郵送（紙）")


class ApplicationKind(models.TextChoices):
    APPLICATION = "application", pgettext_lazy("benefits filing kind", "申請")
    DECLINE = (
        "decline",
        pgettext_lazy("benefits filing kind", "辞退"),
    )  # 辞退の届出: the household takes no benefit


class ApplicationStatus(models.TextChoices):
    RECEIVED = "received", _("受付")
    CONFLICT = "conflict", _("重複（職員確認待ち）")
    RETURNED_TO_RESIDENT = "returned_to_resident", _("差し戻し（口座の確認依頼）")
    APPROVED = "approved", _("支給決定")
    REJECTED = "rejected", _("不支給・取下げ")
    # A decline (kind decline) is in CONFLICT while staff decide, then DECLINED (in effect: it holds the
    # household's slot), or DECLINE_WITHDRAWN (withdrawn by staff, or not taken in a conflict).
    DECLINED = "declined", pgettext_lazy("benefits decline", "辞退")
    DECLINE_WITHDRAWN = "decline_withdrawn", pgettext_lazy("benefits decline", "辞退の撤回")


class Application(AccountFields):  # 申請 (online = the resident confirming; counter; paper) or 辞退 (kind)
    number = models.CharField(max_length=20, unique=True)  # 受付番号
    kind = models.CharField(
        max_length=12, choices=ApplicationKind.choices, default=ApplicationKind.APPLICATION
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications")
    eligibility = models.ForeignKey(Eligibility, on_delete=models.PROTECT, related_name="applications")
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=24, choices=ApplicationStatus.choices, default=ApplicationStatus.RECEIVED
    )
    account_corrected = models.BooleanField(default=False)  # False: the pre-filled account was confirmed
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=400, blank=True)  # why returned / rejected
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["program", "household"], name="benefits_app_household"),
            models.Index(fields=["program", "status"], name="benefits_app_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_decline(self) -> bool:
        return self.kind == ApplicationKind.DECLINE


class PaymentStatus(models.TextChoices):
    APPROVED = "approved", _("振込待ち")
    EXPORTED = "exported", _("振込データ作成済")
    PAID = "paid", _("振込済")
    RETURNED = "returned", _("振込不能（返却）")
    CANCELLED = "cancelled", _("取消")
    # Not a payment: the household declined. Amount 0, never in a transfer file; live, so it holds the slot.
    DECLINED = "declined", pgettext_lazy("benefits decline", "辞退（支払なし）")


LIVE_PAYMENT = ~Q(status__in=[PaymentStatus.RETURNED, PaymentStatus.CANCELLED])


class Payment(models.Model):  # 支払, or (status declined) the household's decline holding its one slot
    # Both indexed by the constraint's and the (program, status) indexes: fewer indexes, faster bulk updates.
    # `approved_by` and `export` have no index either: nothing looks payments up by them, and every index is
    # written again when the export marks 200,000 payments (a user or an export is never deleted in practice;
    # PROTECT then scans the table once).
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="payments", db_index=False)
    household = models.ForeignKey(
        "residents.Household", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.APPROVED)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    approved_at = models.DateTimeField(default=timezone.now)
    export = models.ForeignKey(
        "PaymentExport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        db_index=False,
    )
    result_code = models.CharField(max_length=1, blank=True)  # 振込結果コード from the return list
    settled_at = models.DateTimeField(null=True, blank=True)  # paid or returned

    class Meta:
        constraints = [
            # 1世帯1回: at most one live payment per household and program, enforced by the database. A decline
            # in effect (status declined) is live too: a household is paid or has declined, never both.
            models.UniqueConstraint(
                fields=["program", "household"],
                condition=LIVE_PAYMENT,
                name="benefits_payment_once_per_household",
            )
        ]
        indexes = [models.Index(fields=["program", "status"], name="benefits_payment_status")]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.household_id} {self.status}"


class PaymentExport(models.Model):  # 振込データ (one 全銀 file)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="exports")
    transfer_date = models.DateField()
    count = models.PositiveIntegerField()
    total = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.program_id} {self.created_at:%Y-%m-%d} ({self.count})"

"""Registry read-model (住民記録), synced from the core system through registry files (docs/registry.md).

Madoguchi never writes these tables except through ``residents.importer``: the core 住民記録 system is
the master. ``Person`` is the state now, ``ResidentChange`` every 異動 that led to it (append-only), and
``PersonPeriod`` the validity intervals of household and address that answer "as of" questions fast.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import AppendOnlyModel


class Household(models.Model):  # 世帯
    number = models.CharField(max_length=20, unique=True)  # 世帯番号

    def __str__(self) -> str:
        return self.number


class Sex(models.TextChoices):
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Person(models.Model):  # 住民 (and 消除者, 住登外者: everyone the core system has a 宛名番号 for)
    atena_number = models.CharField(max_length=20, unique=True)  # 宛名番号 (key in the core system)
    # Indexed by (household, is_active) below.
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members", db_index=False)
    name = models.CharField(max_length=100)  # 氏名
    name_kana = models.CharField(max_length=200, blank=True)  # 氏名フリガナ (katakana)
    name_kana_confirmed = models.BooleanField(default=False)  # 氏名フリガナ確認フラグ
    former_surname = models.CharField(max_length=50, blank=True)  # 旧氏
    former_surname_kana = models.CharField(max_length=100, blank=True)  # 旧氏フリガナ
    birth_date = models.DateField()  # 生年月日; for a 不詳 date the earliest day it can be (sortable)
    birth_date_text = models.CharField(max_length=40, blank=True)  # 不詳表記 (令和○年頃), "" when exact
    sex = models.CharField(max_length=1, choices=Sex.choices)
    relationship = models.CharField(max_length=40)  # 続柄 to the head of household
    postal_code = models.CharField(max_length=7, blank=True)
    prefecture = models.CharField(max_length=10)
    city = models.CharField(max_length=40)
    town = models.CharField(max_length=80, blank=True)  # 町字
    banchi = models.CharField(max_length=80, blank=True)  # 番地
    building = models.CharField(max_length=120, blank=True)  # 方書
    address_code = models.CharField(max_length=13, blank=True)  # 住所コード: 地方公共団体コード + 町字コード
    resident_since = models.DateField(null=True, blank=True)  # 住民となった日 (none for 住登外者)
    address_since = models.DateField(null=True, blank=True)  # 住所を定めた日
    status = models.CharField(max_length=2, default="1")  # 住民状態 (codes/resident_statuses.yaml)
    resident_type = models.CharField(max_length=2, default="1")  # 住民種別 (codes/resident_types.yaml)
    name_alphabet = models.CharField(max_length=100, blank=True)  # 氏名アルファベット (foreign residents)
    common_name = models.CharField(max_length=100, blank=True)  # 通称
    nationality = models.CharField(max_length=40, blank=True)  # 国籍・地域
    residence_status = models.CharField(max_length=40, blank=True)  # 在留資格
    residence_expiry = models.DateField(null=True, blank=True)  # 在留期間の満了の日
    is_active = models.BooleanField(default=True)  # 住民状態 is 住民 (住登内): kept by the importer
    support_measure = models.BooleanField(default=False)  # 支援措置 (DV protection): never show the address
    last_change_reason = models.CharField(max_length=2, blank=True)  # 最終異動事由
    last_changed_on = models.DateField(null=True, blank=True)  # 最終異動日
    last_notified_on = models.DateField(null=True, blank=True)  # 最終届出日
    # Where the read-model's record of the person begins: the day (住民となった日, or the 異動日 of the 転入 or
    # 出生 that brought them), and the file and row. History before it is the core system's, not ours.
    known_from = models.DateField(null=True, blank=True)
    registry_import = models.ForeignKey(
        "RegistryImport",
        on_delete=models.PROTECT,
        related_name="first_persons",
        null=True,
        blank=True,
        db_constraint=False,  # a reference to the log, as ResidentChange.registry_import
    )
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name_kana", "birth_date"]),
            models.Index(fields=["household", "is_active"], name="residents_person_hh_active"),
            # The few persons under 支援措置, read on every staff view of a person (selectors.protected_addresses).
            models.Index(
                fields=["household"],
                condition=models.Q(support_measure=True),
                name="residents_person_protected",
            ),
        ]
        # Checked by residents.access (PROTECTED_ADDRESS_PERMISSION) before a 支援措置 address is shown.
        permissions = [
            ("view_protected_address", "支援措置対象者の住所を表示できる（理由の記入が必要・監査対象）")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.atena_number})"

    @property
    def address(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}{self.banchi}{(' ' + self.building) if self.building else ''}"


class RegistryImport(models.Model):
    """One registry file applied (or refused): where it came from and what it changed."""

    class Kind(models.TextChoices):
        FULL = "full", _("全件")
        DIFFERENCE = "difference", _("差分")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("適用")
        REJECTED = "rejected", _("不適用（問題あり）")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    source_name = models.CharField(max_length=255)  # file name, or demo:… for the demo town
    sha256 = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    size = models.BigIntegerField(default=0)  # bytes
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)  # persons new to the read-model
    updated = models.PositiveIntegerField(default=0)  # persons whose record changed
    unchanged = models.PositiveIntegerField(default=0)  # rows that changed nothing
    changes = models.PositiveIntegerField(default=0)  # ResidentChange rows written
    problems = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reference_date = models.DateField()  # 基準日: the 異動日 of full-file changes without one
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sha256"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_name} ({self.outcome})"


class ResidentChange(AppendOnlyModel):  # 異動
    """One change of a person's record: the items that changed, before and after (JSON).

    A 転入 or 出生 in a difference file brings a person into the read-model (``is_first``) and has no
    snapshots: the state after it is the person row with every later change undone
    (``selectors.person_as_of``). A person first seen in a full file has no such change: a full file
    states who is registered, not the 異動 before (``Person.known_from`` and the last 異動 it names).
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="changes", db_index=False)
    reason = models.CharField(max_length=2)  # 異動事由 code (codes/change_reasons.yaml)
    moved_on = models.DateField()  # 異動日: the new state holds from this day on
    notified_on = models.DateField(null=True, blank=True)  # 届出日
    before = models.JSONField(default=dict)  # changed items → value before (STATE_FIELDS names)
    after = models.JSONField(default=dict)  # changed items → value after
    is_first = models.BooleanField(default=False)
    registry_import = models.ForeignKey(
        RegistryImport, on_delete=models.PROTECT, related_name="resident_changes"
    )
    source_row = models.PositiveIntegerField()  # row of the file (the header is row 1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person", "moved_on"], name="residents_change_person_day")]

    def __str__(self) -> str:
        return f"{self.reason} {self.moved_on} ({self.person_id})"


class PersonPeriod(models.Model):
    """While a person was a resident in one household, with one 続柄, at one address: [valid_from, valid_to).

    Derived from the changes by the importer (which alone closes a period by setting valid_to). A period
    with ``valid_to`` None is open: it holds today. Being derived, its references are not checked by the
    database (the importer writes them with the persons they refer to); the composite indexes serve them.
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="periods", db_index=False, db_constraint=False
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="periods", db_index=False, db_constraint=False
    )
    relationship = models.CharField(max_length=40)
    address_code = models.CharField(max_length=13, blank=True)
    address_key = models.CharField(max_length=400)  # layout.address_key: one dwelling
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # exclusive; None: still valid

    class Meta:
        indexes = [
            models.Index(fields=["household", "valid_from"], name="residents_period_household"),
            models.Index(fields=["address_key", "valid_from"], name="residents_period_address"),
            models.Index(fields=["person", "valid_from"], name="residents_period_person"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="residents_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} {self.valid_from}–{self.valid_to or ''}"

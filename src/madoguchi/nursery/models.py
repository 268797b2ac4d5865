"""Allocation rounds (利用調整) as the office keeps them: the engine's input and result, overrides, links to cases.

The engine (`nursery.engine`) stays pure; these tables only store its JSON documents. A round's `input` is
the `madoguchi-nursery/1` document, its `result` the `madoguchi-nursery-result/1` document currently in
force (the engine's, or the engine's with staff overrides applied and re-verified).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from madoguchi.core.models import AppendOnlyModel


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    ALLOCATED = "allocated", "割り当て済み"
    PUBLISHED = "published", "公開済み"


class RoundSource(models.TextChoices):
    SHEET = "sheet", "CSV・Excel"
    CASES = "cases", "申請（保育施設等の利用申込）"


class Round(models.Model):
    round_id = models.CharField(max_length=40, unique=True)  # e.g. "2027-04"
    reference_date = models.DateField()
    status = models.CharField(max_length=20, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    source = models.CharField(max_length=20, choices=RoundSource.choices, default=RoundSource.SHEET)
    input = models.JSONField()  # madoguchi-nursery/1
    result = models.JSONField(null=True, blank=True)  # madoguchi-nursery-result/1 in force
    engine_result = models.JSONField(null=True, blank=True)  # what the engine produced, before overrides
    objective = models.CharField(max_length=20, blank=True)
    notes = models.JSONField(default=list, blank=True)  # [{ja, en}]: cases left out of the import, and why
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nursery_rounds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nursery_rounds_published",
    )

    class Meta:
        ordering = ["-reference_date", "-id"]

    def __str__(self) -> str:
        return self.round_id


class RoundCase(models.Model):
    """A household of a round that was imported from a 保育施設等の利用申込 case."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="case_links")
    household_id = models.CharField(max_length=60)
    child_id = models.CharField(max_length=60)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="nursery_links")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "household_id"], name="nursery_roundcase_household"),
            models.UniqueConstraint(fields=["round", "case"], name="nursery_roundcase_case"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.household_id}"


class Override(AppendOnlyModel):
    """A staff decision that replaces the engine's result for one child (append-only; the latest counts)."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="overrides")
    child_id = models.CharField(max_length=60)
    facility_id = models.CharField(max_length=60, null=True, blank=True)  # None: not placed
    reason = models.TextField()
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    blocking_pairs = models.JSONField(default=list)  # the blocking pairs of the result after this override
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.child_id}→{self.facility_id or '-'}"

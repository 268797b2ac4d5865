"""書かない窓口: pre-fill bundles filled in on a phone, and visits at the counter.

Personal data is stored encrypted (core.crypto, AES-256-GCM, bound to the row by its random `key`); the
reference in a bundle's QR code and its short code are stored only as keyed hashes (HMAC-SHA256), so a copy
of the database neither shows what a resident typed nor gives a usable code.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.cases.models import Case
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.residents.models import Person


def new_row_key() -> str:
    return secrets.token_hex(16)


class Bundle(models.Model):
    """The answers of several forms a resident filled in on a phone, until a clerk reads its code.

    While it is filled in, the resident's session holds a random draft token (`draft_key_hash`); once issued
    it has a QR reference and a short code (`reference_hash`, `short_code_hash`). The row is deleted when a
    clerk reads it (used once) or when it expires (`counter.services.purge_expired`).
    """

    key = models.CharField(max_length=32, unique=True, default=new_row_key, editable=False)
    draft_key_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reference_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    short_code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    guide_id = models.CharField(max_length=80, blank=True)
    payload = models.TextField()  # encrypted JSON: guide answers, the forms and what was typed
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(issued_at__isnull=True)
                | (models.Q(reference_hash__isnull=False) & models.Q(short_code_hash__isnull=False)),
                name="counter_bundle_issued_has_codes",
            )
        ]

    def __str__(self) -> str:
        return f"bundle {self.pk} ({'issued' if self.issued_at else 'draft'})"


class IdentityDocument(models.TextChoices):
    MY_NUMBER_CARD = "my_number_card", _("マイナンバーカード")
    DRIVERS_LICENSE = "drivers_license", _("運転免許証")
    PASSPORT = "passport", _("パスポート")
    OTHER = "other", _("その他")


class Visit(models.Model):
    """One resident at the counter: the person, the identity check, the forms and the cases they became."""

    key = models.CharField(max_length=32, unique=True, default=new_row_key, editable=False)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counter_visits"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="counter_visits"
    )
    from_bundle = models.BooleanField(default=False)
    bundle_issued_at = models.DateTimeField(null=True, blank=True)
    guide_id = models.CharField(max_length=80, blank=True)
    guide_context = models.TextField(blank=True)  # encrypted JSON: the guide's answers and event date
    identity_document = models.CharField(max_length=20, choices=IdentityDocument.choices, blank=True)
    identity_note = models.CharField(max_length=200, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField()  # the QR code read, or the clerk started without one
    confirmed_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrived_at", "-id"]
        indexes = [models.Index(fields=["clerk", "-arrived_at"], name="counter_visit_clerk_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(identity_document="") & models.Q(identity_checked_at__isnull=True))
                | (~models.Q(identity_document="") & models.Q(identity_checked_at__isnull=False)),
                name="counter_visit_identity_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(confirmed_at__isnull=False),
                name="counter_visit_done_after_confirm",
            ),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk}"

    @property
    def cases(self):
        return Case.objects.filter(counter_form__visit=self).order_by("counter_form__order")


class VisitForm(models.Model):
    """One procedure of a visit: its answers (encrypted) until confirmed, then the case it became."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="forms")
    order = models.PositiveSmallIntegerField()
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="+")
    # The version the bundle was filled in with, when it was retired since (the clerk sees what changed).
    from_version = models.ForeignKey(
        ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    values = models.TextField(blank=True)  # encrypted JSON of raw values; emptied once the case exists
    follow_on = models.BooleanField(default=False)  # added at the counter from the guide's suggestions
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="counter_form"
    )

    class Meta:
        ordering = ["visit", "order"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "procedure"], name="counter_visit_form_unique"),
        ]

    def __str__(self) -> str:
        return f"visit {self.visit_id}: {self.procedure_id}"

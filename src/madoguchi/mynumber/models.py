"""The My Number vault (個人番号, 特定個人情報): one encrypted row per person, nothing else.

Kept apart from the registry read-model so that it can move to the マイナンバー利用事務系 segment on its own
(docs/adr/0001-my-number-vault.md). No plaintext digits are stored, not even the last four.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from madoguchi.residents.models import Person


class PersonalNumber(models.Model):  # 個人番号
    """A person's My Number, AES-256-GCM encrypted by core.crypto (bound to this person's id)."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="+")
    ciphertext = models.TextField()  # core.crypto token: "keyid:base64(nonce ‖ ciphertext ‖ tag)"
    key_id = models.CharField(max_length=32)  # the key of `ciphertext`, so rotation finds old rows fast
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()  # last store or key rotation

    class Meta:
        # No add/change/delete/view permissions: every access goes through services, and the only
        # grantable right is to reveal a number (with a stated purpose, always audited).
        default_permissions = ()
        permissions = [("reveal_personalnumber", "個人番号を表示できる（目的の記入が必要・監査対象）")]
        indexes = [models.Index(fields=["key_id", "id"], name="mynumber_key_idx")]

    def __str__(self) -> str:
        return f"個人番号 (person {self.person_id}, key {self.key_id})"

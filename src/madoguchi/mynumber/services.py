"""Every write and every reveal of a My Number (個人番号). All of them leave an audit row.

- `store_my_number`: check digit validated, encrypted, stored in the vault (replaces an earlier number).
- `reveal_my_number`: only for staff with the permission `mynumber.reveal_personalnumber` who state a
  purpose; refusals are audited as well.
- `rotate_keys`: re-encrypt every row with the newest key of MADOGUCHI_FIELD_KEYS, in batches.

Nothing here logs, returns in an error, or puts in an audit row the number itself.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from madoguchi.core import audit, crypto
from madoguchi.core.errors import MadoguchiError
from madoguchi.jp.checkdigit import is_valid_my_number
from madoguchi.mynumber.models import PersonalNumber

logger = logging.getLogger(__name__)

REVEAL_PERMISSION = "mynumber.reveal_personalnumber"
OBJECT_TYPE = "personal_number"
FIELDS = ("my_number",)
PURPOSE_MAX_LENGTH = 200
NO_PURPOSE = "(目的の記入なし)"


class MyNumberError(MadoguchiError):
    """Something a person can fix or must be told: a stable `code`, and what to do in Japanese and English."""

    str_format = "{code}"


class MyNumberNotPermitted(MyNumberError):
    """The reveal was refused (no permission, no purpose, not staff, or the vault is switched off)."""


def is_enabled() -> bool:
    """The global switch MADOGUCHI_MY_NUMBER_ENABLED (off by default)."""
    return bool(getattr(settings, "MY_NUMBER_ENABLED", False))


def associated_data(person_id: int) -> bytes:
    """Binds a ciphertext to its person: moved to another row, it no longer decrypts."""
    return f"mynumber.personalnumber:person={person_id}".encode()


def normalise_my_number(number: str) -> str:
    """The 12 ASCII digits of `number` (full-width digits, hyphens and spaces allowed), check digit valid."""
    text = unicodedata.normalize("NFKC", number if isinstance(number, str) else "")
    digits = "".join(ch for ch in text if ch not in "-‐−– \t")
    if not (len(digits) == 12 and digits.isascii() and digits.isdigit()):
        raise MyNumberError(
            "my_number_format",
            "個人番号は12桁の数字で入力してください（ハイフンや空白は入れても入れなくても構いません）。",
            "Please enter the My Number as 12 digits (hyphens and spaces are optional).",
        )
    if not is_valid_my_number(digits):
        raise MyNumberError(
            "my_number_check_digit",
            "個人番号の最後の数字（検査用数字）が一致しません。番号を確認して入力し直してください。",
            "The last digit (check digit) of this My Number does not match. Please check it and enter it again.",
        )
    return digits


def _stated(purpose: str) -> str:
    return " ".join((purpose or "").split())[:PURPOSE_MAX_LENGTH]


def _disabled() -> MyNumberNotPermitted:
    return MyNumberNotPermitted(
        "my_number_disabled",
        "この自治体では個人番号の取り扱いが有効になっていません。必要な場合は情報政策課に相談してください。",
        "My Number handling is switched off in this municipality. Please ask the IT department if you need it.",
    )


def store_my_number(
    *,
    person,
    number: str,
    actor,
    purpose: str,
    channel: str = "screen",
    client_ip: str | None = None,
) -> PersonalNumber:
    """Validate, encrypt and store `person`'s My Number (replacing an earlier one), with an audit row."""
    if not is_enabled():
        raise _disabled()
    stated = _stated(purpose)
    if not stated:
        raise MyNumberError(
            "purpose_required",
            "個人番号を登録する目的（手続き名など）を記入してください。",
            "Please state why the My Number is being stored (for example, the procedure).",
        )
    digits = normalise_my_number(number)
    ciphertext = crypto.encrypt(digits, associated_data=associated_data(person.pk))
    key_id = crypto.key_id_of(ciphertext)
    now = timezone.now()
    with transaction.atomic():
        row = PersonalNumber.objects.select_for_update().filter(person_id=person.pk).first()
        if row is None:
            row = PersonalNumber.objects.create(
                person_id=person.pk,
                ciphertext=ciphertext,
                key_id=key_id,
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
                updated_at=now,
            )
        else:
            row.ciphertext, row.key_id, row.updated_at = ciphertext, key_id, now
            row.save(update_fields=["ciphertext", "key_id", "updated_at"])
        audit.record_access(
            actor=actor,
            action="store",
            object_type=OBJECT_TYPE,
            object_id=person.pk,
            person_id=person.pk,
            fields=FIELDS,
            purpose=stated,
            channel=channel,
            client_ip=client_ip,
        )
    return row


def _refuse(*, person, actor, stated: str, channel: str, client_ip: str | None) -> None:
    audit.record_access(
        actor=actor,
        action="refused",
        object_type=OBJECT_TYPE,
        object_id=person.pk,
        person_id=person.pk,
        fields=FIELDS,
        purpose=stated or NO_PURPOSE,
        channel=channel,
        client_ip=client_ip,
    )


def may_reveal(actor) -> bool:
    """Whether `actor` holds the reveal permission (active staff only). A purpose is still needed."""
    return bool(
        getattr(actor, "is_active", False)
        and getattr(actor, "is_office_staff", False)
        and actor.has_perm(REVEAL_PERMISSION)
    )


def reveal_my_number(
    *,
    person,
    actor,
    purpose: str,
    client_ip: str | None = None,
    channel: str = "screen",
) -> str:
    """The 12 digits of `person`'s My Number, for staff with the permission and a stated purpose.

    Every call writes an audit row: "refused" when the switch is off, the actor lacks the permission or
    states no purpose; otherwise "reveal" (with the field only when the number was actually returned).
    """
    stated = _stated(purpose)
    refusal: MyNumberNotPermitted | None = None
    if not is_enabled():
        refusal = _disabled()
    elif not may_reveal(actor):
        refusal = MyNumberNotPermitted(
            "not_permitted",
            "個人番号を表示する権限がありません。業務で必要な場合は、課の管理者に権限の付与を依頼してください。"
            "この操作は監査ログに記録されました。",
            "You do not have permission to reveal My Numbers. If your work needs it, ask your division's "
            "administrator to grant it. This attempt was recorded in the audit log.",
        )
    elif not stated:
        refusal = MyNumberNotPermitted(
            "purpose_required",
            "個人番号を表示する目的を記入してください。記入した目的は監査ログに記録されます。",
            "Please state why you need to see the My Number. Your statement is recorded in the audit log.",
        )
    if refusal is not None:
        _refuse(person=person, actor=actor, stated=stated, channel=channel, client_ip=client_ip)
        raise refusal

    row = PersonalNumber.objects.filter(person_id=person.pk).only("ciphertext").first()
    number: str | None = None
    failure: MyNumberError | None = None
    if row is None:
        failure = MyNumberError(
            "not_stored",
            "この住民の個人番号は登録されていません。",
            "No My Number is stored for this resident.",
        )
    else:
        try:
            number = crypto.decrypt(row.ciphertext, associated_data=associated_data(person.pk))
        except crypto.DecryptionError as exc:
            logger.error("My Number of person %s could not be decrypted: %s", person.pk, exc)
            failure = MyNumberError(
                "unreadable",
                "個人番号を復号できませんでした。情報政策課に連絡してください（暗号鍵の設定の確認が必要です）。",
                "The My Number could not be decrypted. Please contact the IT department (the encryption "
                "keys need checking).",
            )
    audit.record_access(
        actor=actor,
        action="reveal",
        object_type=OBJECT_TYPE,
        object_id=person.pk,
        person_id=person.pk,
        fields=FIELDS if number is not None else (),
        purpose=stated,
        channel=channel,
        client_ip=client_ip,
    )
    if failure is not None:
        raise failure
    assert number is not None
    return number


@dataclass
class RotationReport:
    newest_key: str
    rotated: int = 0
    already_current: int = 0
    failed: list[int] = field(default_factory=list)  # person ids whose row could not be decrypted
    by_key: dict[str, int] = field(default_factory=dict)  # rows per key id after the run

    @property
    def ok(self) -> bool:
        return not self.failed


def rows_by_key() -> dict[str, int]:
    """How many rows each key id encrypts (for `mynumber status` and the rotation report)."""
    counts = PersonalNumber.objects.values("key_id").annotate(n=Count("id")).order_by("key_id")
    return {row["key_id"]: row["n"] for row in counts}


def rotate_keys(*, batch_size: int = 500, actor: str = "madoguchi mynumber rotate-keys") -> RotationReport:
    """Re-encrypt every row that is not on the newest key, `batch_size` rows per transaction.

    Idempotent: a second run finds nothing to do. Rows that cannot be decrypted are left as they are and
    reported (by person id). One audit row records the run.
    """
    ring = crypto.key_ring()
    report = RotationReport(newest_key=ring.newest_id)
    report.already_current = PersonalNumber.objects.filter(key_id=ring.newest_id).count()
    last_pk = 0
    while True:
        ids = list(
            PersonalNumber.objects.exclude(key_id=ring.newest_id)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_pk = ids[-1]
        now = timezone.now()
        with transaction.atomic():
            changed = []
            for row in (
                PersonalNumber.objects.select_for_update().filter(pk__in=ids).exclude(key_id=ring.newest_id)
            ):
                try:
                    row.ciphertext = crypto.rotate(
                        row.ciphertext, associated_data=associated_data(row.person_id), ring=ring
                    )
                except crypto.DecryptionError as exc:
                    logger.error("My Number of person %s was not rotated: %s", row.person_id, exc)
                    report.failed.append(row.person_id)
                    continue
                row.key_id, row.updated_at = ring.newest_id, now
                changed.append(row)
            PersonalNumber.objects.bulk_update(changed, ["ciphertext", "key_id", "updated_at"])
        report.rotated += len(changed)
    if report.rotated or report.failed:
        audit.record_access(
            actor=actor,
            action="rotate",
            object_type=OBJECT_TYPE,
            object_id="all",
            fields=FIELDS,
            purpose="key_rotation",
            channel="cli",
        )
    report.by_key = rows_by_key()
    return report

"""Staff second factor (二要素認証): an authenticator app (TOTP) plus ten one-time backup codes, on django-otp.

With `MADOGUCHI_STAFF_MFA` on, the office asks for a code after the password and signs the staff member
in only when it is accepted; staff without an authenticator set one up at that point. Wrong codes are
counted like wrong passwords (`ratelimit`, scope "mfa", so a correct password cannot reset them), and
django-otp adds its own per-device back-off (1, 2, 4 … seconds after consecutive failures).
Staff API tokens (`ApiToken`) are machine credentials and are not affected.
"""

from __future__ import annotations

import base64
import logging
import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from madoguchi.accounts import ratelimit
from madoguchi.accounts.models import Role, User
from madoguchi.accounts.services import AccountError
from madoguchi.core import audit

logger = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"
TOTP_DIGITS = 6
# Audit row of a reset (`madoguchi staff reset-mfa`): who removed whose second factor.
RESET_ACTION = "mfa_reset"
RESET_PURPOSE = "account_security"


class MfaError(AccountError):
    """A code that was not accepted, or a reset that is not allowed; `message(lang)` says why and what to do."""


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    backup_codes: list[str]  # shown once, then only their owner knows them


def is_required(user: User) -> bool:
    """Whether `user` must pass a second factor to sign in to the office."""
    return bool(settings.STAFF_MFA) and user.is_office_staff


def second_factor_passed(user) -> bool:
    """Whether a signed-in staff session may open staff pages: the setting is off, or the session passed
    the second factor with a device that still exists (django-otp's OTPMiddleware checks it per request)."""
    if not settings.STAFF_MFA:
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def normalize_code(code: str) -> str:
    """Full-width digits (IME input) become ASCII; spaces and hyphens go; backup codes are lower case."""
    text = unicodedata.normalize("NFKC", code or "")
    return "".join(ch for ch in text if ch not in " -\t").lower()


def format_backup_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def manual_entry_key(device: TOTPDevice) -> str:
    """The secret as base32 in groups of four, for typing into an authenticator app instead of scanning."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_qr_svg(device: TOTPDevice, *, title: str) -> str:
    """The otpauth:// URI as inline SVG markup (no script, no style attribute: fits the CSP)."""
    import segno  # here, not at start-up: only the set-up page draws a QR code

    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=4, title=title)


# ---- set-up --------------------------------------------------------------------------------------------------


def enrolment_device(*, user: User) -> TOTPDevice:
    """The not yet confirmed authenticator of `user`'s set-up; the same one (same secret) until confirmed."""
    if has_authenticator(user):
        raise MfaError(
            "already_set_up",
            "認証アプリはすでに設定されています。アプリに表示される6桁のコードでログインしてください。",
            "An authenticator app is already set up. Sign in with the 6-digit code it shows.",
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=False, digits=TOTP_DIGITS
        )
    return device


def confirm_enrolment(*, user: User, code: str, ip: str | None) -> Enrolment:
    """Confirm the set-up with a code from the app; replaces any backup codes with ten new ones."""
    attempt = _begin_attempt(user, ip)
    token = normalize_code(code)
    throttled = None
    accepted = False
    with _uncounted_on_error(attempt), transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        )
        if device is None:  # taken back by _uncounted_on_error
            raise MfaError(
                "no_set_up",
                "設定の手続きが見つかりません。ログインからやり直してください。",
                "No set-up is in progress. Please sign in again.",
            )
        throttled = _throttled_seconds(device)
        accepted = throttled is None and _is_totp(token) and device.verify_token(token)
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _replace_backup_codes(user)
    if throttled is not None:
        attempt.not_counted()  # django-otp refused it without checking the code
        raise _throttled_error(throttled)
    if not accepted:
        attempt.failed()
        raise _refused(setting_up=True)
    attempt.succeeded()
    logger.info("staff member %s set up an authenticator app", user.pk)
    return Enrolment(device=device, backup_codes=[format_backup_code(token) for token in codes])


def _replace_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < BACKUP_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return codes


# ---- sign-in -------------------------------------------------------------------------------------------------


def verify_code(*, user: User, code: str, ip: str | None) -> Device:
    """The device that accepted `code`: the authenticator for six digits, otherwise a backup code (used up)."""
    attempt = _begin_attempt(user, ip)
    token = normalize_code(code)
    model = TOTPDevice if _is_totp(token) else StaticDevice
    throttled = None
    with _uncounted_on_error(attempt), transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        accepted = False
        if device is not None:
            throttled = _throttled_seconds(device)
            accepted = throttled is None and device.verify_token(token)
    if throttled is not None:
        attempt.not_counted()  # django-otp refused it without checking the code
        raise _throttled_error(throttled)
    if not accepted:
        attempt.failed()
        raise _refused(setting_up=False)
    attempt.succeeded()
    if model is StaticDevice:
        left = StaticToken.objects.filter(device=device).count()
        logger.info("staff member %s signed in with a backup code (%d left)", user.pk, left)
    return device


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _is_totp(token: str) -> bool:
    return len(token) == TOTP_DIGITS and token.isascii() and token.isdigit()


def _begin_attempt(user: User, ip: str | None) -> ratelimit.Attempt:
    """Count the code before checking it (accounts.ratelimit, scope "mfa"); refuse it over the limit."""
    attempt = ratelimit.begin(email=user.email, ip=ip, scope=ratelimit.MFA)
    if not attempt.allowed:
        minutes = attempt.retry_after_minutes
        raise MfaError(
            "rate_limited",
            f"確認コードの間違いが続いたため、しばらくログインできません。{minutes}分ほど待ってからお試しください。",
            f"Too many wrong codes. Please wait about {minutes} minute{'s' if minutes != 1 else ''} and try "
            "again.",
            field="code",
        )
    return attempt


@contextmanager
def _uncounted_on_error(attempt: ratelimit.Attempt) -> Iterator[None]:
    """An unexpected error while checking (a database error) takes the attempt back."""
    try:
        yield
    except BaseException:
        attempt.not_counted()
        raise


def _refused(*, setting_up: bool) -> MfaError:
    """Say what to enter instead of a wrong code (already counted by its attempt)."""
    if setting_up:
        return MfaError(
            "bad_code",
            "確認コードが正しくありません。認証アプリに今表示されている6桁の数字を入力してください。"
            "うまくいかない場合は、スマートフォンの時刻が自動設定になっているか確認してください。",
            "The code is not correct. Enter the 6 digits the authenticator app shows now. If it keeps "
            "failing, check that the phone's clock is set automatically.",
            field="code",
        )
    return MfaError(
        "bad_code",
        "確認コードが正しくありません。認証アプリに今表示されている6桁の数字か、"
        "まだ使っていないバックアップコードを入力してください。",
        "The code is not correct. Enter the 6 digits the authenticator app shows now, or a backup code "
        "you have not used yet.",
        field="code",
    )


def _throttled_seconds(device: Device) -> int | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    return max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1


def _throttled_error(seconds: int) -> MfaError:
    return MfaError(
        "throttled",
        f"確認コードの間違いが続いたため、{seconds}秒待ってから入力してください。",
        f"Several wrong codes in a row: wait {seconds} second{'' if seconds == 1 else 's'}, then enter the code.",
        field="code",
    )


# ---- reset ---------------------------------------------------------------------------------------------------


def can_reset_second_factor(*, admin: User, user: User) -> bool:
    """A superuser, or a department admin (課管理者) of the staff member's own department."""
    if not (admin.is_active and admin.is_office_staff):
        return False
    if admin.is_superuser:
        return True
    return (
        admin.role == Role.DEPARTMENT_ADMIN
        and admin.department_id is not None
        and admin.department_id == user.department_id
    )


def reset_second_factor(*, user: User, admin: User, channel: str = "cli") -> int:
    """Remove the authenticator and backup codes of `user` (a lost phone): their sessions stop passing the
    second factor, and their next sign-in sets up a new authenticator. Audited as `mfa_reset`.

    Returns how many devices were removed.
    """
    if not user.is_office_staff:
        raise MfaError(
            "not_staff",
            f"{user.email} は職員のアカウントではありません。メールアドレスを確認してください。",
            f"{user.email} is not a staff account. Check the email address.",
        )
    if not can_reset_second_factor(admin=admin, user=user):
        raise MfaError(
            "not_allowed",
            f"{admin.email} はこの職員の2段階認証をリセットできません。同じ課の課管理者か、"
            "システム管理者（スーパーユーザー）に依頼してください。",
            f"{admin.email} may not reset this staff member's second factor. Ask a department admin of "
            "their department, or a system administrator (superuser).",
        )
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        audit.record_access(
            actor=admin,
            action=RESET_ACTION,
            object_type="user",
            object_id=user.pk,
            purpose=RESET_PURPOSE,
            channel=channel,
        )
    logger.info(
        "second factor of staff member %s reset by %s (%d devices removed)", user.pk, admin.pk, removed
    )
    return removed

"""Password reset by an emailed link, for residents (the portal) and staff (the office).

- The request page answers the same whether or not the address has an account; only an active account of
  the page's kind (resident or staff) gets an email. Requests are limited per address
  (`RESET_REQUESTS_PER_ADDRESS` an hour) and per client IP (`services.EMAIL_REQUESTS_PER_IP` in 15 minutes),
  counted whatever the address, so the limits tell nothing either.
- The link (accounts.tokens.PasswordResetTokens) works once and for `PASSWORD_RESET_TIMEOUT` seconds: it
  signs the password hash and the last sign-in, which the reset changes.
- A reset sets the password only. It never signs in, and it never touches the staff second factor: staff
  still give a code from their authenticator at the next sign-in. A staff account that has no authenticator
  yet while `MADOGUCHI_STAFF_MFA` is on cannot be reset by email (the new password alone would let whoever
  reads the mailbox set up an authenticator of their own); its owner gets an email saying whom to ask.
- Other sessions of the account end (Django checks the password hash of every session), the account's own
  sign-in failures are forgotten, and the owner gets an email saying that the password was changed. A
  resident's reset also confirms the email address (the link proved it).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from madoguchi.accounts import emails, mfa, ratelimit, tokens
from madoguchi.accounts.models import User
from madoguchi.accounts.services import AccountError, count_email_request, email_digest
from madoguchi.core import counters

logger = logging.getLogger(__name__)

RESET_REQUESTS_PER_ADDRESS = 3
RESET_REQUESTS_WINDOW_SECONDS = 60 * 60


def request_reset(*, email: str, ip: str | None, staff: bool) -> None:
    """Email a reset link to the active account of `email` of that kind; nothing for any other address."""
    count_email_request(ip)
    email = email.strip().lower()
    counted = counters.hit(f"reset-request:acct:{email_digest(email)}", RESET_REQUESTS_WINDOW_SECONDS)
    if counted.count > RESET_REQUESTS_PER_ADDRESS:
        minutes = max(1, -(-counted.seconds_left() // 60))
        raise AccountError(
            "rate_limited",
            f"このメールアドレスあての再設定の依頼が続いたため、{minutes}分ほど待ってからお試しください。"
            "すでに届いているメールのリンク（最後に届いたもの）をお使いください。",
            f"A reset was asked for this address several times. Please wait about {minutes} minute"
            f"{'s' if minutes != 1 else ''} and try again, or use the link of the last email that arrived.",
            field="email",
        )
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None or user.is_office_staff != staff:
        return
    if staff and mfa.is_required(user) and not mfa.has_authenticator(user):
        emails.send(emails.RESET_NOT_BY_EMAIL, user)
        logger.info("password reset refused for staff member %s: no authenticator set up", user.pk)
        return
    emails.send(emails.RESET_LINK, user)


def user_for_link(*, uidb64: str, token: str, staff: bool) -> User | None:
    """The account a reset link was made for, if the link is still valid for it (unused, not expired)."""
    user = tokens.user_of_uidb64(uidb64)
    if user is None or not user.is_active or user.is_office_staff != staff:
        return None
    if not tokens.password_reset_tokens.check_token(user, token):
        return None
    return user


def bad_link_error() -> AccountError:
    minutes = max(1, settings.PASSWORD_RESET_TIMEOUT // 60)
    return AccountError(
        "bad_token",
        f"このリンクは使えません。有効期限（{minutes}分）が切れたか、すでに使われています。"
        "もう一度、パスワードの再設定を依頼してください。",
        f"This link cannot be used: it has expired (after {minutes} minutes) or has already been used. "
        "Please ask for a new password reset.",
    )


def set_password(*, uidb64: str, token: str, password: str, staff: bool) -> User:
    """Set a new password through a reset link; the link stops working. Raises AccountError."""
    user = user_for_link(uidb64=uidb64, token=token, staff=staff)
    if user is None:
        raise bad_link_error()
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(
            "weak_password",
            "このパスワードは使えません。10文字以上で、メールアドレスや名前に似ていない、推測されにくいものにしてください。",
            "This password cannot be used. Use at least 10 characters that are hard to guess and not like "
            "your email address or name.",
            field="password",
        ) from exc
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not tokens.password_reset_tokens.check_token(locked, token):  # the same link used meanwhile
            raise bad_link_error()
        locked.set_password(password)
        fields = ["password"]
        if locked.is_resident and locked.email_verified_at is None:
            locked.email_verified_at = timezone.now()
            fields.append("email_verified_at")
        locked.save(update_fields=fields)
    ratelimit.reset_account(email=locked.email)
    emails.send(emails.CHANGE_NOTICE, locked)
    logger.info("password of user %s set with a reset link", locked.pk)
    return locked

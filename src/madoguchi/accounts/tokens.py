"""Tokens sent by email: single-use and short-lived (Django's PasswordResetTokenGenerator).

A token is an HMAC (with `SECRET_KEY`, or one of `SECRET_KEY_FALLBACKS`) of a timestamp and of account state
that changes when the token is used, so a link works once: the email confirmation signs
`email_verified_at` (set by the confirmation), the password reset signs the password hash and the last
sign-in (changed by the reset, or by signing in). Links carry the account id as `uidb64` beside the token.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from madoguchi.accounts.models import User

VERIFY_MAX_AGE = 3 * 24 * 3600


class _OneUseTokens(PasswordResetTokenGenerator):
    """PasswordResetTokenGenerator with its own salt and lifetime (`max_age`, seconds)."""

    @property
    def max_age(self) -> int:
        raise NotImplementedError

    def check_token(self, user, token) -> bool:
        if not (user and token and isinstance(token, str)):
            return False
        try:
            ts_b36, _digest = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= self.max_age


class EmailVerificationTokens(_OneUseTokens):
    key_salt = "madoguchi.accounts.tokens.EmailVerificationTokens"

    @property
    def max_age(self) -> int:
        return VERIFY_MAX_AGE

    def _make_hash_value(self, user, timestamp) -> str:
        verified = "" if user.email_verified_at is None else user.email_verified_at.isoformat()
        return f"{user.pk}{user.email}{user.password}{verified}{timestamp}"


class PasswordResetTokens(_OneUseTokens):
    """Django's own hash value: the account id, password hash, last sign-in and email address."""

    key_salt = "madoguchi.accounts.tokens.PasswordResetTokens"

    @property
    def max_age(self) -> int:
        return settings.PASSWORD_RESET_TIMEOUT


email_verification_tokens = EmailVerificationTokens()
password_reset_tokens = PasswordResetTokens()


def uidb64_of(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_of_uidb64(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()

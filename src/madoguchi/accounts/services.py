"""Sign-up, email verification and sign-in for residents and staff."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts import ratelimit
from madoguchi.accounts.models import ApiToken, User, UserKind

VERIFY_SALT = "madoguchi.accounts.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


class AccountError(Exception):
    def __init__(self, code: str, message_ja: str, message_en: str, field: str = "") -> None:
        super().__init__(message_en)
        self.code = code
        self.field = field
        self.message_ja = message_ja
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_ja


def sign_up(*, email: str, password: str, display_name: str = "", language: str = "ja") -> User:
    """Create a resident account that must verify its email before signing in; sends the link."""
    email = email.strip().lower()
    try:
        validate_password(password, User(email=email, display_name=display_name))
    except ValidationError as exc:
        raise AccountError(
            "weak_password",
            "パスワードが弱すぎます。10文字以上で、推測されにくいものにしてください。",
            "The password is too weak. Use at least 10 characters that are hard to guess.",
            field="password",
        ) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                display_name=display_name.strip()[:100],
                kind=UserKind.RESIDENT,
                preferred_language=language if language in {"ja", "en"} else "ja",
            )
    except IntegrityError as exc:
        raise AccountError(
            "email_taken",
            "このメールアドレスはすでに登録されています。ログインするか、別のアドレスをお使いください。",
            "This email address is already registered. Sign in, or use another address.",
            field="email",
        ) from exc
    send_verification_email(user=user)
    return user


def verification_token(user: User) -> str:
    return signing.dumps({"uid": user.pk, "email": user.email}, salt=VERIFY_SALT)


def send_verification_email(*, user: User) -> None:
    prefix = "/en" if user.preferred_language == "en" else ""
    link = f"{settings.SITE_URL}{prefix}{reverse('portal:verify_email', args=[verification_token(user)]).removeprefix('/en')}"
    if user.preferred_language == "en":
        subject = f"[{settings.MUNICIPALITY_NAME}] Confirm your email address"
        body = f"Open this link to confirm your email address and finish signing up:\n{link}\n\nThe link is valid for 3 days."
    else:
        subject = f"[{settings.MUNICIPALITY_NAME}] メールアドレスの確認"
        body = f"次のリンクを開いて、メールアドレスの確認と登録を完了してください。\n{link}\n\nリンクの有効期限は3日間です。"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def verify_email(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature as exc:
        raise AccountError(
            "bad_token",
            "確認リンクが無効か、有効期限が切れています。ログイン画面から確認メールを再送してください。",
            "The confirmation link is invalid or has expired. Request a new one from the sign-in page.",
        ) from exc
    user = User.objects.filter(pk=data["uid"], email=data["email"]).first()
    if user is None:
        raise AccountError("bad_token", "確認リンクが無効です。", "The confirmation link is invalid.")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def sign_in(*, email: str, password: str, ip: str | None, staff: bool) -> User:
    """Check credentials with rate limiting; residents must have verified their email."""
    email = email.strip().lower()
    if ratelimit.is_locked(email=email, ip=ip):
        raise AccountError(
            "rate_limited",
            "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。",
            "Too many failed sign-in attempts. Please wait about 15 minutes and try again.",
        )
    user = authenticate(username=email, password=password)
    if user is None or user.is_office_staff != staff:
        ratelimit.register_failure(email=email, ip=ip)
        raise AccountError(
            "bad_credentials",
            "メールアドレスかパスワードが正しくありません。",
            "The email address or password is not correct.",
        )
    if not staff and user.email_verified_at is None:
        raise AccountError(
            "email_not_verified",
            "メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。",
            "Your email address is not confirmed yet. Open the link in the email we sent you.",
        )
    ratelimit.reset(email=email, ip=ip)
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def issue_api_token(*, user: User, name: str) -> IssuedToken:
    token = "mdg_" + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name, token_hash=hashlib.sha256(token.encode()).hexdigest()
    )
    return IssuedToken(token=token, record=record)


def user_for_api_token(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = (
        ApiToken.objects.select_related("user").filter(token_hash=digest, revoked_at__isnull=True).first()
    )
    if record is None or not record.user.is_active or not record.user.is_office_staff:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    return record.user

"""The emails of sign-up, email confirmation and password reset, in the account's language.

They are sent by a Celery task (`accounts.tasks.send_account_email`), which makes the link from the
account id when it runs, so no token passes through the broker; with a broker the page answers before any
mail server is contacted, whatever the address (sign-up and password reset must not tell by their timing
whether an address is registered). Without a broker the task runs in the request, as every task does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from madoguchi.accounts import tokens
from madoguchi.accounts.models import User

logger = logging.getLogger(__name__)

VERIFY = "verify"
SIGNUP_ATTEMPT = "signup_attempt"
RESET_LINK = "reset_link"
RESET_NOT_BY_EMAIL = "reset_not_by_email"
CHANGE_NOTICE = "change_notice"


def link(user: User, viewname: str, *args: str) -> str:
    """An absolute link to a page in the account's language (`/en/…` for English)."""
    with translation.override("ja"):
        path = reverse(viewname, args=args)
    prefix = "/en" if user.preferred_language == "en" else ""
    return f"{settings.SITE_URL}{prefix}{path}"


def _city(lang: str) -> str:
    return settings.MUNICIPALITY_NAME_EN if lang == "en" else settings.MUNICIPALITY_NAME


def _reset_minutes() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 60)


def local_path(target: str) -> str:
    """`target` when it is a path on this site ("/procedures/…"), else "": never another origin."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or not url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return ""
    return target[:500]


def _verify(user: User, lang: str, next_path: str = "") -> tuple[str, str]:
    url = link(
        user,
        "portal:verify_email",
        tokens.uidb64_of(user),
        tokens.email_verification_tokens.make_token(user),
    )
    if local_path(next_path):
        url += "?" + urlencode({"next": local_path(next_path)})  # where the resident was going (sign-up)
    if lang == "en":
        return "Confirm your email address", (
            f"Open this link to confirm your email address and finish signing up:\n{url}\n\n"
            "The link works once and for 3 days. If it has expired, request a new one from the sign-in page."
        )
    return "メールアドレスの確認", (
        f"次のリンクを開いて、メールアドレスの確認と登録を完了してください。\n{url}\n\n"
        "リンクは1回だけ、3日間有効です。期限が切れた場合は、ログイン画面から確認メールを再送してください。"
    )


def _signup_attempt(user: User, lang: str) -> tuple[str, str]:
    login, reset = link(user, "portal:login"), link(user, "portal:password_reset")
    if lang == "en":
        return "Someone tried to sign up with your email address", (
            "Someone (perhaps you) tried to sign up for the online counter with this email address, which "
            "already has an account. No account was created or changed.\n\n"
            f"If it was you, sign in here:\n{login}\n\n"
            "If you forgot your password, or never finished signing up, set a new password here (this also "
            f"confirms your email address):\n{reset}\n\n"
            "If it was not you, you can ignore this email."
        )
    return "このメールアドレスで新規登録が試みられました", (
        "このメールアドレスで、オンライン窓口への新規登録が試みられました。このアドレスはすでに登録されて"
        "いるため、アカウントの作成や変更は行っていません。\n\n"
        f"ご本人の場合は、次のページからログインしてください。\n{login}\n\n"
        "パスワードを忘れた場合や、登録の手続きを終えていない場合は、次のページからパスワードを"
        f"再設定してください（メールアドレスの確認も同時に完了します）。\n{reset}\n\n"
        "お心当たりがない場合は、このメールは無視してください。"
    )


def _password_reset(user: User, lang: str) -> tuple[str, str]:
    viewname = "office:password_reset_link" if user.is_office_staff else "portal:password_reset_link"
    url = link(user, viewname, tokens.uidb64_of(user), tokens.password_reset_tokens.make_token(user))
    minutes = _reset_minutes()
    if lang == "en":
        mfa = (
            "\n\nYou will still sign in with a code from your authenticator app after setting the password."
            if user.is_office_staff and settings.STAFF_MFA
            else ""
        )
        return "Set a new password", (
            f"Open this link to set a new password:\n{url}\n\n"
            f"The link works once and for {minutes} minutes. If you did not ask for it, ignore this email: "
            f"your password stays as it is.{mfa}"
        )
    mfa = (
        "\n\nパスワードを再設定した後も、ログインには認証アプリの確認コードが必要です。"
        if user.is_office_staff and settings.STAFF_MFA
        else ""
    )
    return "パスワードの再設定", (
        f"次のリンクを開いて、新しいパスワードを設定してください。\n{url}\n\n"
        f"リンクは1回だけ、{minutes}分間有効です。お心当たりがない場合は、このメールは無視してください。"
        f"パスワードは変わりません。{mfa}"
    )


def _password_reset_unavailable(user: User, lang: str) -> tuple[str, str]:
    if lang == "en":
        return "Your password cannot be reset by email", (
            "Someone (perhaps you) asked to reset the password of this staff account. Your account has no "
            "authenticator app set up yet, so its password cannot be reset by email: a new password would "
            "be enough to take the account over.\n\n"
            "Ask the department admin of your department, or the system administrator, to set a new password "
            "for you after checking who you are. If you did not ask, tell them too."
        )
    return "メールではパスワードを再設定できません", (
        "この職員アカウントのパスワードの再設定が依頼されました。このアカウントにはまだ認証アプリが設定されて"
        "いないため、メールでのパスワードの再設定はできません（新しいパスワードだけでアカウントを使えてしまう"
        "ためです）。\n\n"
        "所属の課管理者またはシステム管理者に、本人確認のうえ新しいパスワードを設定してもらってください。"
        "お心当たりがない場合も、その旨を伝えてください。"
    )


def _password_changed(user: User, lang: str) -> tuple[str, str]:
    viewname = "office:password_reset" if user.is_office_staff else "portal:password_reset"
    reset = link(user, viewname)
    if lang == "en":
        return "Your password was changed", (
            "The password of your account was just changed with a reset link.\n\n"
            "If it was not you, set a new password at once and tell the city office:\n"
            f"{reset}"
        )
    return "パスワードが変更されました", (
        "再設定のリンクから、あなたのアカウントのパスワードが変更されました。\n\n"
        f"お心当たりがない場合は、すぐに次のページからパスワードを再設定し、市役所にご連絡ください。\n{reset}"
    )


COMPOSERS: dict[str, Callable[[User, str], tuple[str, str]]] = {
    VERIFY: _verify,
    SIGNUP_ATTEMPT: _signup_attempt,
    RESET_LINK: _password_reset,
    RESET_NOT_BY_EMAIL: _password_reset_unavailable,
    CHANGE_NOTICE: _password_changed,
}


def send_now(kind: str, user_id: int, next_path: str = "") -> bool:
    """Compose and send one email to the account `user_id`; False when the account is gone."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    lang = "en" if user.preferred_language == "en" else "ja"
    if kind == VERIFY:
        subject, body = _verify(user, lang, next_path)
    else:
        subject, body = COMPOSERS[kind](user, lang)
    send_mail(f"[{_city(lang)}] {subject}", body, settings.DEFAULT_FROM_EMAIL, [user.email])
    logger.info("account email %s sent to user %s", kind, user.pk)
    return True


def send(kind: str, user: User, *, next_path: str = "") -> None:
    """Queue one email (sent in this process when no broker is configured); `next_path`: the page a
    confirmation link leads to afterwards."""
    from madoguchi.accounts.tasks import send_account_email

    if kind not in COMPOSERS:
        raise ValueError(f"unknown account email {kind!r}")
    if local_path(next_path):
        send_account_email.delay(kind, user.pk, local_path(next_path))
    else:
        send_account_email.delay(kind, user.pk)

"""The second step of the office sign-in (MADOGUCHI_STAFF_MFA): a code, or setting up the authenticator app.

`views.sign_in_view` checks the password and, for staff who need a second factor, hands over to these pages
through `pending_sign_in` instead of signing in. Only an accepted code calls `login()`, and django-otp's
`login()` marks the session as verified, which `accounts.decorators.staff_required` checks on every office page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from madoguchi.accounts import mfa
from madoguchi.accounts.models import User
from madoguchi.core import audit
from madoguchi.core.i18n import lang_of
from madoguchi.office import pending_sign_in
from madoguchi.office.forms import BackupCodeForm, CodeForm
from madoguchi.office.views import _safe_next


def _start_again(request: HttpRequest) -> HttpResponse:
    current = request.user
    if current.is_authenticated and current.is_office_staff and mfa.second_factor_passed(current):
        return redirect("office:queue")  # already through (e.g. the backup-code page reloaded)
    messages.error(
        request,
        _(
            "ログインの途中で時間が過ぎたか、手続きが見つかりません。メールアドレスとパスワードからやり直してください。"
        ),
    )
    return redirect("office:login")


def _finish(request: HttpRequest, user: User, device) -> str:
    """Sign in for real and mark the session as verified; returns where to go next."""
    next_url = _safe_next(request, pending_sign_in.next_url(request), reverse("office:queue"))
    backend = pending_sign_in.backend(request)
    pending_sign_in.clear(request)
    login(request, user, backend=backend)
    otp_login(request, device)
    return next_url


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Ask for the 6-digit code (or a backup code) of a staff member who gave the right password."""
    user = pending_sign_in.pending_user(request)
    if user is None:
        return _start_again(request)
    if not mfa.has_authenticator(user):
        return redirect("office:login_setup")
    using_backup = request.method == "POST" and "backup_code" in request.POST
    code_form = CodeForm(request.POST if request.method == "POST" and not using_backup else None)
    backup_form = BackupCodeForm(request.POST if using_backup else None)
    form = backup_form if using_backup else code_form
    if request.method == "POST" and form.is_valid():
        field = "backup_code" if using_backup else "code"
        try:
            device = mfa.verify_code(user=user, code=form.cleaned_data[field], ip=audit.client_ip_of(request))
        except mfa.MfaError as exc:
            form.add_error(field, exc.message(lang_of(request)))
        else:
            next_url = _finish(request, user, device)
            if using_backup:
                messages.warning(
                    request,
                    _(
                        "バックアップコードでログインしました。使ったコードはもう使えません（残り%(left)d個）。"
                        "スマートフォンをなくした場合は、課管理者に2段階認証のリセットを依頼してください。"
                    )
                    % {"left": mfa.backup_codes_left(user)},
                )
            return redirect(next_url)
    context = {"code_form": code_form, "backup_form": backup_form}
    return render(request, "office/login_code.html", context, status=400 if request.method == "POST" else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (QR code and the key as text), confirm it with a code, show backup codes."""
    user = pending_sign_in.pending_user(request)
    if user is None:
        return _start_again(request)
    if mfa.has_authenticator(user):
        return redirect("office:login_code")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = mfa.confirm_enrolment(
                user=user, code=form.cleaned_data["code"], ip=audit.client_ip_of(request)
            )
        except mfa.MfaError as exc:
            form.add_error("code", exc.message(lang_of(request)))
        else:
            next_url = _finish(request, user, enrolment.device)
            # Shown in this response only: the page is not cached and cannot be opened again.
            return render(
                request,
                "office/login_backup_codes.html",
                {"backup_codes": enrolment.backup_codes, "next": next_url},
            )
    device = mfa.enrolment_device(user=user)
    context = {
        "form": form,
        # segno's markup of the otpauth:// URI: only <svg>, <title> and <path> elements that we generate.
        "qr_svg": mark_safe(mfa.provisioning_qr_svg(device, title=_("認証アプリで読み取るQRコード"))),
        "manual_key": mfa.manual_entry_key(device),
        "account_name": user.email,
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(
        request, "office/login_setup.html", context, status=400 if request.method == "POST" else 200
    )

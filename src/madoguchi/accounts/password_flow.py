"""Password reset pages: ask for a link, open it, set a new password (accounts.passwords does the work).

One flow, two places, shared like accounts.decorators so that no room's views import another's: residents in
the portal (portal/password_views.py), staff in the office (office/password_views.py), each with its own
templates; the office's page header comes from its context processor. The request page answers the same for every address. An
opened link is kept in the session and the browser sent on to a page without the token in its URL, so the
token does not stay in the address bar or the history (as Django's own PasswordResetConfirmView does).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from madoguchi.accounts import passwords
from madoguchi.accounts.services import AccountError
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of

SESSION_KEY = "password_reset_link"


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        help_text=_("登録したメールアドレスを入力してください。例：midori.taro@example.jp"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません。例：midori.taro@example.jp"),
        },
    )


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("新しいパスワード"),
        help_text=_("10文字以上で、推測されにくいものにしてください。"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("新しいパスワードを入力してください。")},
    )
    password_confirm = forms.CharField(
        label=_("新しいパスワード（確認のため、もう一度）"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("確認のため、新しいパスワードをもう一度入力してください。")},
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_confirm")
            and cleaned["password"] != cleaned["password_confirm"]
        ):
            self.add_error(
                "password_confirm",
                _("確認のためのパスワードが一致しません。同じパスワードをもう一度入力してください。"),
            )
        return cleaned


@dataclass(frozen=True)
class PasswordResetFlow:
    """The five pages of a reset, for residents (`staff` False) or staff, with their namespace and templates."""

    namespace: str
    staff: bool
    templates: str  # the template directory: "portal" or "office"

    def _page(self, request, name: str, context: dict, status: int = 200) -> HttpResponse:
        context = {"staff_mfa": self.staff and settings.STAFF_MFA, **context}
        return render(request, f"{self.templates}/password_{name}.html", context, status=status)

    @method_decorator(never_cache)
    @method_decorator(require_http_methods(["GET", "POST"]))
    def request_link(self, request: HttpRequest) -> HttpResponse:
        """Ask for a link; the same answer (the 'sent' page) whether or not the address has an account."""
        form = ResetRequestForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                passwords.request_reset(
                    email=form.cleaned_data["email"], ip=client_ip_of(request), staff=self.staff
                )
            except AccountError as exc:
                form.add_error("email", exc.message(lang_of(request)))
            else:
                return redirect(f"{self.namespace}:password_reset_sent")
        status = 400 if request.method == "POST" else 200
        return self._page(request, "reset", {"form": form}, status=status)

    @method_decorator(require_GET)
    def sent(self, request: HttpRequest) -> HttpResponse:
        minutes = max(1, settings.PASSWORD_RESET_TIMEOUT // 60)
        return self._page(request, "reset_sent", {"minutes": minutes})

    @method_decorator(never_cache)
    @method_decorator(require_GET)
    def open_link(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        """Check the emailed link, keep it in the session and go on to the page without the token."""
        if passwords.user_for_link(uidb64=uidb64, token=token, staff=self.staff) is None:
            return self._invalid(request)
        request.session[SESSION_KEY] = {"uidb64": uidb64, "token": token, "staff": self.staff}
        return redirect(f"{self.namespace}:password_reset_set", uidb64=uidb64)

    def _invalid(self, request: HttpRequest) -> HttpResponse:
        request.session.pop(SESSION_KEY, None)
        error = passwords.bad_link_error().message(lang_of(request))
        return self._page(request, "reset_invalid", {"error": error}, status=400)

    @method_decorator(never_cache)
    @method_decorator(sensitive_post_parameters("password", "password_confirm"))
    @method_decorator(require_http_methods(["GET", "POST"]))
    def set_password(self, request: HttpRequest, uidb64: str) -> HttpResponse:
        link = request.session.get(SESSION_KEY) or {}
        if link.get("uidb64") != uidb64 or link.get("staff") != self.staff:
            return self._invalid(request)
        token = str(link.get("token", ""))
        if passwords.user_for_link(uidb64=uidb64, token=token, staff=self.staff) is None:
            return self._invalid(request)
        form = NewPasswordForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                passwords.set_password(
                    uidb64=uidb64, token=token, password=form.cleaned_data["password"], staff=self.staff
                )
            except AccountError as exc:
                if exc.code == "bad_token":
                    return self._invalid(request)
                form.add_error("password", exc.message(lang_of(request)))
            else:
                request.session.pop(SESSION_KEY, None)
                return redirect(f"{self.namespace}:password_reset_done")
        status = 400 if request.method == "POST" else 200
        return self._page(request, "reset_set", {"form": form}, status=status)

    @method_decorator(require_GET)
    def done(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, "reset_done", {})

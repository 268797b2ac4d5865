"""Forms of the resident portal. Labels and messages are Japanese msgids (English in locale/en)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core import validators

REQUIRED = _("入力してください。")


def _text(label, *, help_text="", max_length=None, required=True, widget=None, autocomplete=""):
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    # Typed text refuses bidi controls and control characters (core.text); a password is never shown.
    checks = (
        [] if widget is forms.PasswordInput else [validators.plain_text(multiline=widget is forms.Textarea)]
    )
    return forms.CharField(
        label=label,
        validators=checks,
        help_text=help_text,
        max_length=max_length,
        required=required,
        widget=widget(attrs=attrs) if widget else forms.TextInput(attrs=attrs),
        error_messages={
            "required": REQUIRED,
            "max_length": _("%(limit_value)d文字以内で入力してください。"),
        },
    )


def _email(*, autocomplete="email"):
    return forms.EmailField(
        label=_("メールアドレス"),
        help_text=_("例：midori.taro@example.jp"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません。例：midori.taro@example.jp"),
        },
    )


class SignUpForm(forms.Form):
    display_name = _text(
        _("お名前（表示名）"),
        help_text=_("マイページに表示されます。申請書に書くお名前は、申請のときに入力します。"),
        max_length=100,
        required=False,
        autocomplete="name",
    )
    email = _email()
    password = _text(
        _("パスワード"),
        help_text=_("10文字以上で、推測されにくいものにしてください。"),
        widget=forms.PasswordInput,
        autocomplete="new-password",
    )
    password_confirm = _text(
        _("パスワード（確認のため、もう一度）"),
        widget=forms.PasswordInput,
        autocomplete="new-password",
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


class SignInForm(forms.Form):
    email = _email(autocomplete="username")
    password = _text(_("パスワード"), widget=forms.PasswordInput, autocomplete="current-password")


class ResendVerificationForm(forms.Form):
    email = _email()


class ReplyForm(forms.Form):
    """The resident's answer to a request for more information, with an optional document."""

    body = _text(
        _("返信の内容"),
        help_text=_("担当課からの依頼に対する回答を書いてください。"),
        max_length=4000,
        widget=forms.Textarea,
    )
    document = forms.FileField(
        label=_("書類"),
        help_text=_("PDF、JPEG、PNGのいずれか。スマートフォンで撮影した写真も送れます。"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        error_messages={"empty": _("ファイルが空です。もう一度選んでください。")},
    )


class WithdrawForm(forms.Form):
    reason = _text(
        _("取り下げの理由（任意）"),
        help_text=_("差し支えなければお書きください。担当課に伝わります。"),
        max_length=1000,
        required=False,
        widget=forms.Textarea,
    )

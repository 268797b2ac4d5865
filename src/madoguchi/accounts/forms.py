"""Forms of the counter's identity-linking page (本人確認・紐付け), used by office/identity_views.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.services import PURPOSE_IDENTITY_LINKING
from madoguchi.core import validators
from madoguchi.jp.errors import JpValueError
from madoguchi.jp.wareki import parse_date

# The photo IDs a counter accepts for linking (本人確認書類). Only the kind is recorded, never a number.
DOCUMENT_TYPES = (
    ("my_number_card", _("マイナンバーカード")),
    ("drivers_license", _("運転免許証")),
    ("passport", _("パスポート")),
    ("residence_card", _("在留カード・特別永住者証明書")),
    ("disability_certificate", _("身体障害者手帳など写真付きの手帳")),
    ("other_photo_id", _("その他の写真付き公的証明書")),
)
# Stored in IdentityLink.evidence: the Japanese name, whatever the staff member's language.
DOCUMENT_EVIDENCE = {
    "my_number_card": "マイナンバーカード",
    "drivers_license": "運転免許証",
    "passport": "パスポート",
    "residence_card": "在留カード・特別永住者証明書",
    "disability_certificate": "写真付きの手帳",
    "other_photo_id": "その他の写真付き公的証明書",
}
PURPOSES = (("", _("選択してください")), (PURPOSE_IDENTITY_LINKING, _("本人確認・紐付け")))


class AccountLookupForm(forms.Form):
    email = forms.EmailField(
        label=_("住民のアカウントのメールアドレス"),
        max_length=254,
        error_messages={
            "required": _("住民の方から聞いたメールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません。例：taro@example.jp"),
        },
    )


class PersonSearchForm(forms.Form):
    """Who to look for in the registry, and why (the purpose is written to the audit log)."""

    purpose = forms.ChoiceField(
        label=_("利用目的"),
        choices=PURPOSES,
        error_messages={
            "required": _("住民記録を検索する目的を選んでください。"),
            "invalid_choice": _("住民記録を検索する目的を選んでください。"),
        },
    )
    name = forms.CharField(
        label=_("氏名またはフリガナ"),
        max_length=100,
        error_messages={"required": _("本人確認書類に書かれた氏名（またはフリガナ）を入力してください。")},
    )
    birth_date = forms.CharField(
        label=_("生年月日"),
        max_length=40,
        help_text=_("例：昭和60年4月1日、1985-04-01"),
        error_messages={"required": _("本人確認書類に書かれた生年月日を入力してください。")},
    )

    def clean_birth_date(self):
        try:
            return parse_date(self.cleaned_data["birth_date"])
        except JpValueError as exc:
            raise forms.ValidationError(exc.message("en" if get_language() == "en" else "ja")) from exc


class LinkForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("確認した本人確認書類"),
        choices=(("", _("選択してください")), *DOCUMENT_TYPES),
        error_messages={
            "required": _("確認した本人確認書類の種類を選んでください。"),
            "invalid_choice": _("確認した本人確認書類の種類を選んでください。"),
        },
    )
    confirmed = forms.BooleanField(
        label=_(
            "写真付きの本人確認書類で、来庁した方が本人であること、氏名・生年月日・住所が住民記録と一致することを確認しました"
        ),
        error_messages={"required": _("本人確認書類で確認したら、チェックを入れてください。")},
    )

    def evidence(self) -> str:
        return DOCUMENT_EVIDENCE[self.cleaned_data["document_type"]]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("解除の理由"),
        max_length=500,
        validators=[validators.plain_text(multiline=True)],
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("解除の理由を入力してください。")},
    )

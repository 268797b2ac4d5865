"""The staff's forms of the benefits room: the account a counter or paper application pays to, a reason."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import pgettext_lazy

from madoguchi.jp.banks import find_bank, find_branch

from . import services, zengin

ACCOUNT_TYPE_CHOICES = [
    ("1", pgettext_lazy("benefits account type", "普通")),
    ("2", pgettext_lazy("benefits account type", "当座")),
    ("4", pgettext_lazy("benefits account type", "貯蓄")),
]
# The field of the form a problem of `services.account_problems` belongs to.
FIELD_OF_PROBLEM = {
    "bank_code": "bank_code",
    "branch_code": "branch_code",
    "account_type": "account_type",
    "account_number": "account_number",
    "holder": "holder_kana",
}
ACCOUNT_FIELDS = ("bank_code", "branch_code", "account_type", "account_number", "holder_kana")


def _digits(text: str) -> str:
    """Full-width digits, spaces and hyphens as a clerk may type or a letter may show them → ASCII digits."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch not in " -‐－ー")


class StaffAccountForm(forms.Form):
    """The account of a counter or paper application. With a 公金受取口座 on the 確認書 the clerk may take it
    ("public"); otherwise bank and branch by code (checked with zengin-code, names shown on the review) and the
    holder in kana, folded to the 全銀 half-width set the transfer file needs."""

    source = forms.ChoiceField(
        label=pgettext_lazy("benefits staff", "振込先"),
        choices=[
            ("public", pgettext_lazy("benefits staff", "市で把握している口座（公金受取口座）")),
            ("other", pgettext_lazy("benefits staff", "別の口座を入力する")),
        ],
        widget=forms.RadioSelect,
        initial="public",
    )
    bank_code = forms.CharField(
        label=pgettext_lazy("benefits staff", "金融機関コード（4桁）"), required=False, max_length=10
    )
    branch_code = forms.CharField(
        label=pgettext_lazy("benefits staff", "支店コード（3桁）"), required=False, max_length=10
    )
    account_type = forms.ChoiceField(
        label=pgettext_lazy("benefits staff", "預金種目"),
        choices=ACCOUNT_TYPE_CHOICES,
        initial="1",
        required=False,
    )
    account_number = forms.CharField(
        label=pgettext_lazy("benefits staff", "口座番号（7桁以内）"), required=False, max_length=20
    )
    holder_kana = forms.CharField(
        label=pgettext_lazy("benefits staff", "口座名義（カナ）"), required=False, max_length=60
    )

    def __init__(self, *args, has_public_account: bool, lang: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = lang
        self.has_public_account = has_public_account
        if not has_public_account:
            self.fields["source"].choices = [("other", pgettext_lazy("benefits staff", "口座を入力する"))]
            self.fields["source"].initial = "other"
            self.fields["source"].required = False

    def _message(self, ja: str, en: str) -> str:
        return en if self.lang == "en" else ja

    def clean(self):
        data = super().clean()
        source = data.get("source") or ("public" if self.has_public_account else "other")
        if source == "public" and not self.has_public_account:
            source = "other"
        data["source"] = source
        if source == "public":
            data["account"] = None
            return data
        missing = {
            "bank_code": (
                "金融機関コードを入力してください（通帳やキャッシュカードの4桁）。",
                "Enter the 4-digit bank code (on the passbook or cash card).",
            ),
            "branch_code": ("支店コードを入力してください（3桁）。", "Enter the 3-digit branch code."),
            "account_number": (
                "口座番号を入力してください（7桁以内の数字）。",
                "Enter the account number (up to 7 digits).",
            ),
            "holder_kana": (
                "口座名義をカタカナで入力してください（例：ミドリ　タロウ）。",
                "Enter the account holder in katakana (e.g. ミドリ タロウ).",
            ),
        }
        for name, (ja, en) in missing.items():
            if not (data.get(name) or "").strip():
                self.add_error(name, self._message(ja, en))
        if self.errors:
            return data
        account = services.AccountInput(
            _digits(data["bank_code"]),
            _digits(data["branch_code"]),
            data.get("account_type") or "1",
            _digits(data["account_number"]),
            data["holder_kana"],
        )
        for problem in services.account_problems(account):
            self.add_error(FIELD_OF_PROBLEM.get(problem.field), self._message(problem.ja, problem.en))
        if not self.errors:
            folded = zengin.fold_to_zengin(account.holder_kana)
            account = services.AccountInput(
                account.bank_code.zfill(4),
                account.branch_code.zfill(3),
                account.account_type,
                account.account_number.zfill(7),
                folded,
            )
        data["account"] = account
        return data


def describe_account(bank_code: str, branch_code: str) -> tuple[str, str]:
    """The bank's and the branch's names (zengin-code) for the review and the receipt; "" when unknown."""
    bank = find_bank(bank_code) if bank_code else None
    branch = find_branch(bank_code, branch_code) if bank and branch_code else None
    return (bank.name if bank else ""), (branch.name if branch else "")


class ReasonForm(forms.Form):
    """Why an application is rejected (不支給・取下げ) or sent back for a new account."""

    reason = forms.CharField(
        label=pgettext_lazy("benefits staff", "理由"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lang: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = (
            "Enter the reason. It is kept with the application."
            if lang == "en"
            else "理由を入力してください。理由は申請の記録に残ります。"
        )

"""Forms of the FAQ chat, the inquiry form and the office pages. Labels are Japanese msgids (English in locale/en)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core import validators
from madoguchi.faq.categories import category_table
from madoguchi.faq.models import Language
from madoguchi.faq.services import MAX_MESSAGE_CHARS
from madoguchi.procedures.models import Procedure

MAX_TYPED_CHARS = 100_000  # what a form accepts at all; the search reads at most 1,000 characters of it


def _text(label, *, help_text="", required=True, max_length=None, textarea=False, rows=4, autocomplete="off"):
    attrs = {"autocomplete": autocomplete}
    if textarea:
        attrs["rows"] = str(rows)
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=max_length,
        strip=True,
        validators=[validators.plain_text(multiline=textarea)],
        widget=forms.Textarea(attrs=attrs) if textarea else forms.TextInput(attrs=attrs),
        error_messages={
            "required": _("入力してください。"),
            "max_length": _("%(limit_value)d文字以内で入力してください（いまは%(show_value)d文字です）。"),
        },
    )


class AskForm(forms.Form):
    question = _text(
        _("質問"),
        help_text=_("例：住民票はどこでとれますか。個人番号（マイナンバー）は入力しないでください。"),
        max_length=MAX_TYPED_CHARS,
        textarea=True,
        rows=3,
    )
    lang = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].error_messages["required"] = _(
            "質問を入力してください。例：「住民票はどこでとれますか」"
        )


def category_choices(
    lang: str, *, department_code: str | None = None, blank: str = ""
) -> list[tuple[str, str]]:
    table = category_table()
    choices = [(c.name, c.name_for(lang)) for c in table.categories.values()]
    if department_code is not None:
        choices = [
            (name, label) for name, label in choices if table.get(name).department_code == department_code
        ]
    return [("", blank), *choices] if blank else choices


class InquiryForm(forms.Form):
    """A question for staff. Residents who are signed in get the reply on My Page; others by email."""

    category = forms.ChoiceField(label=_("何についての質問ですか"), required=False)
    question = _text(
        _("お問い合わせの内容"),
        help_text=_("個人番号（マイナンバー）は書かないでください。書かれた場合は自動で伏せ字にします。"),
        max_length=MAX_MESSAGE_CHARS,
        textarea=True,
        rows=6,
    )
    email = forms.EmailField(
        label=_("回答を受け取るメールアドレス"),
        help_text=_("例：midori.taro@example.jp"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": _("メールアドレスの形式が正しくありません。例：midori.taro@example.jp")},
    )
    source = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lang: str = "ja", signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(lang, blank=str(_("わからない・その他")))
        self.fields["question"].error_messages["required"] = _("お問い合わせの内容を入力してください。")
        if signed_in:
            del self.fields["email"]
        else:
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = _(
                "回答をお送りするメールアドレスを入力してください。ログインするとマイページで回答を確認できます。"
            )


class MessageForm(forms.Form):
    body = _text(_("メッセージ"), max_length=MAX_MESSAGE_CHARS, textarea=True, rows=5)


# ---- office -------------------------------------------------------------------------------------------------


def procedure_choices(lang: str) -> list[tuple[str, str]]:
    procedures = Procedure.objects.filter(is_active=True).order_by("department__code", "slug")
    return [("", str(_("なし")))] + [(p.slug, f"{p.name_for(lang)}（{p.slug}）") for p in procedures]


class VersionForm(forms.Form):
    question = _text(_("質問"), max_length=2000, textarea=True, rows=3)
    answer = _text(_("回答"), max_length=8000, textarea=True, rows=8)
    keywords = _text(
        _("キーワード"),
        help_text=_("住民が使いそうな言い方を1行に1つ書きます。検索に使います。"),
        required=False,
        max_length=4000,
        textarea=True,
        rows=4,
    )


class EntrySettingsForm(forms.Form):
    category = forms.ChoiceField(label=_("カテゴリ"))
    procedure_slug = forms.ChoiceField(
        label=_("関連する手続き（ポータルの手続きページへのリンク）"), required=False
    )
    is_active = forms.BooleanField(label=_("住民に表示する"), required=False)

    def __init__(self, *args, lang: str = "ja", department_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(lang, department_code=department_code)
        self.fields["procedure_slug"].choices = procedure_choices(lang)


class NewEntryForm(VersionForm):
    category = forms.ChoiceField(label=_("カテゴリ"))
    procedure_slug = forms.ChoiceField(
        label=_("関連する手続き（ポータルの手続きページへのリンク）"), required=False
    )

    field_order = ["category", "question", "answer", "keywords", "procedure_slug"]

    def __init__(self, *args, lang: str = "ja", department_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(
            lang, department_code=department_code, blank=str(_("選んでください"))
        )
        self.fields["category"].error_messages["required"] = _("カテゴリを選んでください。")
        self.fields["procedure_slug"].choices = procedure_choices(lang)


class ReplyForm(forms.Form):
    body = _text(
        _("回答"),
        help_text=_("住民のマイページとメールに届きます。個人番号は書かないでください。"),
        max_length=MAX_MESSAGE_CHARS,
        textarea=True,
        rows=8,
    )


LANGUAGE_TABS = (Language.JA, Language.EN, Language.JA_EASY)

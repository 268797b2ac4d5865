"""The office form of one hand-off format: the period of acceptance, a procedure (formats of one procedure),
and the encoding of the file."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import HandoffFormat

# (choice, encoding, bom); "" keeps what the configuration says.
ENCODING_CHOICES = (
    ("", _("設定のとおり"), None, None),
    ("utf-8", _("UTF-8"), "utf-8", False),
    ("utf-8-bom", _("UTF-8（BOM付き・Excel向け）"), "utf-8", True),
    ("cp932", _("Shift_JIS（CP932）"), "cp932", False),
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ExportForm(forms.Form):
    """One format's export form; the page shows one per format (prefix: the format's name)."""

    procedure = forms.ChoiceField(
        label=_("手続"),
        required=False,
        error_messages={"invalid_choice": _("一覧から手続を選んでください。")},
    )
    since = forms.DateField(
        label=_("承認日（から）"),
        widget=DateInput(),
        error_messages={
            "required": _("いつから承認した申請かを入力してください。"),
            "invalid": _("日付は 2026-04-01 の形で入力してください。"),
        },
    )
    until = forms.DateField(
        label=_("承認日（まで）"),
        widget=DateInput(),
        error_messages={
            "required": _("いつまでに承認した申請かを入力してください。"),
            "invalid": _("日付は 2026-04-01 の形で入力してください。"),
        },
    )
    encoding = forms.ChoiceField(
        label=_("文字コード"),
        required=False,
        choices=[(value, label) for value, label, _encoding, _bom in ENCODING_CHOICES],
    )

    def __init__(self, *args, fmt: HandoffFormat, procedures: list[tuple[str, str]], **kwargs) -> None:
        kwargs.setdefault("prefix", fmt.name)
        super().__init__(*args, **kwargs)
        self.fmt = fmt
        if fmt.one_procedure:
            self.fields["procedure"].required = True
            self.fields["procedure"].choices = [("", _("選んでください")), *procedures]
            self.fields["procedure"].error_messages["required"] = _("書き出す手続を選んでください。")
        else:
            del self.fields["procedure"]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("「まで」の日付は「から」の日付と同じか、それより後にしてください。"))
        return cleaned

    def procedures(self) -> list[str] | None:
        slug = self.cleaned_data.get("procedure")
        return [slug] if slug else None

    def encoding_and_bom(self) -> tuple[str | None, bool | None]:
        chosen = self.cleaned_data.get("encoding") or ""
        for value, _label, encoding, bom in ENCODING_CHOICES:
            if value == chosen:
                return encoding, bom
        return None, None

    @staticmethod
    def initial_for(since: dt.date, until: dt.date) -> dict:
        return {"since": since, "until": until, "encoding": ""}

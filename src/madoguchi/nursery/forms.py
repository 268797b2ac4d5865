"""Forms of the nursery office pages (labels in Japanese; English through the app's locale)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core import validators


class NewRoundForm(forms.Form):
    SOURCES = (("sheet", _("CSV・Excel ファイル")), ("cases", _("申請（保育施設等の利用申込）")))
    round_id = forms.CharField(label=_("回のID（例: 2027-04）"), max_length=40)
    reference_date = forms.DateField(label=_("基準日"), input_formats=["%Y-%m-%d"])
    source = forms.ChoiceField(
        label=_("申込の取り込み元"), choices=SOURCES, widget=forms.RadioSelect, initial="sheet"
    )
    facilities_file = forms.FileField(label=_("施設（CSV）または Excel ブック（.xlsx）"))
    applications_file = forms.FileField(label=_("申込（CSV）"), required=False)
    combinations_file = forms.FileField(label=_("組み合わせ（CSV、任意）"), required=False)


class RunForm(forms.Form):
    OBJECTIVES = (("stable", _("安定マッチング（推奨）")), ("municipal_sd", _("従来の手順（指数順）")))
    objective = forms.ChoiceField(label=_("割り当ての方法"), choices=OBJECTIVES, initial="stable")


class OverrideForm(forms.Form):
    facility_id = forms.ChoiceField(label=_("割り当てる施設"), required=False)
    reason = forms.CharField(
        label=_("変更の理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        validators=[validators.plain_text(multiline=True)],
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility_id"].choices = [("", _("割り当てなし（保留）")), *choices]

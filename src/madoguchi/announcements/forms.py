"""The office's announcement form: ja and en texts, publish date and expiry, and the optional target."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.announcements.models import AgeBand, HouseholdType
from madoguchi.residents.models import Person

DATE_HELP = _("例：2026-04-01")


def registry_towns() -> list[str]:
    """The 町字 of the registry's active residents, for the area choice."""
    return list(
        Person.objects.filter(is_active=True)
        .exclude(town="")
        .values_list("town", flat=True)
        .distinct()
        .order_by("town")
    )


class AnnouncementForm(forms.Form):
    title_ja = forms.CharField(
        label=_("題名（日本語）"),
        max_length=200,
        error_messages={"required": _("題名（日本語）を入力してください。")},
    )
    body_ja = forms.CharField(
        label=_("本文（日本語）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("本文（日本語）を入力してください。")},
    )
    title_en = forms.CharField(
        label=_("題名（英語）"),
        max_length=200,
        error_messages={"required": _("題名（英語）を入力してください。")},
    )
    body_en = forms.CharField(
        label=_("本文（英語）"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("本文（英語）を入力してください。")},
    )
    publish_on = forms.DateField(
        label=_("掲載開始日"),
        help_text=DATE_HELP,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("掲載開始日を入力してください。"),
            "invalid": _("掲載開始日を 2026-04-01 の形で入力してください。"),
        },
    )
    expires_on = forms.DateField(
        label=_("掲載終了日"),
        required=False,
        help_text=_("この日まで表示します。空欄なら終了日なし。例：2026-04-30"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("掲載終了日を 2026-04-30 の形で入力してください。")},
    )
    town = forms.ChoiceField(
        label=_("対象の地区（町字）"),
        required=False,
        help_text=_("選ぶと、住民記録でその地区にお住まいの本人確認済みの方のマイページにだけ表示します。"),
        error_messages={"invalid_choice": _("対象の地区は一覧から選んでください。")},
    )
    age_band = forms.ChoiceField(
        label=_("対象の年齢"),
        required=False,
        choices=[("", _("指定しない")), *AgeBand.choices],
        help_text=_("年齢は表示する日の時点で数えます。"),
        error_messages={"invalid_choice": _("対象の年齢は一覧から選んでください。")},
    )
    household_type = forms.ChoiceField(
        label=_("対象の世帯"),
        required=False,
        choices=[("", _("指定しない")), *HouseholdType.choices],
        error_messages={"invalid_choice": _("対象の世帯は一覧から選んでください。")},
    )

    def __init__(self, *args, current_town: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        towns = registry_towns()
        if current_town and current_town not in towns:
            towns.append(current_town)  # an area no longer in the registry stays choosable while edited
        self.fields["town"].choices = [("", _("指定しない（全員）")), *((t, t) for t in towns)]

    def clean(self):
        # Texts of blanks only are empty (CharField strips them) and get their field's "required" message.
        cleaned = super().clean()
        publish_on, expires_on = cleaned.get("publish_on"), cleaned.get("expires_on")
        if publish_on and expires_on and expires_on < publish_on:
            self.add_error(
                "expires_on",
                _(
                    "掲載終了日が掲載開始日より前です。掲載開始日と同じ日か、それより後の日を入力してください。"
                ),
            )
        return cleaned

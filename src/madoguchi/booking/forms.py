"""Forms of the booking pages: who the booking is for, and the office's calendar screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.booking.models import AppointmentType, CalendarException, OpeningHours, Window
from madoguchi.jp.phone import PhoneNumberError, phone_digits
from madoguchi.jp.wareki import DateParseError, parse_date


def _lang() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


class PersonForm(forms.Form):
    """Name, phone number and birth date: enough to book without an account (and to check in by phone)."""

    name = forms.CharField(
        label=_("お名前"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("お名前を入力してください。")},
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=30,
        help_text=_("携帯電話の番号なら、予約の前日にショートメッセージでお知らせします。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
        error_messages={"required": _("電話番号を入力してください。")},
    )
    birth_date = forms.CharField(
        label=_("生年月日"),
        max_length=40,
        help_text=_("例：1946-05-03、昭和21年5月3日"),
        widget=forms.TextInput(attrs={"autocomplete": "bday"}),
        error_messages={"required": _("生年月日を入力してください。")},
    )
    email = forms.EmailField(
        label=_("メールアドレス"),
        required=False,
        help_text=_("入力すると、予約の確認と前日のお知らせをメールでお送りします。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("メールアドレスの形が正しくありません。例：hanako@example.jp")},
    )

    def clean_phone(self) -> str:
        try:
            return phone_digits(self.cleaned_data["phone"])
        except PhoneNumberError as exc:
            raise forms.ValidationError(exc.message(_lang())) from None

    def clean_birth_date(self):
        try:
            return parse_date(self.cleaned_data["birth_date"])
        except DateParseError as exc:
            raise forms.ValidationError(exc.message(_lang())) from None


class CheckInForm(forms.Form):
    """The kiosk: the booking's QR code (a scanner types it) or the phone number and birth date."""

    code = forms.CharField(
        label=_("予約番号（QRコード）"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel", "autocomplete": "off"}),
    )
    birth_date = forms.CharField(
        label=_("生年月日"),
        max_length=40,
        required=False,
        help_text=_("例：1946-05-03、昭和21年5月3日"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("code"):
            return data
        if not data.get("phone") or not data.get("birth_date"):
            raise forms.ValidationError(_("QRコードを読み取るか、電話番号と生年月日を入力してください。"))
        try:
            data["phone"] = phone_digits(data["phone"])
            data["birth_date"] = parse_date(data["birth_date"])
        except (PhoneNumberError, DateParseError) as exc:
            raise forms.ValidationError(exc.message(_lang())) from None
        return data


class WindowForm(forms.ModelForm):
    class Meta:
        model = Window
        fields = ["code", "department", "name_ja", "name_en", "ticket_prefix", "is_active"]


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = [
            "code",
            "window",
            "name_ja",
            "name_en",
            "description_ja",
            "description_en",
            "slot_minutes",
            "capacity",
            "horizon_days",
            "is_active",
        ]


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["window", "weekday", "opens", "closes"]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("opens") and data.get("closes") and data["closes"] <= data["opens"]:
            raise forms.ValidationError(_("終了の時刻は開始より後にしてください。"))
        return data


class CalendarExceptionForm(forms.ModelForm):
    class Meta:
        model = CalendarException
        fields = ["window", "day", "kind", "opens", "closes", "note_ja", "note_en"]
        widgets = {
            "day": forms.DateInput(attrs={"type": "date"}),
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("kind") and data["kind"] != "closed":
            if not data.get("opens") or not data.get("closes"):
                raise forms.ValidationError(_("臨時開庁と延長には、開始と終了の時刻を入力してください。"))
            if data["closes"] <= data["opens"]:
                raise forms.ValidationError(_("終了の時刻は開始より後にしてください。"))
        return data

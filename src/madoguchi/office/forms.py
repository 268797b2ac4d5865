"""Forms of the staff pages: sign-in, queue filters, case actions, internal notes and the audit search."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.cases.models import Channel, Status
from madoguchi.cases.selectors import UNASSIGNED
from madoguchi.core import validators
from madoguchi.office import labels

TEXT_MAX_LENGTH = 4000
NIGHT_STARTS_AT = 22  # 22:00–06:00 local time counts as night-time access
NIGHT_ENDS_AT = 6


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません。例：taro.midori@city.midori.example.jp"),
        },
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=200,
        widget=forms.PasswordInput,
        error_messages={"required": _("パスワードを入力してください。")},
    )


class CodeForm(forms.Form):
    """The second sign-in step (MADOGUCHI_STAFF_MFA): the 6-digit code of the authenticator app."""

    code = forms.CharField(
        label=_("確認コード（6桁）"),
        max_length=20,
        error_messages={
            "required": _("認証アプリに表示されている6桁の数字を入力してください。"),
            "max_length": _("確認コードは6桁の数字です。認証アプリに表示されている数字を入力してください。"),
        },
    )


class BackupCodeForm(forms.Form):
    """The second sign-in step with one of the ten one-time backup codes instead of the app."""

    backup_code = forms.CharField(
        label=_("バックアップコード（8文字）"),
        max_length=20,
        error_messages={
            "required": _("まだ使っていないバックアップコードを1つ入力してください。"),
            "max_length": _(
                "バックアップコードは「abcd-efgh」のような8文字です。控えてあるコードを入力してください。"
            ),
        },
    )


class QueueFilterForm(forms.Form):
    """GET parameters of the queue. Unknown values are ignored rather than reported: a filter never fails."""

    status = forms.ChoiceField(required=False)
    procedure = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False)
    mine = forms.BooleanField(required=False)
    assignee = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=100, strip=True)  # 受付番号, name (kanji/kana) or phone

    def __init__(self, data, *, procedures: list[tuple[str, str]], assignees: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["assignee"].choices = [
            ("", _("すべての担当者")),
            (UNASSIGNED, _("未割当")),
            *assignees,
        ]
        self.fields["status"].choices = [("", _("未完了のすべて"))] + [
            (value, labels.status_label(value)) for value in Status.values if value != Status.DRAFT
        ]
        self.fields["procedure"].choices = [("", _("すべての手続き")), *procedures]
        self.fields["channel"].choices = [("", _("すべてのチャネル"))] + [
            (value, labels.channel_label(value)) for value in Channel.values
        ]

    def value_of(self, name: str):
        """The cleaned value of one filter, or its empty value when it was missing or not valid."""
        self.is_valid()
        if name in self.cleaned_data:
            return self.cleaned_data[name]
        return False if name in {"overdue", "mine"} else ""


class ActionForm(forms.Form):
    action = forms.CharField(max_length=40)
    note = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        validators=[validators.plain_text(multiline=True)],
        error_messages={"max_length": _("4000文字以内で入力してください。")},
    )


class AssignForm(forms.Form):
    """The assign action's choice of colleague. `choices` are (user id, label) of the department's
    assignable staff; a missing value means the staff member takes the case themselves."""

    assignee = forms.TypedChoiceField(
        label=_("担当者"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={
            "invalid_choice": _(
                "選んだ職員は担当者にできません。この課で審査を行う職員を一覧から選び直してください。"
            ),
        },
    )

    def __init__(self, data=None, *, choices: list[tuple[int, str]]) -> None:
        super().__init__(data)
        self.fields["assignee"].choices = choices


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("内部メモ"),
        max_length=TEXT_MAX_LENGTH,
        validators=[validators.plain_text(multiline=True)],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("メモの内容を入力してください。"),
            "max_length": _("4000文字以内で入力してください。"),
        },
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AuditSearchForm(forms.Form):
    """Search of the audit log. `apply` narrows a queryset of AuditEvent rows by the valid filters."""

    staff = forms.EmailField(
        label=_("職員のメールアドレス"),
        required=False,
        error_messages={"invalid": _("メールアドレスの形式が正しくありません。")},
    )
    person_id = forms.IntegerField(
        label=_("住民ID"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("住民IDは数字で入力してください。"),
            "min_value": _("住民IDは1以上の数字で入力してください。"),
        },
    )
    date_from = forms.DateField(
        label=_("期間（から）"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("日付は 2025-04-01 の形で入力してください。")},
    )
    date_to = forms.DateField(
        label=_("期間（まで）"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("日付は 2025-04-01 の形で入力してください。")},
    )
    night = forms.BooleanField(label=_("夜間（22時〜6時）のアクセスのみ"), required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("「まで」の日付は「から」の日付と同じか、それより後にしてください。"))
        return cleaned

    def used_filters(self) -> list[str]:
        return [name for name, value in self.cleaned_data.items() if value not in (None, "", False)]

    def apply(self, events: QuerySet, *, actor_ids: list[int] | None) -> QuerySet:
        """Filter audit rows. `actor_ids` are the ids of the staff member searched for (None: any)."""
        cleaned = self.cleaned_data
        if actor_ids is not None:
            events = events.filter(actor_id__in=actor_ids)
        if cleaned.get("person_id"):
            events = events.filter(person_id=cleaned["person_id"])
        tz = timezone.get_current_timezone()
        if cleaned.get("date_from"):
            start = dt.datetime.combine(cleaned["date_from"], dt.time.min, tzinfo=tz)
            events = events.filter(created_at__gte=start)
        if cleaned.get("date_to"):
            end = dt.datetime.combine(cleaned["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            events = events.filter(created_at__lt=end)
        if cleaned.get("night"):
            events = events.filter(
                Q(created_at__hour__gte=NIGHT_STARTS_AT) | Q(created_at__hour__lt=NIGHT_ENDS_AT)
            )
        return events


def is_night(moment: dt.datetime) -> bool:
    hour = timezone.localtime(moment).hour
    return hour >= NIGHT_STARTS_AT or hour < NIGHT_ENDS_AT

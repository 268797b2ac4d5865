"""Windows (窓口), their calendars, appointment types, slots, bookings and the day's numbered tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from madoguchi.accounts.models import Department


class Window(models.Model):  # 窓口: a counter residents queue at; its tickets are numbered per day
    code = models.SlugField(max_length=40, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="windows")
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100)
    ticket_prefix = models.CharField(_("番号の頭文字"), max_length=2, blank=True, help_text=_("例：A"))
    is_active = models.BooleanField(_("受付中"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_ja

    def name_for(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


class OpeningHours(models.Model):  # 受付時間 per weekday
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(
        _("曜日"),
        choices=[
            (0, _("月曜日")),
            (1, _("火曜日")),
            (2, _("水曜日")),
            (3, _("木曜日")),
            (4, _("金曜日")),
            (5, _("土曜日")),
            (6, _("日曜日")),
        ],
    )
    opens = models.TimeField(_("開始"))
    closes = models.TimeField(_("終了"))

    class Meta:
        ordering = ["window", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="booking_hours_close_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window} {self.weekday} {self.opens}-{self.closes}"


class ExceptionKind(models.TextChoices):
    OPEN = "open", _("臨時開庁（休日窓口）")
    EXTRA = "extra", _("受付時間の延長")
    CLOSED = "closed", _("臨時休業")


class CalendarException(models.Model):  # 休日窓口, 夜間延長, 臨時休業 for one window (or all: window empty)
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name=_("窓口"),
        help_text=_("空欄にするとすべての窓口に適用します。"),
    )
    day = models.DateField(_("日付"))
    kind = models.CharField(_("種類"), max_length=10, choices=ExceptionKind.choices)
    opens = models.TimeField(_("開始"), null=True, blank=True)
    closes = models.TimeField(_("終了"), null=True, blank=True)
    note_ja = models.CharField(_("お知らせ"), max_length=200, blank=True)
    note_en = models.CharField(_("お知らせ（英語）"), max_length=200, blank=True)

    class Meta:
        ordering = ["day", "window"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="closed")
                | Q(opens__isnull=False, closes__isnull=False, closes__gt=models.F("opens")),
                name="booking_exception_has_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class AppointmentType(models.Model):  # 予約の種類: マイナンバーカード受け取り, 転入・転出の届出, 相談 …
    code = models.SlugField(_("コード"), max_length=40, unique=True)
    window = models.ForeignKey(
        Window, on_delete=models.PROTECT, related_name="appointment_types", verbose_name=_("窓口")
    )
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100)
    description_ja = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("説明（英語）"), blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("1枠の時間（分）"), default=30)
    capacity = models.PositiveSmallIntegerField(_("1枠の定員"), default=2)
    horizon_days = models.PositiveSmallIntegerField(_("何日先まで予約できるか"), default=60)
    is_active = models.BooleanField(_("受付中"), default=True)

    class Meta:
        ordering = ["window", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="booking_type_slot_at_least_5_min"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="booking_type_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name_ja

    def name_for(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja

    def description_for(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_ja


class Slot(models.Model):
    """A slot that has been booked at least once: its capacity and how many seats are taken.

    Created on the first booking. `booked` only changes by a conditional UPDATE (`booked < capacity`); the
    check constraint is the last guard, so a slot never holds more bookings than seats whatever the code does.
    """

    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment_type", "starts_at"], name="booking_slot_unique"),
            models.CheckConstraint(
                condition=Q(booked__lte=models.F("capacity")), name="booking_slot_not_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type.code} {self.starts_at:%Y-%m-%d %H:%M} {self.booked}/{self.capacity}"


class Channel(models.TextChoices):
    MYPAGE = "mypage", _("マイページ")
    GUEST = "guest", _("ゲスト（アカウントなし）")
    PHONE = "phone", _("電話（職員が代理で予約）")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("予約済み")
    CHECKED_IN = "checked_in", pgettext_lazy("booking status", "受付済み")
    CANCELLED = "cancelled", _("取消し")


ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)


class Booking(models.Model):
    reference = models.CharField(max_length=12, unique=True)  # the code in the QR and on the confirmation
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    day = models.DateField()  # local date of starts_at, for the one-per-person-per-type-per-day rule
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=20)  # digits only
    birth_date = models.DateField()
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=5, default="ja")
    # Who the booking is for, one key for "the same person": the phone number and birth date.
    person_key = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["day", "appointment_type"]),
            models.Index(fields=["phone", "birth_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "appointment_type", "day"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="booking_one_per_person_type_day",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("お待ち")
    CALLED = "called", _("呼び出し中")
    DONE = "done", _("完了")
    ABSENT = "absent", _("不在")


class TicketSequence(models.Model):
    """The last 呼び出し番号 issued at a window on a day; incremented by one UPDATE under the row lock."""

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["window", "day"], name="booking_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.window_id} {self.day} {self.last}"


class Ticket(models.Model):  # 呼び出し番号
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField()
    number = models.PositiveIntegerField()
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    issued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    desk = models.CharField(max_length=20, blank=True)  # the counter number the clerk calls to: "3番窓口"
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "window", "number"]
        constraints = [
            models.UniqueConstraint(fields=["window", "day", "number"], name="booking_ticket_unique")
        ]
        indexes = [models.Index(fields=["window", "day", "status"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.window.ticket_prefix}{self.number:03d}"

"""Every write of the booking room: book, change, cancel, remind, check in, issue and call numbers.

Seats are counted safely: a booking takes a seat with one conditional UPDATE (`booked < capacity`), and a
check constraint on the slot is the last guard. 呼び出し番号 come from a per-window-per-day sequence row
incremented under its row lock, with a unique constraint behind it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from madoguchi.booking import errors, selectors
from madoguchi.booking.models import (
    ACTIVE_STATUSES,
    AppointmentType,
    Booking,
    BookingStatus,
    Channel,
    Slot,
    Ticket,
    TicketSequence,
    TicketStatus,
    Window,
)
from madoguchi.notify import channels
from madoguchi.notify import services as notify_services

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
MANAGE_SALT = "madoguchi.booking.manage"
MANAGE_MAX_AGE = 400 * 24 * 3600


def normalize_phone(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def person_key(phone: str, birth_date: dt.date) -> str:
    return f"{normalize_phone(phone)}:{birth_date.isoformat()}"


def manage_token(booking: Booking) -> str:
    """The signed token of the change-and-cancel link (no sign-in needed)."""
    return signing.dumps(booking.reference, salt=MANAGE_SALT)


def booking_from_token(token: str) -> Booking | None:
    try:
        reference = signing.loads(token, salt=MANAGE_SALT, max_age=MANAGE_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Booking.objects.select_related("appointment_type__window", "case").filter(reference=reference).first()
    )


def parse_slot(value: str) -> dt.datetime:
    """A slot value of the form ("2026-12-08T09:30") as an aware local datetime; not_a_slot when malformed."""
    try:
        naive = dt.datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")
    except (ValueError, AttributeError):
        raise errors.not_a_slot() from None
    return timezone.make_aware(naive)


def check_slot(*, appointment_type: AppointmentType, starts_at: dt.datetime) -> None:
    """Raise the BookingError that says why `starts_at` cannot be booked, if it cannot."""
    local = timezone.localtime(starts_at)
    day = local.date()
    if starts_at <= timezone.now():
        raise errors.past()
    if day > timezone.localdate() + dt.timedelta(days=appointment_type.horizon_days):
        raise errors.too_far(appointment_type.horizon_days)
    cal = selectors.calendar_of(appointment_type.window)
    if not cal.is_open(day):
        raise errors.closed_day(cal.why_closed(day) or "")
    if local.time().replace(tzinfo=None) not in cal.slots_on(day, appointment_type.slot_minutes):
        raise errors.not_a_slot()


def _take_seat(appointment_type: AppointmentType, starts_at: dt.datetime) -> Slot:
    slot, _ = Slot.objects.get_or_create(
        appointment_type=appointment_type,
        starts_at=starts_at,
        defaults={"capacity": appointment_type.capacity},
    )
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if not taken:
        raise errors.slot_full()
    return slot


def _free_seat(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def book(
    *,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    name: str,
    phone: str,
    birth_date: dt.date,
    email: str = "",
    channel: str,
    user=None,
    booked_by=None,
    case=None,
    language: str = "ja",
) -> Booking:
    """Book one seat, or raise a BookingError and change nothing."""
    if not appointment_type.is_active or not appointment_type.window.is_active:
        raise errors.not_a_slot()
    check_slot(appointment_type=appointment_type, starts_at=starts_at)
    key = person_key(phone, birth_date)
    day = timezone.localtime(starts_at).date()
    if Booking.objects.filter(
        person_key=key, appointment_type=appointment_type, day=day, status__in=ACTIVE_STATUSES
    ).exists():
        raise errors.duplicate()
    with transaction.atomic():
        slot = _take_seat(appointment_type, starts_at)
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    reference=_new_reference(),
                    appointment_type=appointment_type,
                    slot=slot,
                    starts_at=starts_at,
                    day=day,
                    channel=channel,
                    user=user,
                    booked_by=booked_by,
                    case=case,
                    name=name.strip()[:100],
                    phone=normalize_phone(phone),
                    birth_date=birth_date,
                    email=email.strip(),
                    language="en" if language == "en" else "ja",
                    person_key=key,
                )
        except IntegrityError:
            # The same person booked the same day in a concurrent request (the partial unique constraint);
            # raising rolls the seat back with the outer transaction.
            raise errors.duplicate() from None
        transaction.on_commit(lambda: _confirm(booking.pk))
    return booking


def change(*, booking: Booking, starts_at: dt.datetime) -> Booking:
    """Move a booking to another slot: the new seat is taken before the old one is freed, in one transaction."""
    if not booking.is_active:
        raise errors.not_active()
    if starts_at == booking.starts_at:
        return booking
    check_slot(appointment_type=booking.appointment_type, starts_at=starts_at)
    day = timezone.localtime(starts_at).date()
    if (
        Booking.objects.filter(
            person_key=booking.person_key,
            appointment_type=booking.appointment_type,
            day=day,
            status__in=ACTIVE_STATUSES,
        )
        .exclude(pk=booking.pk)
        .exists()
    ):
        raise errors.duplicate()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if not locked.is_active:
            raise errors.not_active()
        slot = _take_seat(booking.appointment_type, starts_at)
        _free_seat(locked.slot_id)
        locked.slot = slot
        locked.starts_at = starts_at
        locked.day = day
        locked.reminded_at = None
        try:
            with transaction.atomic():
                locked.save(update_fields=["slot", "starts_at", "day", "reminded_at"])
        except IntegrityError:
            raise errors.duplicate() from None
        transaction.on_commit(lambda: _confirm(locked.pk, changed=True))
    return locked


def cancel(*, booking: Booking) -> Booking:
    """Cancel a booking and free its seat; cancelling twice changes nothing."""
    with transaction.atomic():
        updated = Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
            status=BookingStatus.CANCELLED, cancelled_at=timezone.now()
        )
        if updated:
            _free_seat(booking.slot_id)
    booking.refresh_from_db()
    return booking


# ---- messages ------------------------------------------------------------------------------------------------


def describe(booking: Booking, lang: str) -> str:
    local = timezone.localtime(booking.starts_at)
    window = booking.appointment_type.window
    if lang == "en":
        return f"{booking.appointment_type.name_en}, {local:%Y-%m-%d (%a) %H:%M}, {window.name_en}"
    weekday = "月火水木金土日"[local.weekday()]
    return (
        f"{booking.appointment_type.name_ja} {local:%Y年%m月%d日}（{weekday}）{local:%H:%M} {window.name_ja}"
    )


def manage_url(booking: Booking) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("booking:manage", args=[manage_token(booking)])


def _confirm(booking_id: int, *, changed: bool = False) -> None:
    """After commit: the confirmation in the inbox (signed-in) or by email, and by SMS when there is no email."""
    booking = Booking.objects.select_related("appointment_type__window", "user", "case").get(pk=booking_id)
    url = manage_url(booking)
    title_ja = "来庁予約を変更しました" if changed else "来庁予約を受け付けました"
    title_en = "Your visit booking was changed" if changed else "Your visit booking is confirmed"
    body_ja = f"{describe(booking, 'ja')}\n予約番号: {booking.reference}\n変更・取消し: {url}"
    body_en = f"{describe(booking, 'en')}\nBooking code: {booking.reference}\nChange or cancel: {url}"
    try:
        if booking.user is not None:
            notify_services.send_notice(
                recipient=booking.user,
                case=booking.case,
                kind="booking.confirmed",
                title_ja=title_ja,
                title_en=title_en,
                body_ja=body_ja,
                body_en=body_en,
            )
        elif booking.email:
            en = booking.language == "en"
            channels.send(
                "email",
                channels.OutgoingMessage(
                    to=booking.email,
                    subject=f"[{settings.MUNICIPALITY_NAME}] {title_en if en else title_ja}",
                    body=body_en if en else body_ja,
                ),
            )
        else:
            channels.send("sms", channels.OutgoingMessage(to=booking.phone, body=_sms_text(booking, url)))
    except Exception:  # a message that cannot go out never undoes a committed booking
        logger.warning("booking %s: confirmation not sent", booking_id, exc_info=True)


def _sms_text(booking: Booking, url: str, *, reminder: bool = False) -> str:
    if booking.language == "en":
        head = "Reminder: tomorrow" if reminder else "Booked"
        return f"[{settings.MUNICIPALITY_NAME_EN}] {head}: {describe(booking, 'en')} Code {booking.reference} {url}"
    head = "明日のご予約" if reminder else "予約しました"
    return (
        f"【{settings.MUNICIPALITY_NAME}】{head}：{describe(booking, 'ja')} 予約番号{booking.reference} {url}"
    )


def send_reminders(*, now: dt.datetime | None = None) -> int:
    """The day-before reminders (email and SMS), once per booking: each booking is claimed by a conditional
    UPDATE of `reminded_at` before anything is sent, and every message carries a once-only key."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.BOOKING_REMINDER_HOUR:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    sent = 0
    ids = list(
        Booking.objects.filter(day=tomorrow, status=BookingStatus.BOOKED, reminded_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for booking_id in ids:
        if not Booking.objects.filter(pk=booking_id, reminded_at__isnull=True).update(reminded_at=now):
            continue  # another worker claimed it
        booking = Booking.objects.select_related("appointment_type__window", "user").get(pk=booking_id)
        url = manage_url(booking)
        email = booking.email or (booking.user.email if booking.user else "")
        if email:
            en = booking.language == "en"
            channels.send(
                "email",
                channels.OutgoingMessage(
                    to=email,
                    subject=f"[{settings.MUNICIPALITY_NAME}] "
                    + ("Your visit tomorrow" if en else "明日は来庁のご予約日です"),
                    body=(describe(booking, "en") if en else describe(booking, "ja"))
                    + (
                        f"\nBooking code: {booking.reference}\nChange or cancel: {url}"
                        if en
                        else f"\n予約番号: {booking.reference}\n変更・取消し: {url}"
                    ),
                    key=f"booking:{booking.pk}:reminder:email",
                ),
            )
        channels.send(
            "sms",
            channels.OutgoingMessage(
                to=booking.phone,
                body=_sms_text(booking, url, reminder=True),
                key=f"booking:{booking.pk}:reminder:sms",
            ),
        )
        sent += 1
    return sent


# ---- arrival and the queue ---------------------------------------------------------------------------------


def _next_number(window: Window, day: dt.date) -> int:
    """The next 呼び出し番号: the sequence row is incremented by one UPDATE, which holds its row lock until the
    caller's transaction commits, so concurrent kiosks get consecutive, distinct numbers."""
    sequence, _ = TicketSequence.objects.get_or_create(window=window, day=day)
    TicketSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    return TicketSequence.objects.values_list("last", flat=True).get(pk=sequence.pk)


def issue_ticket(*, window: Window, booking: Booking | None = None) -> Ticket:
    """A numbered ticket for today at `window` (a walk-in when `booking` is None)."""
    today = timezone.localdate()
    with transaction.atomic():
        number = _next_number(window, today)
        return Ticket.objects.create(
            window=window, day=today, number=number, booking=booking, issued_at=timezone.now()
        )


def check_in(*, booking: Booking) -> Ticket:
    """Arrival of a booked resident: today's booking gets a number (the same one when checked in twice)."""
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update().select_related("appointment_type__window").get(pk=booking.pk)
        )
        if locked.status == BookingStatus.CANCELLED:
            raise errors.not_active()
        if locked.day != timezone.localdate():
            raise errors.not_today()
        existing = Ticket.objects.filter(booking=locked).select_related("window").first()
        if existing is not None:
            return existing
        ticket = issue_ticket(window=locked.appointment_type.window, booking=locked)
        locked.status = BookingStatus.CHECKED_IN
        locked.checked_in_at = ticket.issued_at
        locked.save(update_fields=["status", "checked_in_at"])
    return ticket


def find_for_check_in(*, phone: str, birth_date: dt.date) -> Booking | None:
    """Today's active booking of the person with this phone number and birth date (the earliest)."""
    return (
        Booking.objects.filter(
            person_key=person_key(phone, birth_date), day=timezone.localdate(), status__in=ACTIVE_STATUSES
        )
        .select_related("appointment_type__window")
        .order_by("starts_at")
        .first()
    )


def call_next(*, window: Window, clerk, desk: str = "") -> Ticket | None:
    """Finish the clerk's current number at this window and call the next waiting one (lowest number first).
    Two clerks calling at once get different numbers: the row is taken with a conditional UPDATE."""
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        Ticket.objects.filter(window=window, day=today, status=TicketStatus.CALLED, called_by=clerk).update(
            status=TicketStatus.DONE, done_at=now
        )
        for _ in range(20):
            candidates = Ticket.objects.filter(
                window=window, day=today, status=TicketStatus.WAITING
            ).order_by("number")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            ticket = candidates.first()
            if ticket is None:
                return None
            taken = Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED, called_at=now, called_by=clerk, desk=desk[:20]
            )
            if taken:
                ticket.refresh_from_db()
                return ticket
    return None


def finish_ticket(*, ticket: Ticket, clerk, absent: bool = False) -> None:
    """The clerk is done with a called number (served, or the resident did not come: 不在)."""
    Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(
        status=TicketStatus.ABSENT if absent else TicketStatus.DONE, done_at=timezone.now()
    )


__all__ = [
    "Channel",
    "book",
    "call_next",
    "cancel",
    "change",
    "check_in",
    "finish_ticket",
    "issue_ticket",
    "send_reminders",
]

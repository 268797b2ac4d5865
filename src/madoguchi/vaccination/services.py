"""Every write of mass vaccination booking: invitations, booking, changing and cancelling a booked dose.

The booking path is one short transaction:

1. the slot's seat is taken by one conditional UPDATE (`booked = booked + 1 … WHERE booked < capacity AND
   starts_at > now`): concurrent requests for the last seat queue on the row lock and the condition is
   evaluated again after it, so exactly `capacity` of them get a seat and the rest are told 満席;
2. the booking row is inserted; the partial unique index (one active booking per person, campaign and dose)
   refuses a second one, and the CHECK `booked <= capacity` is the last guard on the seat count;
3. a retry (a client that lost the answer when a worker or the database restarted) is answered with the
   booking already made: by its Idempotency-Key, or by the natural key (person, campaign, dose) when the
   same slot was asked for. Nothing is ever booked twice and nothing that was committed is lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from madoguchi.core.errors import MadoguchiError
from madoguchi.vaccination.models import Booking, Campaign, Invitation, Slot, Venue, Wave

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


class VaccinationError(MadoguchiError):
    """A booking refused for a reason the resident can act on; nothing was written."""

    http_status = 409


class InvitationNotFound(VaccinationError):
    http_status = 404


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _day(moment: dt.datetime) -> str:
    return f"{_local(moment):%Y-%m-%d}"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def new_invitation_code() -> str:
    return f"{secrets.randbelow(10**10):010d}"


# --- who is booking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    """What booking needs to know of an invitation, read in one query."""

    invitation_id: int
    person_id: int
    campaign_id: int
    doses: int
    min_days: int
    opens_at: dt.datetime | None


def find_invitation(*, code: str, birth_date: dt.date) -> Invitee:
    """The invitation of 接種券番号 `code` whose holder was born on `birth_date`; one message for both
    wrong cases, so that a guess does not tell which half was wrong."""
    code = "".join(ch for ch in code if ch.isdigit())
    row = (
        Invitation.objects.filter(code=code, birth_date=birth_date)
        .values_list(
            "pk",
            "person_id",
            "campaign_id",
            "campaign__doses",
            "campaign__min_days_between_doses",
            "wave__opens_at",
        )
        .first()
    )
    if row is None:
        raise InvitationNotFound(
            "invitation_not_found",
            "接種券番号または生年月日が違います。接種券に印刷された10桁の番号と、生年月日を確かめてもう一度入力してください。",
            "The invitation number or the date of birth is wrong. Check the 10-digit number printed on your "
            "invitation (接種券) and your date of birth, and try again.",
            field="code",
        )
    return Invitee(*row)


def _require_open(invitee: Invitee, now: dt.datetime) -> None:
    if invitee.opens_at is not None and invitee.opens_at > now:
        opens = _local(invitee.opens_at)
        raise VaccinationError(
            "wave_not_open",
            f"あなたの予約受付は {opens:%Y年%m月%d日 %H:%M} からです。その時刻以降にもう一度お越しください。",
            f"Booking opens for you on {opens:%Y-%m-%d at %H:%M}. Please come back then.",
        )


# --- booking -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    created: bool  # False: a retry answered with the booking already made


def _slot_full() -> VaccinationError:
    return VaccinationError(
        "slot_full",
        "満席です。この枠は埋まりました。別の日時か会場を選んでください。",
        "Fully booked: this slot has just filled up. Please choose another time or venue.",
        field="slot",
    )


def _slot_unavailable(slot_id: int, campaign_id: int, now: dt.datetime) -> VaccinationError:
    """Why the conditional UPDATE took no seat: full, already started, or not a slot of this campaign."""
    slot = (
        Slot.objects.filter(pk=slot_id, campaign_id=campaign_id).values_list("starts_at", flat=True).first()
    )
    if slot is None:
        return VaccinationError(
            "slot_not_found",
            "選んだ接種枠が見つかりません。枠の一覧からもう一度選んでください。",
            "The chosen slot does not exist. Please choose again from the list.",
            field="slot",
        )
    if slot <= now:
        return VaccinationError(
            "slot_past",
            "この枠の受付は終わりました（開始時刻を過ぎています）。これからの日時を選んでください。",
            "This slot has already started. Please choose a later time.",
            field="slot",
        )
    return _slot_full()


def _take_seat(*, slot_id: int, campaign_id: int, now: dt.datetime) -> None:
    """The first guard: one conditional UPDATE; no seat is taken when none is free."""
    taken = Slot.objects.filter(
        pk=slot_id, campaign_id=campaign_id, booked__lt=F("capacity"), starts_at__gt=now
    ).update(booked=F("booked") + 1)
    if not taken:
        raise _slot_unavailable(slot_id, campaign_id, now)


_SEAT_AND_INSERT = (
    # The conditional UPDATE of _take_seat and the INSERT of the booking as one statement: the INSERT reads
    # the UPDATE's RETURNING, so no seat means no row, and a unique violation (one active booking per person,
    # campaign and dose; the Idempotency-Key) or the CHECK booked <= capacity undoes the seat with the insert.
    f"WITH seat AS (UPDATE {Slot._meta.db_table} SET booked = booked + 1 "  # noqa: S608 - the models' tables
    "WHERE id = %(slot)s AND campaign_id = %(campaign)s AND booked < capacity AND starts_at > %(now)s "
    "RETURNING id) "
    f"INSERT INTO {Booking._meta.db_table} (campaign_id, invitation_id, person_id, dose, slot_id, reference, "
    "idempotency_key, created_at) "
    "SELECT %(campaign)s, %(invitation)s, %(person)s, 1, seat.id, %(reference)s, %(key)s, %(now)s FROM seat "
    "RETURNING id"
)


def _seat_and_insert(
    invitee: Invitee, *, slot_id: int, idempotency_key: str | None, now: dt.datetime
) -> Booking | None:
    """Take a seat and book dose 1 in one PostgreSQL statement; None when no seat was free (nothing written).
    Outside a transaction the statement is its own; inside one (a test, a caller's block) it gets a savepoint
    so that a unique violation leaves the caller's transaction usable."""
    reference = new_reference()
    params = {
        "slot": slot_id,
        "campaign": invitee.campaign_id,
        "now": now,
        "invitation": invitee.invitation_id,
        "person": invitee.person_id,
        "reference": reference,
        "key": idempotency_key,
    }
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(_SEAT_AND_INSERT, params)
        row = cursor.fetchone()
    if row is None:
        return None
    booking = Booking(
        id=row[0],
        campaign_id=invitee.campaign_id,
        invitation_id=invitee.invitation_id,
        person_id=invitee.person_id,
        dose=1,
        slot_id=slot_id,
        reference=reference,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    booking._state.adding, booking._state.db = False, connection.alias  # as if read from the database
    return booking


def _give_seat_back(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _interval_error(first: dt.datetime, min_days: int) -> VaccinationError:
    earliest = _local(first).date() + dt.timedelta(days=min_days)
    return VaccinationError(
        "dose_interval",
        f"2回目の接種は1回目（{_day(first)}）から{min_days}日以上あけてください。"
        f"{earliest:%Y-%m-%d} 以降の枠を選んでください。",
        f"The second dose must be at least {min_days} days after the first ({_day(first)}). "
        f"Please choose a slot on or after {earliest:%Y-%m-%d}.",
        field="slot",
    )


def _check_interval(*, invitee: Invitee, dose: int, slot_starts: dt.datetime, other: Booking | None) -> None:
    """Dose 2 at least N days (calendar days, Japan time) after dose 1, whichever of the two is moving."""
    if other is None:
        return
    first, second = (other.slot.starts_at, slot_starts) if dose == 2 else (slot_starts, other.slot.starts_at)
    if _local(second).date() < _local(first).date() + dt.timedelta(days=invitee.min_days):
        raise _interval_error(first, invitee.min_days)


def _active(invitee: Invitee, dose: int) -> Booking | None:
    return (
        Booking.objects.select_related("slot")
        .filter(person_id=invitee.person_id, campaign_id=invitee.campaign_id, dose=dose, cancelled_at=None)
        .first()
    )


def _check_dose(invitee: Invitee, dose: int) -> None:
    if dose not in (1, 2) or dose > invitee.doses:
        raise VaccinationError(
            "dose_invalid",
            f"この接種は{invitee.doses}回です。1回目から予約してください。",
            f"This campaign has {invitee.doses} dose(s). Please book the first dose first.",
            field="dose",
        )


def _replay(
    invitee: Invitee, *, dose: int, slot_id: int, idempotency_key: str | None
) -> BookingResult | None:
    """The booking a retry of the same request already made, if any."""
    if idempotency_key:
        booking = (
            Booking.objects.select_related("slot__venue").filter(idempotency_key=idempotency_key).first()
        )
        if booking is not None:
            if booking.invitation_id != invitee.invitation_id or booking.dose != dose:
                raise VaccinationError(
                    "idempotency_key_reused",
                    "この再送キーは別の予約に使われています。新しい予約には新しいキーを使ってください。",
                    "This Idempotency-Key was used for another booking. Use a new key for a new booking.",
                )
            return BookingResult(booking, created=False)
    booking = _active(invitee, dose)
    if booking is None:
        return None
    if booking.slot_id == slot_id:
        return BookingResult(booking, created=False)
    raise VaccinationError(
        "already_booked",
        f"{dose}回目はすでに予約済みです（予約番号 {booking.reference}、{_local(booking.slot.starts_at):%Y-%m-%d %H:%M}）。"
        "日時を変えるときは「予約の確認・変更」から変更してください。",
        f"Dose {dose} is already booked (reference {booking.reference}, "
        f"{_local(booking.slot.starts_at):%Y-%m-%d %H:%M}). To move it, use \u201cMy booking\u201d.",
    )


def book(
    *,
    invitee: Invitee,
    slot_id: int,
    dose: int = 1,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> BookingResult:
    """Book dose `dose` of the invitee in slot `slot_id`, or answer with the booking a retry already made."""
    now = now or timezone.now()
    _check_dose(invitee, dose)
    _require_open(invitee, now)
    idempotency_key = (idempotency_key or "")[:64] or None
    # No look-up of the key first: the unique indexes find a retry, and the hot path stays at one UPDATE and
    # one INSERT. On PostgreSQL a first dose is both in ONE statement (its own transaction: one round trip
    # and one commit instead of BEGIN, UPDATE, INSERT, COMMIT); the guards are the same.
    for _attempt in range(2):  # a second try only when a random reference collided
        try:
            if dose == 1 and connection.vendor == "postgresql":
                booking = _seat_and_insert(invitee, slot_id=slot_id, idempotency_key=idempotency_key, now=now)
                if booking is None:
                    replay = _replay(invitee, dose=dose, slot_id=slot_id, idempotency_key=idempotency_key)
                    if replay is not None:
                        return replay
                    raise _slot_unavailable(slot_id, invitee.campaign_id, now)
                return BookingResult(booking, created=True)
            with transaction.atomic():
                other = None
                slot_starts = None
                # A new dose 1 never has a dose 2 to respect: dose 1 cannot be cancelled while dose 2 is booked.
                if dose == 2:
                    other = _active(invitee, 1)
                    if other is None:
                        raise VaccinationError(
                            "first_dose_missing",
                            "2回目の前に1回目を予約してください。",
                            "Please book the first dose before the second.",
                            field="dose",
                        )
                if other is not None:
                    slot_starts = Slot.objects.filter(pk=slot_id).values_list("starts_at", flat=True).first()
                    if slot_starts is not None:
                        _check_interval(invitee=invitee, dose=dose, slot_starts=slot_starts, other=other)
                try:
                    _take_seat(slot_id=slot_id, campaign_id=invitee.campaign_id, now=now)
                except VaccinationError:
                    # A retry whose first attempt took the last seat finds the slot full: answer with its
                    # booking, not 満席.
                    replay = _replay(invitee, dose=dose, slot_id=slot_id, idempotency_key=idempotency_key)
                    if replay is not None:
                        return replay
                    raise
                booking = Booking.objects.create(
                    campaign_id=invitee.campaign_id,
                    invitation_id=invitee.invitation_id,
                    person_id=invitee.person_id,
                    dose=dose,
                    slot_id=slot_id,
                    reference=new_reference(),
                    idempotency_key=idempotency_key,
                    created_at=now,
                )
            return BookingResult(booking, created=True)
        except IntegrityError:
            # The partial unique index (or the key) found a booking made meanwhile — by this very request's
            # first attempt when the client retried — or, rarely, the reference collided. The seat taken above
            # was rolled back with the insert.
            replay = _replay(invitee, dose=dose, slot_id=slot_id, idempotency_key=idempotency_key)
            if replay is not None:
                return replay
            if Slot.objects.filter(pk=slot_id, booked__gte=F("capacity")).exists():
                raise _slot_full() from None
    raise VaccinationError(
        "booking_retry",
        "混み合っているため予約できませんでした。もう一度お試しください。",
        "The booking could not be completed because of heavy traffic. Please try again.",
    )


def _own_booking(invitee: Invitee, reference: str, *, for_update: bool = True) -> Booking:
    query = Booking.objects.select_related("slot").filter(
        invitation_id=invitee.invitation_id, reference=reference.strip().upper(), cancelled_at=None
    )
    booking = (query.select_for_update(of=("self",)) if for_update else query).first()
    if booking is None:
        raise VaccinationError(
            "booking_not_found",
            "この予約は見つからないか、すでに取り消されています。予約の確認ページで状況を確かめてください。",
            "This booking does not exist or has been cancelled. Check its state on the My booking page.",
        )
    return booking


def _require_not_started(booking: Booking, now: dt.datetime) -> None:
    if booking.slot.starts_at <= now:
        raise VaccinationError(
            "booking_started",
            "接種の時刻を過ぎた予約は変更・取消しできません。接種会場または市のコールセンターにご連絡ください。",
            "A booking whose time has passed cannot be changed or cancelled. Please call the venue or the "
            "city's call centre.",
        )


def change_booking(
    *, invitee: Invitee, reference: str, slot_id: int, now: dt.datetime | None = None
) -> Booking:
    """Move a booked dose to another slot: the new seat is taken before the old one is given back."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _own_booking(invitee, reference)
        _require_not_started(booking, now)
        if booking.slot_id == slot_id:
            return booking
        other = _active(invitee, 2 if booking.dose == 1 else 1) if invitee.doses == 2 else None
        starts = Slot.objects.filter(pk=slot_id).values_list("starts_at", flat=True).first()
        if starts is not None:
            _check_interval(invitee=invitee, dose=booking.dose, slot_starts=starts, other=other)
        _take_seat(slot_id=slot_id, campaign_id=invitee.campaign_id, now=now)
        _give_seat_back(booking.slot_id)
        booking.slot_id = slot_id
        booking.changed_at = now
        booking.save(update_fields=["slot", "changed_at"])
    return Booking.objects.select_related("slot__venue").get(pk=booking.pk)


def cancel_booking(*, invitee: Invitee, reference: str, now: dt.datetime | None = None) -> Booking:
    """Cancel a booked dose and free its seat. Dose 1 cannot go while dose 2 is booked."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _own_booking(invitee, reference)
        _require_not_started(booking, now)
        if booking.dose == 1 and _active(invitee, 2) is not None:
            raise VaccinationError(
                "second_dose_booked",
                "2回目の予約があるため、1回目だけを取り消すことはできません。先に2回目を取り消してください。",
                "The second dose is booked, so the first cannot be cancelled alone. Cancel the second first.",
            )
        booking.cancelled_at = now
        booking.save(update_fields=["cancelled_at"])
        _give_seat_back(booking.slot_id)
    return booking


# --- the office: campaigns, waves, venues, sessions, invitations ---------------------------------------------


def create_campaign(
    *,
    name: str,
    vaccine: str,
    doses: int,
    min_days_between_doses: int,
    cohort_min_age: int,
    cohort_age_on: dt.date,
) -> Campaign:
    if doses not in (1, 2):
        raise VaccinationError(
            "doses_invalid", "接種回数は1回か2回です。", "Doses must be 1 or 2.", field="doses"
        )
    return Campaign.objects.create(
        name=name,
        vaccine=vaccine,
        doses=doses,
        min_days_between_doses=min_days_between_doses,
        cohort_min_age=cohort_min_age,
        cohort_age_on=cohort_age_on,
    )


def add_wave(
    *,
    campaign: Campaign,
    label: str,
    opens_at: dt.datetime,
    min_age: int | None = None,
    max_age: int | None = None,
    birth_months: list[int] | None = None,
) -> Wave:
    months = sorted(set(birth_months or []))
    if any(not 1 <= m <= 12 for m in months):
        raise VaccinationError(
            "wave_months_invalid",
            "誕生月は1〜12で指定してください。",
            "Birth months are 1 to 12.",
            field="birth_months",
        )
    return Wave.objects.create(
        campaign=campaign,
        label=label,
        opens_at=opens_at,
        min_age=min_age,
        max_age=max_age,
        birth_months=",".join(str(m) for m in months),
    )


def add_sessions(
    *,
    venue: Venue,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    minutes: int,
    capacity: int,
    allow_closed_day: bool = False,
) -> list[Slot]:
    """Slots of `minutes` from `start` to `end` on `day`, each for `capacity` people. 年末年始 (12/29–1/3) and
    national holidays (jpholiday) are refused unless the venue opens on them on purpose (休日接種)."""
    import jpholiday

    if not allow_closed_day and ((day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)):
        raise VaccinationError(
            "closed_day",
            f"{day:%Y-%m-%d} は年末年始（12月29日〜1月3日）です。休日に開く会場は「休日も開く」を選んでください。",
            f"{day:%Y-%m-%d} is in the New Year holidays (29 Dec – 3 Jan). Tick \u201copen on holidays\u201d "
            "for a venue that opens then.",
            field="day",
        )
    if not allow_closed_day and jpholiday.is_holiday(day):
        raise VaccinationError(
            "closed_day",
            f"{day:%Y-%m-%d} は祝日（{jpholiday.is_holiday_name(day)}）です。休日に開く会場は「休日も開く」を選んでください。",
            f"{day:%Y-%m-%d} is a national holiday. Tick \u201copen on holidays\u201d for a venue that opens then.",
            field="day",
        )
    if minutes <= 0 or capacity <= 0 or end <= start:
        raise VaccinationError(
            "sessions_invalid",
            "終了時刻は開始時刻より後、枠の長さと定員は1以上にしてください。",
            "The end must be after the start; slot length and capacity must be at least 1.",
        )
    tz = timezone.get_current_timezone()
    moment = dt.datetime.combine(day, start, tzinfo=tz)
    until = dt.datetime.combine(day, end, tzinfo=tz)
    slots = []
    while moment + dt.timedelta(minutes=minutes) <= until:
        slots.append(
            Slot(
                campaign_id=venue.campaign_id,
                venue=venue,
                starts_at=moment,
                ends_at=moment + dt.timedelta(minutes=minutes),
                capacity=capacity,
            )
        )
        moment += dt.timedelta(minutes=minutes)
    return Slot.objects.bulk_create(slots)


def _age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def wave_for(campaign: Campaign, waves: list[Wave], birth: dt.date) -> Wave | None:
    """The first wave (by opening time) whose age band and birth months include this birth date."""
    age = _age_on(birth, campaign.cohort_age_on)
    for wave in waves:
        if wave.min_age is not None and age < wave.min_age:
            continue
        if wave.max_age is not None and age > wave.max_age:
            continue
        if wave.birth_months and str(birth.month) not in wave.birth_months.split(","):
            continue
        return wave
    return None


def issue_invitations(*, campaign: Campaign, batch_size: int = 5000) -> int:
    """Invite the cohort from the registry: every resident (住民状態 1) aged ≥ cohort_min_age on the age date
    who has no invitation yet. Returns how many were issued. Re-running issues only the newcomers."""
    from madoguchi.residents.models import Person

    on = campaign.cohort_age_on
    try:
        born_by = on.replace(year=on.year - campaign.cohort_min_age)
    except ValueError:  # 29 February
        born_by = on.replace(year=on.year - campaign.cohort_min_age, day=28)
    waves = list(campaign.waves.all())
    invited = set(Invitation.objects.filter(campaign=campaign).values_list("person_id", flat=True))
    taken = set()
    issued = 0
    now = timezone.now()
    people = (
        Person.objects.filter(status="1", birth_date__lte=born_by)
        .values_list("pk", "birth_date")
        .order_by("pk")
    )
    batch: list[Invitation] = []
    for person_id, birth in people.iterator(chunk_size=batch_size):
        if person_id in invited:
            continue
        code = new_invitation_code()
        while code in taken:
            code = new_invitation_code()
        taken.add(code)
        wave = wave_for(campaign, waves, birth)
        batch.append(
            Invitation(
                campaign=campaign,
                person_id=person_id,
                wave=wave,
                code=code,
                birth_date=birth,
                issued_at=now,
            )
        )
        if len(batch) >= batch_size:
            Invitation.objects.bulk_create(batch)
            issued += len(batch)
            batch = []
    if batch:
        Invitation.objects.bulk_create(batch)
        issued += len(batch)
    return issued


def notify_invited_accounts(*, campaign: Campaign) -> int:
    """A My Page notice for every invited resident whose account is linked to the registry (once each)."""
    from madoguchi.accounts.models import IdentityLink
    from madoguchi.notify.services import send_notice

    links = IdentityLink.objects.filter(revoked_at=None).values_list("person_id", "user_id")
    user_of = dict(links)
    pending = Invitation.objects.filter(campaign=campaign, notified_at=None, person_id__in=list(user_of))
    sent = 0
    from madoguchi.accounts.models import User

    for invitation in pending.select_related("wave"):
        opens = _local(invitation.wave.opens_at) if invitation.wave else None
        when_ja = f"{opens:%Y年%m月%d日 %H:%M}から" if opens else "受付開始後に"
        when_en = f"from {opens:%Y-%m-%d %H:%M}" if opens else "once booking opens"
        with transaction.atomic():
            send_notice(
                recipient=User.objects.get(pk=user_of[invitation.person_id]),
                kind="vaccination_invitation",
                title_ja=f"{campaign.name}の接種券を送りました",
                title_en=f"Your invitation for {campaign.name}",
                body_ja=f"接種券番号 {invitation.code}。{when_ja}予約できます。接種券の郵送も届きます。",
                body_en=f"Invitation number {invitation.code}. You can book {when_en}. The paper invitation "
                "is also on its way by post.",
            )
            Invitation.objects.filter(pk=invitation.pk).update(notified_at=timezone.now())
        sent += 1
    return sent


def print_letters(
    *, campaign: Campaign, staff, client_ip: str | None, limit: int = 500
) -> tuple[bytes, int, int]:
    """The next `limit` invitation letters not printed yet, as one PDF, marked printed; every person whose
    name and address go into it is audited (purpose: 接種券の送付). A person at an address under 支援措置 gets
    no printed letter (their address is never printed): they stay unprinted for the counter to hand over.
    Returns (pdf, letters printed, letters withheld)."""
    from django.conf import settings

    from madoguchi.core.audit import record_access
    from madoguchi.residents.selectors import protected_addresses
    from madoguchi.vaccination.letters import Letter, render_letters

    url = f"{settings.SITE_URL.rstrip('/')}/vaccination/{campaign.pk}/"
    with transaction.atomic():
        batch = list(
            Invitation.objects.select_for_update(of=("self",))
            .select_related("person", "wave")
            .filter(campaign=campaign, letter_printed_at=None)
            .order_by("pk")[:limit]
        )
        letters = []
        protected = protected_addresses()
        withheld = set()
        for invitation in batch:
            person = invitation.person
            if protected.covers(person):
                withheld.add(invitation.pk)
                continue
            record_access(
                actor=staff,
                action="print",
                object_type="vaccination.invitation",
                object_id=invitation.pk,
                person_id=person.pk,
                fields=["name", "address", "birth_date"],
                purpose="接種券の送付",
                client_ip=client_ip,
            )
            letters.append(
                Letter(
                    name=person.name,
                    postal_code=person.postal_code,
                    address=f"{person.prefecture}{person.city}{person.town}{person.banchi} {person.building}".strip(),
                    code=invitation.code,
                    birth_date=f"{invitation.birth_date:%Y-%m-%d}",
                    opens=f"{_local(invitation.wave.opens_at):%Y-%m-%d %H:%M}" if invitation.wave else "",
                    url=url,
                )
            )
        pdf = render_letters(
            letters,
            campaign_name=campaign.name,
            city=settings.MUNICIPALITY_NAME,
            font_path=settings.FORMS_FONT_GOTHIC,
        )
        printed = [i.pk for i in batch if i.pk not in withheld]
        Invitation.objects.filter(pk__in=printed).update(letter_printed_at=timezone.now())
    return pdf, len(letters), len(withheld)

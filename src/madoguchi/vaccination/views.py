"""Residents' pages of vaccination booking: the campaign's page, the waiting room, booking, my booking.

No account is needed: the 接種券 number and the birth date identify the resident (a signed cookie keeps that
for 30 minutes). The queue page reads no table: the place is a signed cookie (waiting_room). Booking needs
the admission token the queue page gives. Every page works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.core import counters
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.jp.wareki import DateParseError, parse_date
from madoguchi.vaccination import selectors, services, waiting_room

PLACE_COOKIE = "vx_place"
ADMIT_COOKIE = "vx_admit"
WHO_COOKIE = "vx_who"
WHO_SALT = "madoguchi.vaccination.who"
WHO_MAX_AGE = 30 * 60


def _campaign(pk: int):
    campaign = selectors.campaign_or_none(pk)
    if campaign is None:
        raise Http404("no such campaign")
    return campaign


def _set_cookie(response: HttpResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="Lax", secure=settings.PRODUCTION
    )


@require_http_methods(["GET"])
def landing(request: HttpRequest, campaign: int) -> HttpResponse:
    """The campaign's page: who is invited, the waves and when they open, the way in."""
    campaign_obj = _campaign(campaign)
    return render(
        request,
        "vaccination/landing.html",
        {"campaign": campaign_obj, "waves": list(campaign_obj.waves.all())},
    )


@never_cache
@require_http_methods(["GET"])
def enter(request: HttpRequest, campaign: int) -> HttpResponse:
    """Take a place in the line (one atomic write), or keep the one this browser already has."""
    place = waiting_room.read_place(request.COOKIES.get(PLACE_COOKIE, ""), campaign)
    if place is not None:
        return queue(request, campaign)
    if not selectors.campaign_exists(campaign):
        raise Http404("no such campaign")
    try:
        place = waiting_room.take_place(campaign_id=campaign, client_ip=client_ip_of(request))
    except waiting_room.TooManyPlaces as exc:
        context = {"error": exc.message(lang_of(request)), "campaign_id": campaign}
        return render(request, "vaccination/queue_error.html", context, status=429)
    if place.wait_ms() == 0:  # no line: straight to booking
        return _admit(campaign, place)
    response = redirect("vaccination:queue", campaign=campaign)
    _set_cookie(response, PLACE_COOKIE, waiting_room.sign_place(place), waiting_room.PLACE_MAX_AGE)
    return response


def _admit(campaign: int, place: waiting_room.Place) -> HttpResponse:
    response = redirect("vaccination:book", campaign=campaign)
    _set_cookie(
        response,
        ADMIT_COOKIE,
        waiting_room.admission_token(place),
        settings.VACCINATION_ADMISSION_MINUTES * 60,
    )
    response.delete_cookie(PLACE_COOKIE)
    return response


@never_cache
@require_http_methods(["GET"])
def queue(request: HttpRequest, campaign: int) -> HttpResponse:
    """The queue page: cheap (a signature check and the clock), refreshes itself, admits in order."""
    place = waiting_room.read_place(request.COOKIES.get(PLACE_COOKIE, ""), campaign)
    if place is None:
        return redirect("vaccination:enter", campaign=campaign)
    wait_ms = place.wait_ms()
    if wait_ms == 0:
        return _admit(campaign, place)
    seconds = math.ceil(wait_ms / 1000)
    refresh = max(2, min(30, math.ceil(seconds / 2)))
    auto = request.GET.get("auto") != "0"
    response = render(
        request,
        "vaccination/queue.html",
        {
            "campaign_id": campaign,
            "number": place.number,
            "ahead": place.ahead(),
            "minutes": max(1, math.ceil(seconds / 60)),
            "refresh": refresh,
            "auto": auto,
        },
    )
    if auto:
        # The HTTP Refresh header: honoured by every browser without JavaScript, like <meta http-equiv>, and
        # the page says so and offers to stop it (WCAG 2.2.1): a screen-reader user can wait without reloads.
        response["Refresh"] = str(refresh)
    return response


def _admitted(request: HttpRequest, campaign: int) -> HttpResponse | None:
    """None when the request carries a valid admission; else the page that says why not (no booking)."""
    try:
        waiting_room.check_admission(request.COOKIES.get(ADMIT_COOKIE, ""), campaign)
    except waiting_room.AdmissionError as exc:
        response = render(
            request,
            "vaccination/queue_error.html",
            {"error": exc.message(lang_of(request)), "campaign_id": campaign},
            status=403,
        )
        response.delete_cookie(ADMIT_COOKIE)
        return response
    return None


def _who(request: HttpRequest, campaign: int) -> services.Invitee | None:
    try:
        invitation_id, campaign_id = signing.loads(
            request.COOKIES.get(WHO_COOKIE, ""), salt=WHO_SALT, max_age=WHO_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if campaign_id != campaign:
        return None
    return selectors.invitee_by_invitation(invitation_id)


def _identify(request: HttpRequest, campaign: int) -> tuple[services.Invitee | None, str]:
    """The invitee of the posted 接種券番号 and birth date, or an error message (wrong guesses are limited)."""
    lang = lang_of(request)
    ip = client_ip_of(request) or "-"
    key = f"vx-lookup:{ip}"
    if counters.peek(key).count >= settings.VACCINATION_LOOKUP_LIMIT:
        return None, _(
            "入力の誤りが続いたため、しばらく受け付けません。15分ほど待ってからもう一度お試しください。"
        )
    code = request.POST.get("code", "")[:40]
    try:
        birth = parse_date(request.POST.get("birth_date", "")[:40])
    except DateParseError:
        return None, _("生年月日を 昭和25年5月1日 または 1950-05-01 の形で入力してください。")
    try:
        invitee = services.find_invitation(code=code, birth_date=birth)
    except services.InvitationNotFound as exc:
        counters.hit(key, 15 * 60)
        return None, exc.message(lang)
    if invitee.campaign_id != campaign:
        return None, _(
            "この接種券は別の接種のものです。お手元の接種券に書かれた案内のページから予約してください。"
        )
    return invitee, ""


def _remember(response: HttpResponse, invitee: services.Invitee) -> HttpResponse:
    _set_cookie(
        response,
        WHO_COOKIE,
        signing.dumps([invitee.invitation_id, invitee.campaign_id], salt=WHO_SALT),
        WHO_MAX_AGE,
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, campaign: int) -> HttpResponse:
    """Step 1: the 接種券番号 and the birth date (admitted residents only)."""
    refused = _admitted(request, campaign)
    if refused:
        return refused
    campaign_obj = _campaign(campaign)
    error = ""
    if request.method == "POST":
        invitee, error = _identify(request, campaign)
        if invitee is not None:
            booked = {b.dose for b in selectors.bookings_of(invitee)}
            open_doses = [d for d in range(1, invitee.doses + 1) if d not in booked]
            if not open_doses:  # everything booked: changing is on My booking (the admission holds there too)
                messages.info(
                    request, _("すべての回を予約済みです。日時の変更・取消しはこのページからできます。")
                )
                return _remember(redirect("vaccination:mine", campaign=campaign), invitee)
            url = f"{reverse('vaccination:slots', args=[campaign])}?dose={open_doses[0]}"
            return _remember(redirect(url), invitee)
    return render(
        request,
        "vaccination/book.html",
        {"campaign": campaign_obj, "error": error, "code": request.POST.get("code", "")[:40]},
        status=400 if error else 200,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@never_cache
@require_http_methods(["GET"])
def slots(request: HttpRequest, campaign: int) -> HttpResponse:
    """Step 2: venue, day and time (a plain GET form); full slots are shown as 満席 and cannot be chosen."""
    refused = _admitted(request, campaign)
    if refused:
        return refused
    invitee = _who(request, campaign)
    if invitee is None:
        return redirect("vaccination:book", campaign=campaign)
    campaign_obj = _campaign(campaign)
    venues = selectors.venues_of(campaign)
    venue_id = _int(request.GET.get("venue")) or (venues[0].pk if venues else None)
    venue = next((v for v in venues if v.pk == venue_id), None)
    days = selectors.days_with_seats(venue.pk) if venue else []
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = days[0][0] if days else None
    dose = 2 if request.GET.get("dose") == "2" and invitee.doses == 2 else 1
    change = request.GET.get("change", "")[:12]
    return render(
        request,
        "vaccination/slots.html",
        {
            "campaign": campaign_obj,
            "venues": venues,
            "venue": venue,
            "days": days,
            "day": day,
            "slots": selectors.slots_of(venue.pk, day) if venue and day else [],
            "dose": dose,
            "change": change,
            "bookings": selectors.bookings_of(invitee),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, campaign: int) -> HttpResponse:
    """Step 3: the choice once more, then 予約する (POST; a hidden key makes a second click harmless)."""
    refused = _admitted(request, campaign)
    if refused:
        return refused
    invitee = _who(request, campaign)
    if invitee is None:
        return redirect("vaccination:book", campaign=campaign)
    data = request.POST if request.method == "POST" else request.GET
    slot = selectors.slot_of(campaign, _int(data.get("slot")) or 0)
    dose = 2 if data.get("dose") == "2" else 1
    change = data.get("change", "")[:12]
    error = ""
    if slot is None:
        error = _("接種枠を選んでください。")
    elif request.method == "POST":
        try:
            if change:
                booking = services.change_booking(invitee=invitee, reference=change, slot_id=slot.pk)
                messages.success(request, _("予約を変更しました。"))
            else:
                booking = services.book(
                    invitee=invitee,
                    slot_id=slot.pk,
                    dose=dose,
                    idempotency_key=data.get("key", "")[:64] or None,
                ).booking
                messages.success(request, _("予約しました。予約番号を控えてください。"))
        except services.VaccinationError as exc:
            error = exc.message(lang_of(request))
        else:
            return redirect(f"{reverse('vaccination:mine', args=[campaign])}#booking-{booking.reference}")
    return render(
        request,
        "vaccination/confirm.html",
        {
            "campaign": _campaign(campaign),
            "slot": slot,
            "dose": dose,
            "change": change,
            "error": error,
            "key": secrets.token_urlsafe(16),
        },
        status=409 if error and slot else (400 if error else 200),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest, campaign: int) -> HttpResponse:
    """My booking: sign in with the 接種券番号 and birth date, see the booked doses, change or cancel."""
    campaign_obj = _campaign(campaign)
    invitee = _who(request, campaign)
    error = ""
    if request.method == "POST":
        invitee, error = _identify(request, campaign)
        if invitee is not None:
            return _remember(redirect("vaccination:mine", campaign=campaign), invitee)
    bookings = selectors.bookings_of(invitee) if invitee else []
    now = timezone.now()
    return render(
        request,
        "vaccination/mine.html",
        {
            "campaign": campaign_obj,
            "invitee": invitee,
            "bookings": bookings,
            "error": error,
            "now": now,
            "can_book_second": invitee is not None
            and invitee.doses == 2
            and any(b.dose == 1 for b in bookings)
            and not any(b.dose == 2 for b in bookings),
        },
        status=400 if error else 200,
    )


@require_POST
def cancel(request: HttpRequest, campaign: int) -> HttpResponse:
    invitee = _who(request, campaign)
    if invitee is None:
        return redirect("vaccination:mine", campaign=campaign)
    try:
        services.cancel_booking(invitee=invitee, reference=request.POST.get("reference", "")[:12])
    except services.VaccinationError as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(request, _("予約を取り消しました。"))
    return redirect("vaccination:mine", campaign=campaign)

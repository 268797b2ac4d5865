"""The residents' booking pages, the kiosk, the waiting-room display and the public waiting times.

Thin: reads through `selectors`, writes through `services`; every page works without JavaScript.
"""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import resident_required
from madoguchi.booking import errors, selectors, services
from madoguchi.booking.errors import BookingError
from madoguchi.booking.forms import CheckInForm, PersonForm
from madoguchi.booking.models import AppointmentType, Channel, Ticket, Window
from madoguchi.cases.models import Case
from madoguchi.core import counters
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.notify.channels.contrib import sms

TICKET_SALT = "madoguchi.booking.ticket"


def _type_or_404(code: str) -> AppointmentType:
    return get_object_or_404(selectors.active_types(), code=code)


def _day_from(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _case_of(request: HttpRequest, reference: str) -> Case | None:
    """The signed-in resident's own case this booking is for (a procedure that needs a visit)."""
    if not reference or not (request.user.is_authenticated and request.user.is_resident):
        return None
    return Case.objects.filter(applicant=request.user, reference=reference[:20]).first()


def qr_svg(text: str) -> str:
    """An inline SVG QR code (segno), scaled by CSS."""
    return mark_safe(
        segno.make(text, error="m").svg_inline(scale=6, dark="#000", light="#fff", omitsize=True)
    )


def index(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    types = list(selectors.active_types())
    for t in types:
        t.display_name = t.name_for(lang)
        t.display_description = t.description_for(lang)
        t.window_name = t.window.name_for(lang)
    return render(request, "booking/index.html", {"types": types})


def _slot_page(
    request, appointment_type: AppointmentType, *, form, day, error: str = "", booking=None, case=None
):
    lang = lang_of(request)
    cal = selectors.calendar_of(appointment_type.window)
    closed = None
    slots = []
    if day is not None:
        if day < timezone.localdate():
            closed = _("過ぎた日は予約できません。これからの日を選んでください。")
        elif not cal.is_open(day):
            closed = _("この日は閉庁日（%(reason)s）です。別の日を選んでください。") % {
                "reason": cal.why_closed(day)
            }
        else:
            slots = selectors.slots_on(appointment_type, day, cal=cal)
    return render(
        request,
        "booking/choose.html",
        {
            "type": appointment_type,
            "type_name": appointment_type.name_for(lang),
            "window_name": appointment_type.window.name_for(lang),
            "description": appointment_type.description_for(lang),
            "days": selectors.bookable_days(appointment_type),
            "day": day,
            "closed": closed,
            "slots": slots,
            "form": form,
            "error": error,
            "booking": booking,
            "case": case,
            "chosen": request.POST.get("slot", ""),
        },
        status=409 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest, code: str) -> HttpResponse:
    """Pick a day, a time and say who the booking is for; signed in or as a guest."""
    appointment_type = _type_or_404(code)
    case = _case_of(request, request.GET.get("case") or request.POST.get("case", ""))
    day = _day_from(request.GET.get("date") or request.POST.get("date"))
    signed_in = request.user.is_authenticated and request.user.is_resident
    if request.method == "POST":
        form = PersonForm(request.POST)
        error = ""
        if form.is_valid():
            counted = None if signed_in else counters.hit(f"booking-guest:ip:{client_ip_of(request)}", 3600)
            try:
                if counted is not None and counted.count > settings.BOOKING_GUEST_BOOKINGS_PER_HOUR:
                    raise errors.too_many_guest_bookings()
                starts_at = services.parse_slot(request.POST.get("slot", ""))
                booking = services.book(
                    appointment_type=appointment_type,
                    starts_at=starts_at,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    birth_date=form.cleaned_data["birth_date"],
                    email=form.cleaned_data["email"] or (request.user.email if signed_in else ""),
                    channel=Channel.MYPAGE if signed_in else Channel.GUEST,
                    user=request.user if signed_in else None,
                    case=case,
                    language=lang_of(request),
                )
            except BookingError as exc:
                if counted is not None:
                    counters.undo(counted)  # only bookings made count against the limit
                error = exc.message(lang_of(request))
            else:
                return redirect("booking:done", token=services.manage_token(booking))
        return _slot_page(request, appointment_type, form=form, day=day, error=error, case=case)
    initial = {
        "name": request.user.get_full_name() if signed_in and hasattr(request.user, "get_full_name") else ""
    }
    if signed_in:
        initial["email"] = request.user.email
    return _slot_page(request, appointment_type, form=PersonForm(initial=initial), day=day, case=case)


def _booking_context(booking, lang: str) -> dict:
    local = timezone.localtime(booking.starts_at)
    return {
        "booking": booking,
        "when": local,
        "what": booking.appointment_type.name_for(lang),
        "where": booking.appointment_type.window.name_for(lang),
        "qr": qr_svg(booking.reference),
    }


@never_cache
def done(request: HttpRequest, token: str) -> HttpResponse:
    booking = services.booking_from_token(token)
    if booking is None:
        raise Http404("no such booking")
    context = _booking_context(booking, lang_of(request))
    context["token"] = token
    # A guest without email is told by SMS; when the number has had its messages for today, say so here.
    context["sms_refused"] = (
        not booking.email and booking.user_id is None and sms.over_daily_cap(booking.phone)
    )
    return render(request, "booking/done.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link: see, change or cancel the booking without signing in."""
    booking = services.booking_from_token(token)
    if booking is None:
        return render(request, "booking/link_invalid.html", status=404)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        services.cancel(booking=booking)
        messages.success(request, _("予約を取り消しました。"))
        return redirect("booking:manage", token=token)
    context = _booking_context(booking, lang_of(request))
    context["token"] = token
    return render(request, "booking/manage.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def change(request: HttpRequest, token: str) -> HttpResponse:
    booking = services.booking_from_token(token)
    if booking is None:
        return render(request, "booking/link_invalid.html", status=404)
    appointment_type = booking.appointment_type
    day = _day_from(request.GET.get("date") or request.POST.get("date"))
    error = ""
    if request.method == "POST":
        try:
            services.change(booking=booking, starts_at=services.parse_slot(request.POST.get("slot", "")))
        except BookingError as exc:
            error = exc.message(lang_of(request))
        else:
            messages.success(request, _("予約の日時を変更しました。"))
            return redirect("booking:manage", token=token)
    return _slot_page(request, appointment_type, form=None, day=day, error=error, booking=booking)


@resident_required
def my_bookings(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    rows = []
    for booking in selectors.bookings_of_user(request.user):
        rows.append({**_booking_context(booking, lang), "token": services.manage_token(booking)})
    return render(request, "booking/my_bookings.html", {"rows": rows})


# ---- kiosk -----------------------------------------------------------------------------------------------------


def _ticket_url(ticket: Ticket) -> str:
    return reverse("booking:ticket", args=[signing.dumps(ticket.pk, salt=TICKET_SALT)])


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    """Check in by the booking's QR code or by phone number and birth date; or take a number without one."""
    lang = lang_of(request)
    form = CheckInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        booking = (
            selectors.booking_by_reference(data["code"])
            if data.get("code")
            else services.find_for_check_in(phone=data["phone"], birth_date=data["birth_date"])
        )
        try:
            if booking is None:
                raise errors.not_found()
            ticket = services.check_in(booking=booking)
        except BookingError as exc:
            error = exc.message(lang)
        else:
            return redirect(_ticket_url(ticket))
    windows = [{"code": w.code, "name": w.name_for(lang)} for w in Window.objects.filter(is_active=True)]
    return render(
        request,
        "booking/kiosk.html",
        {"form": form, "error": error, "windows": windows},
        status=409 if error else 200,
    )


@require_POST
def kiosk_walk_in(request: HttpRequest) -> HttpResponse:
    window = get_object_or_404(Window, code=request.POST.get("window", "")[:40], is_active=True)
    ticket = services.issue_ticket(window=window)
    return redirect(_ticket_url(ticket))


@never_cache
def ticket(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pk = signing.loads(token, salt=TICKET_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        raise Http404("no such ticket") from None
    ticket = get_object_or_404(Ticket.objects.select_related("window"), pk=pk)
    lang = lang_of(request)
    waits = {w.window.pk: w for w in selectors.waiting_times()}
    ahead = Ticket.objects.filter(
        window=ticket.window, day=ticket.day, status="waiting", number__lt=ticket.number
    ).count()
    return render(
        request,
        "booking/ticket.html",
        {
            "ticket": ticket,
            "window_name": ticket.window.name_for(lang),
            "ahead": ahead,
            "wait": waits.get(ticket.window.pk),
        },
    )


# ---- the waiting room --------------------------------------------------------------------------------------------


def _called(lang: str, window: Window | None) -> list[dict]:
    return [
        {
            "label": t.label,
            "desk": t.desk,
            "window": t.window.name_for(lang),
            "at": timezone.localtime(t.called_at).strftime("%H:%M"),
        }
        for t in selectors.called_tickets(window=window)
    ]


def display(request: HttpRequest) -> HttpResponse:
    """The waiting-room screen: the numbers called, largest first; refreshes itself (meta refresh, and polling
    with JavaScript that announces a new number through an aria-live region)."""
    lang = lang_of(request)
    window = None
    if request.GET.get("window"):
        window = get_object_or_404(Window, code=request.GET["window"][:40])
    return render(
        request,
        "booking/display.html",
        {
            "called": _called(lang, window),
            "window": window,
            "window_name": window.name_for(lang) if window else "",
            "feed": reverse("booking:display_feed") + (f"?window={window.code}" if window else ""),
        },
    )


def display_feed(request: HttpRequest) -> JsonResponse:
    lang = lang_of(request)
    window = None
    if request.GET.get("window"):
        window = get_object_or_404(Window, code=request.GET["window"][:40])
    return JsonResponse({"called": _called(lang, window)})


def waiting(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    rows = [
        {
            "name": w.window.name_for(lang),
            "waiting": w.waiting,
            "minutes": w.minutes,
            "service": w.service_minutes,
            "measured": w.measured,
        }
        for w in selectors.waiting_times()
    ]
    return render(request, "booking/waiting.html", {"rows": rows, "now": timezone.localtime()})

"""The staff's booking screens: calendars (課管理者), today's bookings at a window, booking on a resident's
behalf by phone, and calling the next number. Every look at residents' bookings is audited."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.accounts.models import Role
from madoguchi.booking import forms, selectors, services
from madoguchi.booking.errors import BookingError
from madoguchi.booking.models import (
    AppointmentType,
    Booking,
    CalendarException,
    Channel,
    OpeningHours,
    Ticket,
    TicketStatus,
    Window,
)
from madoguchi.core.audit import client_ip_of, record_access
from madoguchi.core.i18n import lang_of

# The calendar screens: one model form each, listed and edited the same way.
MANAGED = {
    "windows": (Window, forms.WindowForm, "窓口"),
    "types": (AppointmentType, forms.AppointmentTypeForm, "予約の種類"),
    "hours": (OpeningHours, forms.OpeningHoursForm, "受付時間"),
    "exceptions": (CalendarException, forms.CalendarExceptionForm, "休日窓口・延長・臨時休業"),
}


def _calendar_admin(request: HttpRequest) -> None:
    if request.user.role != Role.DEPARTMENT_ADMIN and not request.user.is_superuser:
        raise PermissionDenied("calendars are managed by a department administrator")


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    windows = [{"code": w.code, "name": w.name_for(lang)} for w in Window.objects.filter(is_active=True)]
    return render(
        request,
        "booking/office/home.html",
        {
            "nav": "booking",
            "windows": windows,
            "waits": selectors.waiting_times(),
            "sections": [(key, _(label)) for key, (_m, _f, label) in MANAGED.items()],
            "is_admin": request.user.role == Role.DEPARTMENT_ADMIN or request.user.is_superuser,
        },
    )


@staff_required
def object_list(request: HttpRequest, section: str) -> HttpResponse:
    _calendar_admin(request)
    if section not in MANAGED:
        raise PermissionDenied("no such section")
    model, _form, label = MANAGED[section]
    return render(
        request,
        "booking/office/list.html",
        {"nav": "booking", "section": section, "title": _(label), "objects": model.objects.all()[:500]},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def object_edit(request: HttpRequest, section: str, pk: int | None = None) -> HttpResponse:
    _calendar_admin(request)
    if section not in MANAGED:
        raise PermissionDenied("no such section")
    model, form_class, label = MANAGED[section]
    instance = get_object_or_404(model, pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST":
        if request.POST.get("action") == "delete" and instance is not None:
            try:
                instance.delete()
            except ProtectedError:
                messages.error(
                    request, _("予約がある（または使われている）ため削除できません。受付中をやめてください。")
                )
                return redirect("booking_office:edit", section=section, pk=pk)
            messages.success(request, _("削除しました。"))
            return redirect("booking_office:list", section=section)
        if form.is_valid():
            saved = form.save()
            if isinstance(saved, AppointmentType):  # future slots follow a changed capacity where they can
                saved.slots.filter(starts_at__gt=timezone.now(), booked__lte=saved.capacity).update(
                    capacity=saved.capacity
                )
            messages.success(request, _("保存しました。"))
            return redirect("booking_office:list", section=section)
    return render(
        request,
        "booking/office/edit.html",
        {"nav": "booking", "section": section, "title": _(label), "form": form, "instance": instance},
    )


@staff_required
def today(request: HttpRequest, window: str) -> HttpResponse:
    """Today's bookings at one window, for the counter: who comes when, who has checked in."""
    lang = lang_of(request)
    window_obj = get_object_or_404(Window, code=window)
    day = timezone.localdate()
    bookings = selectors.bookings_on(window=window_obj, day=day)
    record_access(
        actor=request.user,
        action="booking.today",
        object_type="window",
        object_id=window_obj.code,
        fields=["name", "phone", "birth_date"],
        purpose="counter",
        client_ip=client_ip_of(request),
    )
    return render(
        request,
        "booking/office/today.html",
        {
            "nav": "booking",
            "window": window_obj,
            "window_name": window_obj.name_for(lang),
            "day": day,
            "bookings": bookings,
        },
    )


@staff_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("appointment_type__window"), pk=pk)
    try:
        ticket = services.check_in(booking=booking)
    except BookingError as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(
            request, _("受付しました。呼び出し番号は %(label)s です。") % {"label": ticket.label}
        )
    return redirect("booking_office:today", window=booking.appointment_type.window.code)


@staff_required
@require_http_methods(["GET", "POST"])
def phone_booking(request: HttpRequest) -> HttpResponse:
    """A clerk books on a resident's behalf (電話予約): the same rules as the resident's own booking."""
    lang = lang_of(request)
    types = list(selectors.active_types())
    chosen = next((t for t in types if t.code == (request.POST.get("type") or request.GET.get("type"))), None)
    day = None
    if request.GET.get("date") or request.POST.get("date"):
        try:
            import datetime as dt

            day = dt.date.fromisoformat(request.GET.get("date") or request.POST.get("date"))
        except ValueError:
            day = None
    form = forms.PersonForm(request.POST or None)
    error = ""
    if request.method == "POST" and chosen is not None and form.is_valid():
        try:
            booking = services.book(
                appointment_type=chosen,
                starts_at=services.parse_slot(request.POST.get("slot", "")),
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                birth_date=form.cleaned_data["birth_date"],
                email=form.cleaned_data["email"],
                channel=Channel.PHONE,
                booked_by=request.user,
                language=request.POST.get("language", "ja"),
            )
        except BookingError as exc:
            error = exc.message(lang)
        else:
            messages.success(
                request,
                _("予約しました。予約番号は %(ref)s です。住民にお伝えください。")
                % {"ref": booking.reference},
            )
            return redirect("booking_office:phone")
    slots = selectors.slots_on(chosen, day) if chosen and day and day >= timezone.localdate() else []
    return render(
        request,
        "booking/office/phone.html",
        {
            "nav": "booking",
            "types": [(t.code, t.name_for(lang)) for t in types],
            "chosen": chosen,
            "day": day,
            "days": selectors.bookable_days(chosen) if chosen else [],
            "slots": slots,
            "form": form,
            "error": error,
        },
        status=409 if error else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def call(request: HttpRequest, window: str) -> HttpResponse:
    """The clerk's "call next" screen: finish the current number and call the next one."""
    lang = lang_of(request)
    window_obj = get_object_or_404(Window, code=window)
    desk = (request.POST.get("desk") or request.GET.get("desk") or request.session.get("booking_desk", ""))[
        :20
    ]
    if request.method == "POST":
        request.session["booking_desk"] = desk
        action = request.POST.get("action")
        current = Ticket.objects.filter(
            window=window_obj, day=timezone.localdate(), status=TicketStatus.CALLED, called_by=request.user
        ).first()
        if action == "absent" and current is not None:
            services.finish_ticket(ticket=current, clerk=request.user, absent=True)
            messages.info(request, _("%(label)s を不在にしました。") % {"label": current.label})
        elif action == "done" and current is not None:
            services.finish_ticket(ticket=current, clerk=request.user)
            messages.info(request, _("%(label)s の対応を終えました。") % {"label": current.label})
        else:
            ticket = services.call_next(window=window_obj, clerk=request.user, desk=desk)
            if ticket is None:
                messages.info(request, _("お待ちの方はいません。"))
            else:
                messages.success(request, _("%(label)s をお呼びしました。") % {"label": ticket.label})
        return redirect("booking_office:call", window=window_obj.code)
    today = timezone.localdate()
    current = (
        Ticket.objects.filter(
            window=window_obj, day=today, status=TicketStatus.CALLED, called_by=request.user
        )
        .select_related("booking__appointment_type")
        .first()
    )
    if current is not None and current.booking is not None:
        record_access(
            actor=request.user,
            action="booking.call",
            object_type="booking",
            object_id=current.booking.pk,
            fields=["name"],
            purpose="counter",
            client_ip=client_ip_of(request),
        )
    waiting = Ticket.objects.filter(window=window_obj, day=today, status=TicketStatus.WAITING).order_by(
        "number"
    )
    return render(
        request,
        "booking/office/call.html",
        {
            "nav": "booking",
            "window": window_obj,
            "window_name": window_obj.name_for(lang),
            "current": current,
            "waiting": list(waiting[:50]),
            "waiting_count": waiting.count(),
            "desk": desk,
        },
    )

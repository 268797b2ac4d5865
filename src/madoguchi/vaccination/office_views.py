"""Office pages of vaccination booking (staff only): campaigns, waves, venues and sessions, fill per venue and
day, invitations (issue from the registry, My Page notices, printed letters as a PDF batch, audited)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.vaccination import selectors, services
from madoguchi.vaccination.models import Campaign, Venue


def _int(value: str, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            campaign = services.create_campaign(
                name=request.POST.get("name", "").strip()[:200] or _("集団接種"),
                vaccine=request.POST.get("vaccine", "").strip()[:100],
                doses=_int(request.POST.get("doses"), 0),
                min_days_between_doses=_int(request.POST.get("min_days"), 21),
                cohort_min_age=_int(request.POST.get("min_age"), 65),
                cohort_age_on=dt.date.fromisoformat(request.POST.get("age_on", "")),
            )
        except ValueError:
            error = _("年齢基準日を 2026-04-01 の形で入力してください。")
        except services.VaccinationError as exc:
            error = exc.message(lang_of(request))
        else:
            messages.success(request, _("接種事業を作りました。"))
            return redirect("vaccination_office:campaign", pk=campaign.pk)
    return render(
        request,
        "vaccination/office/campaign_list.html",
        {"campaigns": Campaign.objects.order_by("-pk"), "error": error},
        status=400 if error else 200,
    )


@staff_required
@require_http_methods(["GET"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    invitations = campaign.invitations
    return render(
        request,
        "vaccination/office/campaign_detail.html",
        {
            "campaign": campaign,
            "waves": list(campaign.waves.all()),
            "venues": selectors.venues_of(campaign.pk),
            "fill": selectors.fill_per_day(campaign.pk),
            "totals": selectors.booking_totals(campaign.pk),
            "invited": invitations.count(),
            "unprinted": invitations.filter(letter_printed_at=None).count(),
            "notified": invitations.exclude(notified_at=None).count(),
        },
    )


@staff_required
@require_POST
def add_wave(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        opens = dt.datetime.fromisoformat(request.POST.get("opens_at", ""))
        months = [
            int(m) for m in request.POST.get("birth_months", "").replace("、", ",").split(",") if m.strip()
        ]
        services.add_wave(
            campaign=campaign,
            label=request.POST.get("label", "").strip()[:100] or _("第1段階"),
            opens_at=timezone.make_aware(opens) if timezone.is_naive(opens) else opens,
            min_age=_int(request.POST.get("min_age")),
            max_age=_int(request.POST.get("max_age")),
            birth_months=months,
        )
    except ValueError:
        messages.error(
            request, _("受付開始日時を 2026-05-10T09:00 の形で、誕生月は 1,2,3 の形で入力してください。")
        )
    except services.VaccinationError as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(request, _("受付の段階を追加しました。招待済みの方の段階は変わりません。"))
    return redirect("vaccination_office:campaign", pk=pk)


@staff_required
@require_POST
def add_sessions(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        venue_id = _int(request.POST.get("venue"))
        if venue_id:
            venue = get_object_or_404(Venue, pk=venue_id, campaign=campaign)
        else:
            venue = Venue.objects.create(
                campaign=campaign,
                name=request.POST.get("venue_name", "").strip()[:200] or _("接種会場"),
                address=request.POST.get("venue_address", "").strip()[:300],
            )
        slots = services.add_sessions(
            venue=venue,
            day=dt.date.fromisoformat(request.POST.get("day", "")),
            start=dt.time.fromisoformat(request.POST.get("start", "")),
            end=dt.time.fromisoformat(request.POST.get("end", "")),
            minutes=_int(request.POST.get("minutes"), 0),
            capacity=_int(request.POST.get("capacity"), 0),
            allow_closed_day=request.POST.get("allow_closed_day") == "1",
        )
    except ValueError:
        messages.error(request, _("日付は 2026-05-10、時刻は 09:00 の形で入力してください。"))
    except services.VaccinationError as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(request, _("接種枠を %(n)d 件作りました。") % {"n": len(slots)})
    return redirect("vaccination_office:campaign", pk=pk)


@staff_required
@require_POST
def issue_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    issued = services.issue_invitations(campaign=campaign)
    notified = services.notify_invited_accounts(campaign=campaign)
    messages.success(
        request,
        _("接種券を %(issued)d 件発行し、アカウントのある %(notified)d 人にお知らせを送りました。")
        % {"issued": issued, "notified": notified},
    )
    return redirect("vaccination_office:campaign", pk=pk)


@staff_required
@require_POST
def print_letters(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    pdf, printed, withheld = services.print_letters(
        campaign=campaign, staff=request.user, client_ip=client_ip_of(request)
    )
    if not printed:
        messages.info(
            request,
            _("印刷する接種券はありません（支援措置のため窓口で渡す方: %(n)d 人）。") % {"n": withheld},
        )
        return redirect("vaccination_office:campaign", pk=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invitations-{campaign.pk}.pdf"'
    return response

"""The office's benefit pages: programs, a program's dashboard (charts, reconciliation, CSV), conflicts side by
side, approving received applications and exporting the 全銀 file (the same service as the CLI).

Every staff member sees the figures (aggregates only); the conflicts (personal data) are for benefits staff,
approving and exporting for deciders (`benefits.access`). The desk for counter and paper applications is
`desk_views`."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core import audit
from madoguchi.core.audit import client_ip_of
from madoguchi.core.charts import column_chart
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.i18n import lang_of
from madoguchi.residents import selectors as resident_selectors
from madoguchi.residents.access import ADDRESS_WITHHELD

from . import selectors, services
from .access import benefits_staff_required, is_benefits_staff
from .access import may_decide as _may_decide
from .models import Application, Channel

BAR_WIDTH = 18  # px per day column; the overview's six columns are three times as wide


def _program(slug: str):
    program = selectors.program_by_slug(slug)
    if program is None:
        raise Http404("no such program")
    return program


@staff_required
@require_http_methods(["GET"])
def program_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "benefits/office_programs.html", {"nav": "benefits", "programs": selectors.programs()}
    )


@staff_required
@require_http_methods(["GET"])
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Aggregates only (no personal data): nothing to audit."""
    program = _program(slug)
    figures = selectors.dashboard_figures(program)
    reconciliation = selectors.reconciliation(program)
    days = selectors.per_day(program)
    channel_labels = dict(Channel.choices)
    overview = column_chart(
        [
            (_("対象世帯"), figures["eligible"]),
            (_("確認書"), figures["confirmations"]),
            (_("申請"), reconciliation.applied),
            (pgettext("benefits decline", "辞退"), reconciliation.declined),
            (_("支給決定"), figures["approved"]),
            (_("振込済"), figures["paid"]),
            (_("振込不能"), figures["returned"]),
        ],
        width=BAR_WIDTH * 3,
    )
    return render(
        request,
        "benefits/office_dashboard.html",
        {
            "nav": "benefits",
            "program": program,
            "figures": figures,
            "r": reconciliation,
            "reconciles": reconciliation.holds(),
            "channel_rows": [
                (channel_labels[c], states, reconciliation.declined_by_channel[c])
                for c, states in reconciliation.by_channel.items()
            ],
            "overview_chart": overview,
            "day_chart": column_chart(
                [(d.day.strftime("%m/%d"), sum(d.applied.values())) for d in days], width=BAR_WIDTH
            ),
            "days": [
                {
                    "day": d.day,
                    "online": d.applied[Channel.ONLINE],
                    "counter": d.applied[Channel.COUNTER],
                    "paper": d.applied[Channel.PAPER],
                    "declined": sum(d.declined.values()),
                    "approved": d.approved,
                    "paid": d.paid,
                    "returned": d.returned,
                }
                for d in days
            ],
            "may_decide": _may_decide(request.user),
            "benefits_staff": is_benefits_staff(request.user),
            "desk_open": any(
                services.staff_entry_problem(program, c) is None for c in services.STAFF_CHANNELS
            ),
        },
    )


@staff_required
@require_http_methods(["GET"])
def dashboard_csv(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-figures.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    # New columns go last, so that a reader of the earlier columns by position keeps working.
    writer.writerow(
        [
            "date",
            "applied_online",
            "applied_counter",
            "applied_paper",
            "approved",
            "paid",
            "returned",
            "declined_online",
            "declined_counter",
            "declined_paper",
        ]
    )
    for d in selectors.per_day(program):
        writer.writerow(
            [
                d.day.isoformat(),
                d.applied[Channel.ONLINE],
                d.applied[Channel.COUNTER],
                d.applied[Channel.PAPER],
                d.approved,
                d.paid,
                d.returned,
                d.declined[Channel.ONLINE],
                d.declined[Channel.COUNTER],
                d.declined[Channel.PAPER],
            ]
        )
    r = selectors.reconciliation(program)
    writer.writerow([])
    writer.writerow(["channel", "paid", "pending", "rejected", "returned", "declined"])
    for channel, states in r.by_channel.items():
        writer.writerow([channel, *(states[s] for s in selectors.STATES), r.declined_by_channel[channel]])
    writer.writerow(
        ["eligible", r.eligible, "applied", r.applied, "not_applied", r.not_applied, "declined", r.declined]
    )
    return response


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def conflicts(request: HttpRequest, slug: str) -> HttpResponse:
    """Households with two or more applications (or an application and a decline), side by side; staff keep one
    (the other applications are rejected, the other declines withdrawn)."""
    program = _program(slug)
    if request.method == "POST":
        if not _may_decide(request.user):
            raise Http404("deciders only")
        keep = Application.objects.filter(program=program, number=request.POST.get("keep", "")).first()
        if keep is None:
            messages.error(request, _("選んだ申請が見つかりません。画面を読み込み直してください。"))
        else:
            try:
                services.resolve_conflict(keep=keep, staff=request.user, client_ip=client_ip_of(request))
            except MadoguchiError as exc:
                messages.error(request, exc.message(lang_of(request)))
            else:
                messages.success(
                    request,
                    (
                        pgettext(
                            "benefits decline",
                            "辞退 %(number)s を採用しました（辞退として確定し、同じ世帯の申請を取り下げました）。",
                        )
                        if keep.is_decline
                        else _("申請 %(number)s を採用し、同じ世帯の他の申請を取り下げました。")
                    )
                    % {"number": keep.number},
                )
        return redirect("benefits:conflicts", slug=slug)
    groups = selectors.conflicts(program)
    for group in groups:
        for application in group:
            audit.record_access(
                actor=request.user,
                action="view",
                object_type="benefits.application",
                object_id=application.pk,
                fields=["household", "bank_account", "holder_kana"],
                purpose="給付金の重複申請の確認",
                client_ip=client_ip_of(request),
            )
    # A household at a protected address (支援措置) shows no 世帯番号: it leads to the address.
    protected = resident_selectors.protected_household_ids(group[0].household_id for group in groups)
    households = [
        (ADDRESS_WITHHELD if group[0].household_id in protected else group[0].household.number, group)
        for group in groups
    ]
    return render(
        request,
        "benefits/office_conflicts.html",
        {
            "nav": "benefits",
            "program": program,
            "households": households,
            "may_decide": _may_decide(request.user),
        },
    )


@staff_required
@require_POST
def approve(request: HttpRequest, slug: str) -> HttpResponse:
    program = _program(slug)
    if not _may_decide(request.user):
        raise Http404("deciders only")
    report = services.approve_received(program=program, staff=request.user)
    messages.success(
        request,
        _(
            "%(approved)s 件の支給を決定しました（保留 %(held)s 件・口座の確認依頼 %(returned)s 件・重複 %(conflicts)s 件）。"
        )
        % {
            "approved": report.approved,
            "held": len(report.held),
            "returned": len(report.returned),
            "conflicts": len(report.conflicts),
        },
    )
    return redirect("benefits:dashboard", slug=slug)


@staff_required
@require_POST
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """The 全銀 file of the approved payments as a download (the same service as `benefits export-payments`)."""
    program = _program(slug)
    if not _may_decide(request.user):
        raise Http404("deciders only")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zengin.txt"
        try:
            result = services.export_payments(program=program, path=path, user=request.user)
        except MadoguchiError as exc:
            messages.error(request, exc.message(lang_of(request)))
            return redirect("benefits:dashboard", slug=slug)
        data = path.read_bytes()
    audit.record_access(
        actor=request.user,
        action="export",
        object_type="benefits.payment_export",
        object_id=result.export.pk,
        fields=["bank_account", "holder_kana", "amount"],
        purpose="給付金の振込データ作成",
        client_ip=client_ip_of(request),
    )
    response = HttpResponse(data, content_type="application/octet-stream")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-zengin-{stamp}.txt"'
    return response

"""The department dashboard (/office/dashboard/): open cases by status, channel and procedure, overdue cases,
and per week the cases received and closed, the average handling time and each procedure's online share, as
inline SVG bars beside their tables (the tables are what screen readers read), with a CSV export."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from madoguchi.accounts.decorators import staff_required
from madoguchi.cases import figures as case_figures
from madoguchi.core.charts import row_chart
from madoguchi.core.i18n import lang_of
from madoguchi.office import labels
from madoguchi.procedures.selectors import catalog


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    staff = request.user
    lang = lang_of(request)
    try:
        weeks = int(request.GET.get("weeks", ""))
    except ValueError:
        weeks = case_figures.DEFAULT_WEEKS
    if weeks not in case_figures.WEEK_CHOICES:
        weeks = case_figures.DEFAULT_WEEKS
    if staff.department_id is None:
        return render(request, "office/dashboard.html", {"nav": "dashboard", "no_department": True})
    data = case_figures.department_figures(department_id=staff.department_id, weeks=weeks)
    names = {p.pk: p.name_for(lang) for p in catalog(department=staff.department.code, lang=lang)}
    week_labels = [week.start.strftime("%m/%d") for week in data.weeks]
    context = {
        "nav": "dashboard",
        "weeks": weeks,
        "week_choices": case_figures.WEEK_CHOICES,
        "figures": data,
        "status_chart": row_chart([(labels.status_label(s), n) for s, n in data.open_by_status]),
        "channel_chart": row_chart([(labels.channel_label(c), n) for c, n in data.open_by_channel]),
        "procedure_chart": row_chart([(names.get(pk, str(pk)), n) for pk, n in data.open_by_procedure]),
        "received_chart": row_chart(
            [(label, w.received) for label, w in zip(week_labels, data.weeks, strict=True)]
        ),
        "handling_chart": row_chart(
            [(label, w.average_days) for label, w in zip(week_labels, data.weeks, strict=True)]
        ),
        "online_chart": row_chart(
            [(label, w.online_percent) for label, w in zip(week_labels, data.weeks, strict=True)]
        ),
        "week_labels": week_labels,
        "procedure_rows": [
            {
                "name": names.get(row.procedure_id, str(row.procedure_id)),
                "cells": list(zip(row.received, row.percents(), strict=True)),
            }
            for row in data.by_procedure
        ],
    }
    if request.GET.get("format") == "csv":
        return _csv(context, data)
    return render(request, "office/dashboard.html", context)


def _csv(context: dict, data) -> HttpResponse:
    """The dashboard's numbers as CSV (UTF-8 with BOM, so that Excel opens the Japanese right)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dashboard.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("区分"), _("項目"), _("週（月曜日）"), _("値")])
    for chart, section in (
        ("status_chart", _("未完了（状態別）")),
        ("channel_chart", _("未完了（経路別）")),
        ("procedure_chart", _("未完了（手続き別）")),
    ):
        for bar in context[chart]["bars"]:
            writer.writerow([section, bar["label"], "", bar["value"]])
    writer.writerow([_("期限超過"), "", "", data.overdue])
    for week in data.weeks:
        start = week.start.isoformat()
        writer.writerow([_("受付件数"), "", start, week.received])
        writer.writerow([_("完了件数"), "", start, week.closed])
        writer.writerow(
            [_("平均処理日数"), "", start, "" if week.average_days is None else week.average_days]
        )
        writer.writerow(
            [
                _("オンライン申請の割合（%）"),
                "",
                start,
                "" if week.online_percent is None else week.online_percent,
            ]
        )
    for row in context["procedure_rows"]:
        for week, (_received, percent) in zip(data.weeks, row["cells"], strict=True):
            writer.writerow(
                [
                    _("手続き別オンライン申請の割合（%）"),
                    row["name"],
                    week.start.isoformat(),
                    "" if percent is None else percent,
                ]
            )
    return response

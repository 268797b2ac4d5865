"""The department dashboard: known cases give known numbers (open by status, channel and procedure, overdue,
per week received, closed, average handling days and online share per procedure), tables beside the charts,
CSV export; other departments' cases never count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from madoguchi.cases import figures
from madoguchi.cases.models import Channel, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.procedures.tests.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 9)  # a Wednesday; its week starts on Monday 7 December
URL = "/office/dashboard/"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def known(procedure, kosodate, kankyo):
    other = ProcedureFactory(slug="hoiku", department=kosodate, name_ja="保育所の入所申込み")
    this_week, last_week = dt.date(2026, 12, 7), dt.date(2026, 11, 30)
    made = [
        # this week: 3 received for procedure (2 online), 1 for other (paper)
        CaseFactory(
            procedure=procedure, channel=Channel.ONLINE, status=Status.SUBMITTED, submitted_at=_at(this_week)
        ),
        CaseFactory(
            procedure=procedure, channel=Channel.ONLINE, status=Status.IN_REVIEW, submitted_at=_at(this_week)
        ),
        CaseFactory(
            procedure=procedure,
            channel=Channel.COUNTER,
            status=Status.READY_FOR_DECISION,
            submitted_at=_at(this_week),
            due_date=dt.date(2026, 12, 8),  # overdue
        ),
        CaseFactory(
            procedure=other, channel=Channel.PAPER, status=Status.APPROVED, submitted_at=_at(this_week)
        ),
        # last week: 1 online, closed this week after 2 days and 1 closed last week after 1 day
        CaseFactory(
            procedure=procedure,
            channel=Channel.ONLINE,
            status=Status.COMPLETED,
            submitted_at=_at(dt.date(2026, 12, 5)),
            closed_at=_at(dt.date(2026, 12, 7)),
        ),
        CaseFactory(
            procedure=other,
            channel=Channel.PAPER,
            status=Status.REJECTED,
            submitted_at=_at(last_week),
            closed_at=_at(last_week + dt.timedelta(days=1)),
        ),
        # another department's case never counts
        CaseFactory(procedure=ProcedureFactory(slug="gomi", department=kankyo), submitted_at=_at(this_week)),
    ]
    return procedure, other, made


def test_known_cases_give_known_figures(known, kosodate):
    procedure, other, _ = known

    data = figures.department_figures(department_id=kosodate.pk, weeks=2, today=TODAY)

    assert dict(data.open_by_status) == {
        Status.SUBMITTED: 1,
        Status.IN_REVIEW: 1,
        Status.WAITING_FOR_APPLICANT: 0,
        Status.READY_FOR_DECISION: 1,
        Status.APPROVED: 1,
    }
    assert dict(data.open_by_channel)[Channel.ONLINE] == 2 and dict(data.open_by_channel)[Channel.PAPER] == 1
    assert data.open_by_procedure == [(procedure.pk, 3), (other.pk, 1)]
    assert data.overdue == 1
    last, this = data.weeks
    assert (last.start, this.start) == (dt.date(2026, 11, 30), dt.date(2026, 12, 7))
    assert (last.received, last.online, last.closed, last.average_days) == (2, 1, 1, 1.0)
    assert (this.received, this.online, this.closed, this.average_days) == (4, 2, 1, 2.0)
    assert (last.online_percent, this.online_percent) == (50.0, 50.0)
    shares = {row.procedure_id: row.percents() for row in data.by_procedure}
    assert shares == {procedure.pk: [100.0, 66.7], other.pk: [0.0, 0.0]}


def test_the_page_has_charts_and_tables_and_a_csv(approver_client, known, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)

    body = approver_client.get(URL, {"weeks": 4}).content.decode()

    assert body.count('<svg class="office-hbars" role="img"') == 6
    assert 'id="weekly-table"' in body and 'id="kpi-table"' in body
    assert "66.7%" in body  # the online share of the procedure this week
    assert '<dd data-figure="overdue">1</dd>' in body

    response = approver_client.get(URL, {"weeks": 4, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["区分", "項目", "週（月曜日）", "値"]
    assert ["期限超過", "", "", "1"] in rows
    assert ["平均処理日数", "", "2026-12-07", "2.0"] in rows
    assert any(r[0] == "手続き別オンライン申請の割合（%）" and r[2:] == ["2026-12-07", "66.7"] for r in rows)


def test_staff_without_a_department_see_why(client):
    from madoguchi.accounts.models import Role
    from madoguchi.accounts.tests.factories import StaffFactory

    client.force_login(StaffFactory(department=None, role=Role.REVIEWER))

    assert "所属課がないため" in client.get(URL).content.decode()

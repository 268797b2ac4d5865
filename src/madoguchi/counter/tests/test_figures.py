"""The counter's visit figures: the selector's numbers from visits with known times, and the staff page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from madoguchi.cases.models import Case, Channel
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.counter import selectors
from madoguchi.counter.models import Visit, VisitForm
from madoguchi.procedures.tests.factories import ProcedureFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def _at(base: dt.datetime, minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else base + dt.timedelta(minutes=minutes)


def _visit(clerk, procedures, *, arrived, printed=None, signed=None, done=None, bundle=False) -> Visit:
    visit = Visit.objects.create(
        clerk=clerk,
        from_bundle=bundle,
        arrived_at=arrived,
        confirmed_at=_at(arrived, printed),
        printed_at=_at(arrived, printed),
        signed_at=_at(arrived, signed),
        done_at=_at(arrived, done),
    )
    for order, procedure in enumerate(procedures):
        VisitForm.objects.create(
            visit=visit, order=order, procedure=procedure, version=procedure.current_version
        )
    return visit


@pytest.fixture
def scene():
    """Three visits on 2 March 2026 (Tokyo) and one a month before; cases of two departments."""
    day = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TOKYO)
    anne = StaffFactory(display_name="青木", department=DepartmentFactory(code="shimin"))
    ben = StaffFactory(display_name="馬場", department=DepartmentFactory(code="shimin"))
    jido = ProcedureFactory(slug="jido-teate", name_ja="児童手当")
    iryo = ProcedureFactory(slug="kodomo-iryohi", name_ja="子ども医療費")
    gomi = ProcedureFactory(slug="gomi", name_ja="粗大ごみ", department=DepartmentFactory(code="kankyo"))
    # 09:00, pre-filled: printed after 10 min, signed 4 min later, done 6 min later (20 in all)
    _visit(anne, [jido], arrived=day, printed=10, signed=14, done=20, bundle=True)
    # 10:00: printed after 20 min, not signed yet
    _visit(anne, [jido, iryo], arrived=day + dt.timedelta(hours=1), printed=20)
    # 10:30: only arrived
    _visit(ben, [iryo], arrived=day + dt.timedelta(minutes=90))
    # a month before: outside the period
    _visit(ben, [iryo], arrived=day - dt.timedelta(days=30), printed=1, signed=2, done=3)
    for channel in (Channel.ONLINE, Channel.ONLINE, Channel.COUNTER, Channel.PAPER):
        CaseFactory(procedure=jido, channel=channel)
    CaseFactory(procedure=gomi, channel=Channel.PAPER)
    Case.objects.update(created_at=day)
    return {"day": day, "anne": anne, "jido": jido, "iryo": iryo, "gomi": gomi}


def test_visit_figures_exact_averages(scene):
    day = scene["day"]
    since = dt.datetime(2026, 2, 24, tzinfo=TOKYO)
    until = dt.datetime(2026, 3, 3, tzinfo=TOKYO)
    figures = selectors.visit_figures(since=since, until=until, department_id=scene["jido"].department_id)
    assert figures.visits == 3
    assert figures.prefilled == 1
    assert figures.prefilled_percent == 33.3

    anne, ben = figures.by_clerk
    assert (anne.label, anne.visits) == ("青木", 2)
    assert (anne.arrival_to_printed, anne.printed_to_signed) == (15.0, 4.0)
    assert (anne.signed_to_done, anne.arrival_to_done) == (6.0, 20.0)
    assert (ben.label, ben.visits, ben.arrival_to_printed, ben.arrival_to_done) == ("馬場", 1, None, None)

    by_procedure = {row.label: row for row in figures.by_procedure}
    assert by_procedure["児童手当"].visits == 2
    assert by_procedure["児童手当"].arrival_to_printed == 15.0
    assert by_procedure["児童手当"].arrival_to_done == 20.0
    assert by_procedure["子ども医療費"].visits == 2
    assert by_procedure["子ども医療費"].arrival_to_printed == 20.0
    assert by_procedure["子ども医療費"].printed_to_signed is None

    assert len(figures.by_hour) == 24
    assert dict(figures.by_hour)[9] == 1
    assert dict(figures.by_hour)[10] == 2
    assert sum(n for _hour, n in figures.by_hour) == 3
    assert len(figures.by_day) == 7
    assert dict(figures.by_day)[day.date()] == 3

    (share,) = figures.channel_shares  # the other department's 粗大ごみ is left out
    assert (share.label, share.total) == ("児童手当", 4)
    assert share.percent == {"online": 50.0, "counter": 25.0, "paper": 25.0, "other": 0.0}


def test_visit_figures_without_department_has_no_channel_shares(scene):
    figures = selectors.visit_figures(
        since=scene["day"] - dt.timedelta(days=1), until=scene["day"] + dt.timedelta(days=1)
    )
    assert figures.visits == 3
    assert figures.channel_shares == []


def test_figures_page_for_staff(client, scene):
    now = timezone.now()
    Visit.objects.update(arrived_at=now - dt.timedelta(hours=1))  # every visit inside the last 7 days
    Visit.objects.filter(done_at__isnull=False).update(
        printed_at=now - dt.timedelta(minutes=50),
        signed_at=now - dt.timedelta(minutes=48),
        done_at=now - dt.timedelta(minutes=30),
    )
    Case.objects.update(created_at=now - dt.timedelta(hours=1))
    client.force_login(StaffFactory(department=scene["jido"].department, reviewer=True))
    response = client.get(reverse("counter:figures"), {"days": "7"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd data-figure="visits">4</dd>' in html
    assert "（25.0%）" in html  # one of four with a pre-fill
    assert "<td>10.0</td>" in html and "<td>30.0</td>" in html  # printed after 10 min, done after 30
    assert 'role="img"' in html and "aria-label=" in html
    assert "児童手当" in html and "50.0%" in html
    assert "粗大ごみ" not in html
    assert 'value="7" selected' in html


def test_counter_screen_links_to_figures(client):
    client.force_login(StaffFactory())
    assert reverse("counter:figures") in client.get(reverse("counter:desk")).content.decode()


@pytest.mark.parametrize("days", ["abc", "0", "365", "-7", "", "30.5"])
def test_bad_period_falls_back_to_30_days(client, days):
    client.force_login(StaffFactory(auditor=True))
    response = client.get(reverse("counter:figures"), {"days": days})
    assert response.status_code == 200
    assert response.context["days"] == 30
    assert "所属課がないため" in response.content.decode()


def test_english_labels(client):
    client.force_login(StaffFactory())
    response = client.get("/en/office/counter/figures/")
    assert response.status_code == 200
    assert "Counter figures" in response.content.decode()


def test_residents_and_anonymous_are_refused(client):
    url = reverse("counter:figures")
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert reverse("office:login") in anonymous["Location"]
    client.force_login(ResidentFactory())
    assert client.get(url).status_code == 404

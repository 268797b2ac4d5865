"""The auditor's search of the audit log (who looked at whose data, and when)."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.core import audit
from madoguchi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

AUDIT = reverse("office:audit")
TOKYO = ZoneInfo("Asia/Tokyo")


def _record(actor, *, at: dt.datetime, person_id: int | None = None, object_id: str = "ABCD-EFGH"):
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit.record_access(
            actor=actor,
            action="read",
            object_type="case",
            object_id=object_id,
            person_id=person_id,
            fields=["applicant_name"],
            purpose="case_review",
            client_ip="192.0.2.1",
        )


def _seqs(response) -> list[int]:
    return [
        int(n)
        for n in re.findall(r"<tr(?: class=\"is-night\")?>\s*<td>\d+-(\d+)</td>", response.content.decode())
    ]


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def log(approver, reviewer):
    day = dt.datetime(2025, 6, 10, 10, 0, tzinfo=TOKYO)
    return {
        "approver_day": _record(approver, at=day, person_id=11),
        "reviewer_day": _record(reviewer, at=day + dt.timedelta(hours=1), person_id=22),
        "approver_night": _record(approver, at=dt.datetime(2025, 6, 11, 23, 30, tzinfo=TOKYO), person_id=22),
        "reviewer_early": _record(reviewer, at=dt.datetime(2025, 6, 12, 5, 15, tzinfo=TOKYO), person_id=11),
        "later": _record(approver, at=dt.datetime(2025, 7, 1, 9, 0, tzinfo=TOKYO), person_id=33),
    }


def test_only_auditors_may_search(approver_client):
    response = approver_client.get(AUDIT)

    assert response.status_code == 403
    assert "監査担当の職員だけ" in response.content.decode()


def test_auditor_sees_the_newest_rows_first(auditor_client, log):
    response = auditor_client.get(AUDIT)

    assert response.status_code == 200
    assert _seqs(response) == [e.seq for e in sorted(log.values(), key=lambda e: -e.seq)]


def test_search_by_staff_member(auditor_client, log, reviewer):
    response = auditor_client.get(AUDIT, {"staff": reviewer.email.upper()})

    assert set(_seqs(response)) == {log["reviewer_day"].seq, log["reviewer_early"].seq}


def test_unknown_staff_member_says_so(auditor_client, log):
    response = auditor_client.get(AUDIT, {"staff": "nobody@example.jp"})

    assert _seqs(response) == []
    assert "そのメールアドレスの職員は見つかりませんでした" in response.content.decode()


def test_search_by_person(auditor_client, log):
    response = auditor_client.get(AUDIT, {"person_id": "22"})

    assert set(_seqs(response)) == {log["reviewer_day"].seq, log["approver_night"].seq}


def test_search_by_date_range_in_local_time(auditor_client, log):
    response = auditor_client.get(AUDIT, {"date_from": "2025-06-11", "date_to": "2025-06-12"})

    assert set(_seqs(response)) == {log["approver_night"].seq, log["reviewer_early"].seq}


def test_night_time_filter(auditor_client, log):
    response = auditor_client.get(AUDIT, {"night": "1"})

    assert set(_seqs(response)) == {log["approver_night"].seq, log["reviewer_early"].seq}
    assert "夜間" in response.content.decode()


def test_filters_combine(auditor_client, log, approver):
    response = auditor_client.get(AUDIT, {"night": "1", "staff": approver.email, "person_id": "22"})

    assert _seqs(response) == [log["approver_night"].seq]


def test_bad_input_is_explained_not_a_500(auditor_client, log):
    response = auditor_client.get(AUDIT, {"person_id": "abc", "date_from": "2025-13-01"})

    body = response.content.decode()
    assert response.status_code == 400
    assert "住民IDは数字で入力してください。" in body
    assert "日付は 2025-04-01 の形で入力してください。" in body


def test_reversed_date_range_is_explained(auditor_client):
    response = auditor_client.get(AUDIT, {"date_from": "2025-06-12", "date_to": "2025-06-01"})

    assert response.status_code == 400
    assert "「まで」の日付は「から」の日付と同じか" in response.content.decode()


def test_the_search_itself_is_audited(auditor_client, auditor, log):
    auditor_client.get(AUDIT, {"person_id": "22"})

    event = AuditEvent.objects.order_by("-id").first()
    assert event.actor_id == auditor.pk
    assert event.action == "search"
    assert event.object_type == "audit_log"
    assert event.person_id == 22
    assert event.fields == ["person_id"]


def test_audit_search_pages(auditor_client, approver):
    start = dt.datetime(2025, 5, 1, 9, 0, tzinfo=TOKYO)
    for n in range(60):
        _record(approver, at=start + dt.timedelta(minutes=n))

    first = auditor_client.get(AUDIT, {"staff": approver.email})
    assert _seqs(first) == list(range(60, 10, -1))
    href = re.search(r'href="\?([^"]+)" rel="next"', first.content.decode()).group(1).replace("&amp;", "&")

    second = auditor_client.get(f"{AUDIT}?{href}")

    assert _seqs(second) == list(range(10, 0, -1))


def test_auditor_page_in_english(auditor_client, log):
    body = auditor_client.get("/en" + AUDIT).content.decode()

    assert "Search the audit log" in body


def test_auditor_menu_link_only_for_auditors(auditor, approver):
    auditor_client, approver_client = Client(), Client()
    auditor_client.force_login(auditor)
    approver_client.force_login(approver)

    # the auditor lands on the audit page (the queue redirects there); its menu names it
    assert (
        'href="/office/audit/"' in auditor_client.get(reverse("office:queue"), follow=True).content.decode()
    )
    assert 'href="/office/audit/"' not in approver_client.get(reverse("office:queue")).content.decode()


def test_a_reviewer_in_the_same_department_is_refused(client, kosodate):
    client.force_login(StaffFactory(department=kosodate, role=Role.REVIEWER))

    assert client.get(AUDIT).status_code == 403

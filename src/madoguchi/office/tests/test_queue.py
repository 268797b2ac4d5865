"""The department queue: scope, filters, counts, due dates in business days, paging, bulk approve."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.models import Role
from madoguchi.accounts.tests.factories import StaffFactory
from madoguchi.cases import services
from madoguchi.cases.models import CaseHistory, Channel, Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.clock import add_business_days, business_days_between
from madoguchi.procedures.tests.factories import ProcedureFactory


@pytest.fixture(autouse=True)
def _decision_in_one_step(settings):
    """These tests approve cases in review directly (MADOGUCHI_DECISION_BY_ANOTHER_STAFF off); review, then
    decision by another staff member (the default) is tested in office/tests/test_decision.py."""
    settings.DECISION_BY_ANOTHER_STAFF = False


pytestmark = pytest.mark.django_db

QUEUE = reverse("office:queue")


def _references(response) -> list[str]:
    return re.findall(r'class="office-reference" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_queue_shows_only_the_own_department_and_never_drafts(approver_client, procedure, kankyo):
    own = CaseFactory(procedure=procedure)
    draft = CaseFactory(procedure=procedure, status=Status.DRAFT, submitted_at=None)
    other = CaseFactory(procedure=ProcedureFactory(slug="gomi", department=kankyo, name_ja="粗大ごみ"))

    response = approver_client.get(QUEUE)

    assert response.status_code == 200
    assert _references(response) == [own.reference]
    assert draft.reference not in response.content.decode()
    assert other.reference not in response.content.decode()


def test_queue_columns(approver_client, procedure, approver):
    case = CaseFactory(
        procedure=procedure, applicant_name="緑 太郎", channel=Channel.PAPER, assignee=approver
    )

    body = approver_client.get(QUEUE).content.decode()

    for header in ("受付番号", "手続き", "申請者", "チャネル", "状態", "期限", "担当"):
        assert f">{header}</th>" in body
    assert case.reference in body
    assert "児童手当の認定請求" in body
    assert "緑 太郎" in body
    assert "紙" in body
    assert "受付" in body
    assert "決裁 一郎" in body


def test_queue_is_sorted_by_due_date(approver_client, procedure):
    today = timezone.localdate()
    later = CaseFactory(procedure=procedure, due_date=today + dt.timedelta(days=20))
    sooner = CaseFactory(procedure=procedure, due_date=today + dt.timedelta(days=2))
    undated = CaseFactory(procedure=procedure, due_date=None)

    assert _references(approver_client.get(QUEUE)) == [sooner.reference, later.reference, undated.reference]


def test_remaining_and_overdue_business_days_are_written_out(approver_client, procedure):
    today = timezone.localdate()
    due_soon = add_business_days(today, 3)
    CaseFactory(procedure=procedure, due_date=due_soon)
    late = CaseFactory(procedure=procedure, due_date=today - dt.timedelta(days=10))
    late_days = -business_days_between(today, late.due_date)

    body = approver_client.get(QUEUE).content.decode()

    assert "残り3営業日" in body
    assert f"{late_days}営業日超過" in body
    assert 'class="is-overdue"' in body


def test_status_filter(approver_client, procedure):
    submitted = CaseFactory(procedure=procedure, status=Status.SUBMITTED)
    approved = CaseFactory(procedure=procedure, status=Status.APPROVED)
    completed = CaseFactory(procedure=procedure, status=Status.COMPLETED)

    assert _references(approver_client.get(QUEUE, {"status": "approved"})) == [approved.reference]
    assert _references(approver_client.get(QUEUE, {"status": "completed"})) == [completed.reference]
    default = _references(approver_client.get(QUEUE))
    assert set(default) == {submitted.reference, approved.reference}


def test_procedure_and_channel_filters(approver_client, procedure, kosodate):
    other_procedure = ProcedureFactory(slug="hoiku", department=kosodate, name_ja="保育所の入所申込み")
    by_paper = CaseFactory(procedure=procedure, channel=Channel.PAPER)
    online = CaseFactory(procedure=procedure, channel=Channel.ONLINE)
    other = CaseFactory(procedure=other_procedure, channel=Channel.PAPER)

    assert set(_references(approver_client.get(QUEUE, {"procedure": "hoiku"}))) == {other.reference}
    assert set(_references(approver_client.get(QUEUE, {"channel": "paper"}))) == {
        by_paper.reference,
        other.reference,
    }
    assert _references(approver_client.get(QUEUE, {"channel": "online", "procedure": "jido-teate"})) == [
        online.reference
    ]


def test_overdue_and_assigned_to_me_filters(approver_client, procedure, approver, reviewer):
    today = timezone.localdate()
    late = CaseFactory(procedure=procedure, due_date=today - dt.timedelta(days=3))
    mine = CaseFactory(procedure=procedure, assignee=approver, status=Status.IN_REVIEW)
    CaseFactory(procedure=procedure, assignee=reviewer, status=Status.IN_REVIEW)

    assert _references(approver_client.get(QUEUE, {"overdue": "1"})) == [late.reference]
    assert _references(approver_client.get(QUEUE, {"mine": "1"})) == [mine.reference]


def test_unknown_filter_values_are_ignored(approver_client, procedure):
    case = CaseFactory(procedure=procedure)

    response = approver_client.get(
        QUEUE, {"status": "draft", "procedure": "no-such", "channel": "fax", "after": "garbage"}
    )

    assert response.status_code == 200
    assert _references(response) == [case.reference]


def test_counts_per_status_in_the_filter_bar(approver_client, procedure, kankyo):
    today = timezone.localdate()
    CaseFactory.create_batch(3, procedure=procedure, status=Status.SUBMITTED)
    CaseFactory.create_batch(
        2, procedure=procedure, status=Status.IN_REVIEW, due_date=today - dt.timedelta(days=5)
    )
    CaseFactory(procedure=procedure, status=Status.COMPLETED)
    CaseFactory(procedure=procedure, status=Status.DRAFT)
    CaseFactory(procedure=ProcedureFactory(slug="gomi", department=kankyo), status=Status.SUBMITTED)
    services.rebuild_case_counts()  # the factory writes cases directly, not through the services

    body = approver_client.get(QUEUE).content.decode()

    def count(label: str) -> str:
        match = re.search(rf'>{label} <span class="office-count">(\d+)</span>', body)
        assert match, label
        return match.group(1)

    assert count("受付") == "3"
    assert count("審査中") == "2"
    assert count("完了") == "1"
    assert count("未完了のすべて") == "5"
    assert count("期限超過（未完了）") == "2"
    assert "下書き" not in body


def test_keyset_paging_without_count_queries(approver_client, procedure, django_assert_max_num_queries):
    today = timezone.localdate()
    for n in range(55):
        CaseFactory(procedure=procedure, due_date=today + dt.timedelta(days=n % 7))
    CaseFactory.create_batch(3, procedure=procedure, due_date=None)

    with django_assert_max_num_queries(12):  # one ordered read per status in progress
        first = approver_client.get(QUEUE)
    first_refs = _references(first)
    assert len(first_refs) == 50
    next_href = (
        re.search(r'href="\?([^"]+)" rel="next"', first.content.decode()).group(1).replace("&amp;", "&")
    )

    second = approver_client.get(f"{QUEUE}?{next_href}")
    second_refs = _references(second)
    assert len(second_refs) == 8
    assert not set(first_refs) & set(second_refs)
    assert 'rel="next"' not in second.content.decode()

    prev_href = (
        re.search(r'href="\?([^"]+)" rel="prev"', second.content.decode()).group(1).replace("&amp;", "&")
    )
    assert _references(approver_client.get(f"{QUEUE}?{prev_href}")) == first_refs


def test_queue_page_makes_no_query_per_row(
    approver_client, procedure, approver, django_assert_max_num_queries
):
    CaseFactory.create_batch(50, procedure=procedure, assignee=approver)

    with django_assert_max_num_queries(12):  # one ordered read per status in progress
        response = approver_client.get(QUEUE)

    assert len(_references(response)) == 50


def test_queue_in_english(approver_client, procedure):
    CaseFactory(
        procedure=procedure,
        due_date=add_business_days(timezone.localdate(), 2),
        status=Status.WAITING_FOR_APPLICANT,
        channel=Channel.PAPER,
    )

    body = approver_client.get("/en/office/").content.decode()

    assert "Reference" in body
    assert "Child allowance claim" in body
    assert "2 business days left" in body
    assert "Waiting for the applicant" in body  # staff wording, whatever the portal calls it
    assert ">Paper<" in body


# ---- bulk approve -----------------------------------------------------------------------------------------


def test_bulk_approve_reports_which_cases_failed_and_why(approver_client, procedure, kankyo):
    first = CaseFactory(procedure=procedure, status=Status.SUBMITTED)
    second = CaseFactory(procedure=procedure, status=Status.IN_REVIEW)
    done_already = CaseFactory(procedure=procedure, status=Status.COMPLETED)
    foreign = CaseFactory(procedure=ProcedureFactory(slug="gomi", department=kankyo), status=Status.SUBMITTED)

    response = approver_client.post(
        reverse("office:bulk_approve"),
        {"case": [first.pk, second.pk, done_already.pk, foreign.pk], "next": QUEUE, "confirmed": "yes"},
        follow=True,
    )

    body = response.content.decode()
    for case in (first, second, done_already, foreign):
        case.refresh_from_db()
    assert first.status == second.status == Status.APPROVED
    assert done_already.status == Status.COMPLETED
    assert foreign.status == Status.SUBMITTED
    assert "2件を承認しました" in body
    assert f"{done_already.reference} は承認できませんでした" in body
    assert "この操作はできません" in body
    assert "1件は見つかりませんでした" in body
    assert not CaseHistory.objects.filter(case=done_already).exists()
    assert not CaseHistory.objects.filter(case=foreign).exists()


def test_bulk_approve_with_nothing_selected(approver_client, procedure):
    response = approver_client.post(reverse("office:bulk_approve"), {}, follow=True)

    assert "承認する申請を一覧のチェックボックスで選んでから" in response.content.decode()


def test_bulk_approve_by_a_reviewer_changes_nothing(client, procedure, reviewer):
    case = CaseFactory(procedure=procedure)
    client.force_login(reviewer)

    assert "一括承認" not in client.get(QUEUE).content.decode()
    response = client.post(
        reverse("office:bulk_approve"), {"case": [case.pk], "confirmed": "yes"}, follow=True
    )

    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert "権限がありません" in response.content.decode()


def test_bulk_approve_never_redirects_off_the_queue(approver_client, procedure):
    response = approver_client.post(reverse("office:bulk_approve"), {"next": "https://evil.example.com/"})

    assert response.url == QUEUE


def test_staff_without_a_department_sees_an_empty_queue(client, procedure):
    CaseFactory(procedure=procedure)
    staff = StaffFactory(department=None, role=Role.REVIEWER)
    client.force_login(staff)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert _references(response) == []


def _walk(client, query: str, rel: str) -> list[list[str]]:
    pages, url = [], f"{QUEUE}?{query}"
    for _ in range(20):
        response = client.get(url)
        pages.append(_references(response))
        match = re.search(rf'href="\?([^"]+)" rel="{rel}"', response.content.decode())
        if match is None:
            return pages
        url = f"{QUEUE}?{match.group(1).replace('&amp;', '&')}"
    raise AssertionError("paging does not end")


def test_paging_walks_the_whole_queue_in_order_both_ways(approver_client, procedure):
    today = timezone.localdate()
    statuses = [Status.SUBMITTED, Status.IN_REVIEW, Status.WAITING_FOR_APPLICANT, Status.APPROVED]
    cases = [
        CaseFactory(
            procedure=procedure,
            status=statuses[n % 4],
            due_date=None if n % 9 == 0 else today + dt.timedelta(days=(n * 7) % 13 - 4),
        )
        for n in range(130)
    ]
    CaseFactory.create_batch(5, procedure=procedure, status=Status.COMPLETED)
    expected = [
        c.reference
        for c in sorted(cases, key=lambda c: (c.due_date is None, c.due_date or dt.date.min, c.pk))
    ]

    forward = _walk(approver_client, "", "next")
    assert [len(page) for page in forward] == [50, 50, 30]
    assert [ref for page in forward for ref in page] == expected

    last_page = approver_client.get(f"{QUEUE}?after={_cursor_of(forward[1][-1], cases)}")
    assert _references(last_page) == forward[2]
    backward = _walk(approver_client, f"after={_cursor_of(forward[1][-1], cases)}", "prev")
    assert [ref for page in reversed(backward) for ref in page] == expected


def _cursor_of(reference: str, cases) -> str:
    case = next(c for c in cases if c.reference == reference)
    return f"{case.due_date.isoformat() if case.due_date else ''}_{case.pk}"

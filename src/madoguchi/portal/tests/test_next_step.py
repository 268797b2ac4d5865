"""What happens next: the receipt shows the fee, the ID to bring and the steps after submission and after
approval; the case page shows the step of the current status; the notice and the email carry it too."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.cases.models import Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.notify.models import Notice
from madoguchi.notify.subscribers import notify_applicant_of_status_change

pytestmark = pytest.mark.django_db


def _case(procedure, resident, status):
    return CaseFactory(procedure=procedure, applicant=resident, status=status)


def test_the_receipt_shows_fee_id_and_what_happens_next(resident_client, resident, procedure):
    case = _case(procedure, resident, Status.SUBMITTED)

    page = resident_client.get(reverse("portal:receipt", args=[case.reference])).content.decode()

    assert "手数料" in page and "1通300円" in page
    assert "本人確認書類（マイナンバーカード、運転免許証、パスポートなど）" in page  # the ID to bring
    assert "このあとの手続き" in page and "3開庁日以内" in page  # after submission
    assert "承認されたら" in page
    assert "市民課（市役所本庁舎1階 2番窓口）、平日8時30分〜17時15分" in page  # where and when to collect


def test_the_case_page_shows_the_step_of_its_status(resident_client, resident, procedure):
    approved = _case(procedure, resident, Status.APPROVED)

    page = resident_client.get(reverse("portal:case", args=[approved.reference])).content.decode()

    assert "このあとの手続き" in page
    assert "住民票の写しの準備ができました" in page
    assert "受け取りの場所・時間" in page and "持ち物" in page


def test_the_case_page_in_english(client, resident, procedure):
    approved = _case(procedure, resident, Status.APPROVED)
    client.force_login(resident)

    page = client.get(f"/en/mypage/cases/{approved.reference}/").content.decode()

    assert "What happens next" in page
    assert "Your copy of the certificate of residence is ready." in page


def test_the_approval_notice_and_email_say_what_to_bring_and_where(
    resident, procedure, django_capture_on_commit_callbacks
):
    case = _case(procedure, resident, Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        notify_applicant_of_status_change(
            {
                "case_id": case.pk,
                "reference": case.reference,
                "action": "approve",
                "from": Status.READY_FOR_DECISION,
                "to": Status.APPROVED,
                "visible_to_applicant": True,
                "note": "",
                "applicant_id": resident.pk,
            }
        )

    notice = Notice.objects.get(recipient=resident)
    assert "■ このあとの手続き" in notice.body_ja
    assert "持ち物：本人確認書類" in notice.body_ja
    assert "手数料：1通300円" in notice.body_ja
    assert "Fee: 300 yen per copy" in notice.body_en
    assert "受け取りの場所・時間：市民課" in mail.outbox[-1].body

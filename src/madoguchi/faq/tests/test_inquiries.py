"""Inquiries: resident asks → ticket for the department owning the category → staff reply → My Page notice and
email; anonymous inquiries by email; scoping by owner and department; 「FAQにする」."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.core.models import AuditEvent
from madoguchi.faq import services
from madoguchi.faq.engine import MY_NUMBER_MASK
from madoguchi.faq.models import FaqEntry, Inquiry, InquiryMessage, InquiryStatus
from madoguchi.faq.tests.test_ask import MY_NUMBER
from madoguchi.notify.models import Notice

pytestmark = pytest.mark.django_db


def _reference_in(response) -> str:
    return re.search(r"Q-[2-9A-Z]{4}-[2-9A-Z]{4}", response.content.decode()).group(0)


def test_inquiry_round_trip(client, demo_faq, resident, staff_of, django_capture_on_commit_callbacks):
    # The resident asks the chat, which cannot answer, and sends the question to staff.
    client.force_login(resident)
    token = client.post(
        "/faq/ask.json", {"question": "固定資産税の口座振替の締め切りに間に合わなかった"}
    ).json()["token"]
    form = client.get(f"/faq/inquiries/new/?from={token}")
    assert form.status_code == 200 and "固定資産税" in form.content.decode()
    response = client.post(
        "/faq/inquiries/new/",
        {
            "category": "税金",
            "question": "固定資産税の口座振替の締め切りに間に合いませんでした。どうすればいいですか。",
            "source": token,
        },
    )
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "faq:inquiry_detail", args=[inquiry.reference]
    )
    assert (inquiry.department.code, inquiry.status, inquiry.resident) == (
        "zeimu",
        InquiryStatus.OPEN,
        resident,
    )
    assert inquiry.chat_question is not None

    # Staff of another department do not see it; 税務課 does.
    other = client_for(staff_of("kankyo"))
    assert inquiry.reference not in other.get("/faq/office/inquiries/").content.decode()
    assert other.get(f"/faq/office/inquiries/{inquiry.reference}/").status_code == 404
    zeimu_staff = staff_of("zeimu")
    staff_client = client_for(zeimu_staff)
    assert inquiry.reference in staff_client.get("/faq/office/inquiries/").content.decode()
    assert staff_client.get(f"/faq/office/inquiries/{inquiry.reference}/").status_code == 200
    assert AuditEvent.objects.filter(
        object_type="faq_inquiry", object_id=inquiry.reference, action="read"
    ).exists()

    # The reply reaches My Page (inbox notice) and the resident's email.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/faq/office/inquiries/{inquiry.reference}/reply/",
            {"body": "納付書でお支払いください。次回から口座振替になります。"},
        )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    notice = Notice.objects.get(recipient=resident)
    assert notice.kind == "faq.inquiry_answered" and "納付書でお支払いください" in notice.body_ja
    assert [m.to for m in mail.outbox] == [[resident.email]]
    assert "納付書でお支払いください" in mail.outbox[0].body

    client.force_login(resident)
    page = client.get(f"/faq/inquiries/{inquiry.reference}/").content.decode()
    assert "納付書でお支払いください" in page
    assert inquiry.reference in client.get("/faq/inquiries/").content.decode()

    # A follow-up opens it again for the department.
    client.post(f"/faq/inquiries/{inquiry.reference}/messages/", {"body": "ありがとうございました。"})
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.OPEN and inquiry.messages.count() == 2


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_another_residents_inquiry_is_a_404(client, departments):
    owner, intruder = ResidentFactory(), ResidentFactory()
    inquiry = services.open_inquiry(
        question="ごみの日を知りたい", category="ごみ・リサイクル", resident=owner
    )
    client.force_login(intruder)
    assert client.get(f"/faq/inquiries/{inquiry.reference}/").status_code == 404
    assert client.post(f"/faq/inquiries/{inquiry.reference}/messages/", {"body": "x"}).status_code == 404
    assert inquiry.reference not in client.get("/faq/inquiries/").content.decode()


def test_inquiry_pages_need_a_signed_in_resident(client, departments):
    response = client.get("/faq/inquiries/")
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_anonymous_inquiry_needs_an_email_and_gets_the_reply_by_email(
    client, departments, staff_of, django_capture_on_commit_callbacks
):
    response = client.post(
        "/faq/inquiries/new/", {"category": "ごみ・リサイクル", "question": "粗大ごみの料金は？"}
    )
    assert response.status_code == 400 and "メールアドレスを入力してください" in response.content.decode()
    assert not Inquiry.objects.exists()

    response = client.post(
        "/faq/inquiries/new/",
        {"category": "ごみ・リサイクル", "question": "粗大ごみの料金は？", "email": "visitor@example.jp"},
    )
    assert response.status_code == 200
    inquiry = Inquiry.objects.get(reference=_reference_in(response))
    assert (inquiry.department.code, inquiry.email, inquiry.resident) == (
        "kankyo",
        "visitor@example.jp",
        None,
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_inquiry(inquiry=inquiry, staff=staff_of("kankyo"), body="1点300円からです。")
    assert [m.to for m in mail.outbox] == [["visitor@example.jp"]]
    assert "1点300円からです。" in mail.outbox[0].body and inquiry.reference in mail.outbox[0].subject
    assert not Notice.objects.exists()


def test_unknown_category_goes_to_the_general_counter(departments):
    inquiry = services.open_inquiry(question="市役所の駐車場は？", category="", email="a@example.jp")
    assert inquiry.department.code == "shimin"
    inquiry = services.open_inquiry(question="市役所の駐車場は？", category="<script>", email="a@example.jp")
    assert (inquiry.department.code, inquiry.category) == ("shimin", "")


def test_my_number_in_an_inquiry_is_masked_before_it_is_stored(client, resident, departments):
    client.force_login(resident)
    client.post(
        "/faq/inquiries/new/", {"category": "マイナンバーカード", "question": f"番号は{MY_NUMBER}です"}
    )
    inquiry = Inquiry.objects.get()
    assert MY_NUMBER not in inquiry.question and MY_NUMBER_MASK in inquiry.question


def test_too_long_or_empty_inquiries_are_refused_with_a_message(client, resident, departments):
    client.force_login(resident)
    response = client.post("/faq/inquiries/new/", {"category": "", "question": "あ" * 10_000})
    assert response.status_code == 400 and "4000文字以内" in response.content.decode()
    response = client.post("/faq/inquiries/new/", {"category": "", "question": "   "})
    assert response.status_code == 400 and "お問い合わせの内容を入力してください" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_staff_of_another_department_cannot_reply(departments, staff_of):
    inquiry = services.open_inquiry(
        question="保育園の空きは？", category="保育園・幼稚園", email="a@example.jp"
    )
    with pytest.raises(services.FaqError) as caught:
        services.reply_to_inquiry(inquiry=inquiry, staff=staff_of("zeimu"), body="回答")
    assert caught.value.code == "not_your_department"
    assert not InquiryMessage.objects.exists()


def test_staff_reply_is_masked_too(departments, staff_of):
    inquiry = services.open_inquiry(
        question="保育園の空きは？", category="保育園・幼稚園", email="a@example.jp"
    )
    message = services.reply_to_inquiry(
        inquiry=inquiry, staff=staff_of("kosodate"), body=f"番号 {MY_NUMBER} を確認しました"
    )
    assert MY_NUMBER not in message.body


def test_promote_a_reply_to_a_new_faq_entry(client, demo_faq, staff_of, django_capture_on_commit_callbacks):
    staff = staff_of("kankyo")
    inquiry = services.open_inquiry(
        question="庭の木の枝は何ごみですか？", category="ごみ・リサイクル", email="a@example.jp"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_to_inquiry(
            inquiry=inquiry, staff=staff, body="50cm以下に切って燃やすごみに出してください。"
        )
    staff_client = client_for(staff)
    form = staff_client.get(f"/faq/office/inquiries/{inquiry.reference}/promote/")
    assert form.status_code == 200 and "50cm以下に切って" in form.content.decode()
    response = staff_client.post(
        f"/faq/office/inquiries/{inquiry.reference}/promote/",
        {
            "category": "ごみ・リサイクル",
            "question": "庭の木の枝は何ごみですか。",
            "answer": "50cm以下に切って、ひもで束ねて燃やすごみに出してください。",
            "keywords": "剪定枝\n枝\n庭木",
            "procedure_slug": "",
        },
    )
    entry = FaqEntry.objects.get(faq_id="FAQ-151")
    assert response.status_code == 302 and response["Location"] == reverse(
        "faq:office_entry", args=["FAQ-151"]
    )
    assert entry.department.code == "kankyo"
    version = entry.versions.get()
    assert (version.source, version.created_by, version.keywords) == (
        f"inquiry {inquiry.reference}",
        staff,
        ["剪定枝", "枝", "庭木"],
    )
    inquiry.refresh_from_db()
    assert inquiry.faq_entry == entry
    assert services.ask(question="剪定枝の出し方", lang="ja").best.faq_id == "FAQ-151"


def test_promote_needs_a_category_of_ones_own_department(demo_faq, staff_of):
    staff = staff_of("kankyo")
    inquiry = services.open_inquiry(question="質問", category="ごみ・リサイクル", email="a@example.jp")
    with pytest.raises(services.FaqError) as caught:
        services.promote_reply_to_faq(inquiry=inquiry, staff=staff, question="q", answer="a", category="税金")
    assert caught.value.code == "category_of_other_department"
    assert not FaqEntry.objects.filter(faq_id="FAQ-151").exists()


def test_close_an_inquiry(departments, staff_of):
    staff = staff_of("shimin")
    inquiry = services.open_inquiry(question="質問", category="", email="a@example.jp")
    response = client_for(staff).post(f"/faq/office/inquiries/{inquiry.reference}/close/")
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.CLOSED


def test_staff_accounts_use_the_office_not_the_inquiry_form(client, departments, staff_of):
    client.force_login(staff_of("shimin"))
    assert client.get("/faq/inquiries/new/").status_code == 403

"""Office pages: access, editing entries (a new version per save, history shown), settings, analytics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.faq import selectors, services
from madoguchi.faq.models import ChatQuestion, FaqEntry, FaqVersion

pytestmark = pytest.mark.django_db

OFFICE_PAGES = [
    "/faq/office/",
    "/faq/office/inquiries/",
    "/faq/office/analytics/",
    "/faq/office/review/",
    "/faq/office/entries/new/",
]


@pytest.mark.parametrize("url", OFFICE_PAGES)
def test_office_pages_need_staff(client, departments, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("office:login"))
    client.force_login(ResidentFactory())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", OFFICE_PAGES)
def test_office_pages_render_for_staff(client, demo_faq, staff_of, url):
    client.force_login(staff_of("shimin"))
    response = client.get(url)
    assert response.status_code == 200
    assert 'aria-current="page"' in response.content.decode()


def test_entry_list_filters(client, demo_faq, staff_of):
    client.force_login(staff_of("kankyo"))
    page = client.get("/faq/office/", {"q": "粗大ごみ"}).content.decode()
    assert "FAQ-086" in page and "FAQ-001" not in page
    page = client.get("/faq/office/", {"mine": "1"}).content.decode()
    assert "FAQ-086" in page and "FAQ-001" not in page
    page = client.get("/faq/office/", {"category": "税金"}).content.decode()
    assert "FAQ-094" in page and "FAQ-086" not in page


def test_editing_an_entry_appends_a_version_and_shows_the_history(client, demo_faq, staff_of):
    staff = staff_of("kankyo")
    client.force_login(staff)
    url = reverse("faq:office_entry", args=["FAQ-086"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "lang": "ja",
            "question": "大きな家具を捨てたい。",
            "answer": "粗大ごみ受付センターへ。\n有料です。",
            "keywords": "粗大ごみ\nソファ",
        },
    )
    assert response.status_code == 302
    entry = FaqEntry.objects.get(faq_id="FAQ-086")
    history = list(selectors.entry_history(entry))
    assert [v.question for v in history if v.lang == "ja"] == [
        "大きな家具を捨てたい。",
        "ソファやタンスなど大きな家具を捨てたいです。",
    ]
    assert history[0].created_by == staff and history[0].source == "office"
    page = client.get(url).content.decode()
    assert "大きな家具を捨てたい。" in page and "ソファやタンスなど大きな家具を捨てたいです。" in page

    # The same text again: no new version.
    count = FaqVersion.objects.count()
    client.post(
        url,
        {
            "lang": "ja",
            "question": "大きな家具を捨てたい。",
            "answer": "粗大ごみ受付センターへ。\n有料です。",
            "keywords": "粗大ごみ\nソファ",
        },
    )
    assert FaqVersion.objects.count() == count


def test_adding_an_english_and_an_easy_japanese_version(client, demo_faq, staff_of):
    client.force_login(staff_of("kankyo"))
    url = reverse("faq:office_entry", args=["FAQ-088"])
    for lang, question, answer in [
        ("en", "How do I recycle a TV?", "Use the home appliance recycling scheme."),
        ("ja-easy", "テレビを すてたい", "テレビは おみせに もっていきます。"),
    ]:
        assert (
            client.post(
                url, {"lang": lang, "question": question, "answer": answer, "keywords": ""}
            ).status_code
            == 302
        )
    entry = FaqEntry.objects.get(faq_id="FAQ-088")
    assert selectors.current_version(entry, "en").category_label == "Garbage & Recycling"
    (view,) = selectors.entry_views(["FAQ-088"], "ja")
    assert view.easy_answer == "テレビは おみせに もっていきます。"


def test_empty_answer_is_refused_with_a_message(client, demo_faq, staff_of):
    client.force_login(staff_of("kankyo"))
    response = client.post(
        reverse("faq:office_entry", args=["FAQ-086"]), {"lang": "ja", "question": "q", "answer": ""}
    )
    assert response.status_code == 400 and "入力してください" in response.content.decode()


def test_staff_of_another_department_can_read_but_not_edit(client, demo_faq, staff_of):
    client.force_login(staff_of("zeimu"))
    url = reverse("faq:office_entry", args=["FAQ-086"])
    page = client.get(url).content.decode()
    assert "他の課の担当です" in page and 'name="answer"' not in page
    before = FaqVersion.objects.count()
    response = client.post(url, {"lang": "ja", "question": "変更", "answer": "変更"})
    assert response.status_code == 400 and FaqVersion.objects.count() == before


def test_hiding_an_entry_removes_it_from_the_answers(client, demo_faq, staff_of):
    client.force_login(staff_of("kankyo"))
    response = client.post(
        reverse("faq:office_entry_settings", args=["FAQ-086"]),
        {"category": "ごみ・リサイクル", "procedure_slug": "", "is_active": ""},
    )
    assert response.status_code == 302
    assert not FaqEntry.objects.get(faq_id="FAQ-086").is_active
    assert "FAQ-086" not in {e.id for e in selectors.engine_entries()}
    assert client.get("/faq/entries/FAQ-086/").status_code == 404


def test_new_entry_from_the_office(client, demo_faq, staff_of):
    client.force_login(staff_of("kankyo"))
    response = client.post(
        "/faq/office/entries/new/",
        {
            "category": "上下水道",
            "question": "水道の引っ越し連絡は？",
            "answer": "水道お客さまセンターへ。",
            "keywords": "",
            "procedure_slug": "",
        },
    )
    assert response.status_code == 302
    assert FaqEntry.objects.get(faq_id="FAQ-151").department.code == "kankyo"
    response = client.post(
        "/faq/office/entries/new/",
        {"category": "税金", "question": "q", "answer": "a", "keywords": "", "procedure_slug": ""},
    )
    assert response.status_code == 400  # 税金 is 税務課's category: not offered, not accepted


def test_analytics_counts_and_page(client, demo_faq, staff_of):
    answered = services.ask(question="粗大ごみを出したい", lang="ja")
    services.ask(question="粗大ごみを出したい", lang="ja")
    services.ask(question="期日前投票はどこでできますか", lang="ja")
    services.ask(question="How do I dispose of a sofa?", lang="en")
    services.ask(question="申請の状況", lang="ja")
    services.record_feedback(question=services.question_from_token(answered.token), helpful=True)
    old = services.ask(question="住民票がほしい", lang="ja")
    ChatQuestion.objects.filter(pk=old.question_id).update(created_at=timezone.now() - dt.timedelta(days=40))

    data = selectors.analytics(days=30)
    assert (data.total, data.answered, data.abstained, data.status_questions) == (5, 3, 1, 1)
    assert (data.helpful_yes, data.helpful_no, data.helpful_rate) == (1, 0, 100.0)
    assert data.top_entries[0].label == "FAQ-086" and data.top_entries[0].count == 3
    assert data.top_questions[0].label == "粗大ごみを出したい" and data.top_questions[0].count == 2
    assert [r.label for r in data.abstained_questions] == ["期日前投票はどこでできますか"]
    assert {r.extra["code"]: r.count for r in data.languages} == {"ja": 4, "en": 1}
    assert sum(r.count for r in data.daily) == 5

    client.force_login(staff_of("shimin"))
    page = client.get("/faq/office/analytics/", {"days": "7"}).content.decode()
    assert "<svg" in page and "期日前投票はどこでできますか" in page and "FAQ-086" in page
    assert client.get("/faq/office/analytics/", {"days": "abc"}).status_code == 200
    english = client.get("/en/faq/office/analytics/").content.decode()
    assert "Questions per day" in english

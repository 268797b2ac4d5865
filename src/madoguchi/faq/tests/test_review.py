"""Closing the loop: questions the chat did not answer, answered unsurely or whose answer residents marked
unhelpful are listed for staff, grouped by text; one step adds a phrasing (a new version) or a new entry, and
the next resident asking the same thing gets the answer."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from madoguchi.faq import selectors, services
from madoguchi.faq.engine import Answer, Features, Hit
from madoguchi.faq.models import ChatQuestion, FaqEntry, ReviewOutcome

pytestmark = pytest.mark.django_db

OFF_TOPIC = "期日前投票はどこでできますか"


def _unhelpful(question: str) -> ChatQuestion:
    result = services.ask(question=question, lang="ja")
    log = services.question_from_token(result.token)
    services.record_feedback(question=log, helpful=False)
    return log


def test_unsure_is_a_small_fused_margin_with_a_dense_retriever():
    def answer(**features) -> Answer:
        return Answer(results=[Hit("FAQ-001", 1.0)], abstain=False, reason="", lang="ja", features=features)

    assert services.is_unsure(answer(has_dense=1.0, fused_margin=0.01))
    assert not services.is_unsure(answer(has_dense=1.0, fused_margin=0.2))
    assert not services.is_unsure(answer(fused_margin=0.01))  # lexical only: the margin means something else
    assert Features  # the engine's documented feature names are what is_unsure reads


def test_abstained_unhelpful_and_unsure_questions_are_grouped_for_review(demo_faq):
    services.ask(question=OFF_TOPIC, lang="ja")
    services.ask(question=OFF_TOPIC, lang="ja")
    _unhelpful("粗大ごみを出したい")
    services.ask(question="住民票がほしい", lang="ja")  # answered, not rated: not for review
    unsure = services.ask(question="住民票がほしい。", lang="ja")
    ChatQuestion.objects.filter(pk=unsure.question_id).update(unsure=True)

    groups = {g.question: g for g in selectors.review_groups()}
    assert set(groups) == {OFF_TOPIC, "粗大ごみを出したい", "住民票がほしい。"}
    assert (groups[OFF_TOPIC].count, groups[OFF_TOPIC].abstained) == (2, 2)
    assert groups["粗大ごみを出したい"].unhelpful == 1 and groups["粗大ごみを出したい"].offered
    assert groups["住民票がほしい。"].unsure == 1
    assert [g.question for g in selectors.review_groups(kind="abstained")] == [OFF_TOPIC]
    assert [g.question for g in selectors.review_groups(kind="unhelpful")] == ["粗大ごみを出したい"]

    data = selectors.analytics(days=30)
    assert (data.abstained, data.unsure, data.helpful_no, data.to_review) == (2, 1, 1, 3)
    assert data.doubtful == 4 and data.doubtful_rate == pytest.approx(100 * 4 / 5)


def test_adding_a_phrasing_makes_a_new_version_and_the_next_resident_gets_the_answer(demo_faq, staff_of):
    question = "おおきいごみの日程を教えて"
    first = services.ask(question=question, lang="ja")
    services.record_feedback(question=services.question_from_token(first.token), helpful=False)
    entry = FaqEntry.objects.get(faq_id="FAQ-086")
    versions = entry.versions.filter(lang="ja").count()

    services.add_phrasing(staff=staff_of("kankyo"), faq_id="FAQ-086", question=question)

    assert entry.versions.filter(lang="ja").count() == versions + 1
    assert question in entry.versions.filter(lang="ja").order_by("-id").first().keywords
    log = ChatQuestion.objects.get(pk=first.question_id)
    assert (log.review, log.review_entry) == (ReviewOutcome.PHRASING, "FAQ-086")
    assert selectors.review_groups() == []
    again = services.ask(question=question, lang="ja")
    assert again.best is not None and again.best.faq_id == "FAQ-086"


def test_only_the_owning_department_adds_a_phrasing(demo_faq, staff_of):
    _unhelpful("粗大ごみを出したい")
    with pytest.raises(services.FaqError) as info:
        services.add_phrasing(staff=staff_of("shimin"), faq_id="FAQ-086", question="粗大ごみを出したい")
    assert info.value.code == "not_your_department"
    assert ChatQuestion.objects.filter(review="").count() == 1  # nothing marked


def test_a_question_not_in_the_log_is_refused(demo_faq, staff_of):
    with pytest.raises(services.FaqError) as info:
        services.add_phrasing(staff=staff_of("kankyo"), faq_id="FAQ-086", question="誰も聞いていない質問")
    assert info.value.code == "unknown_question"


def test_review_page_adds_a_phrasing_in_one_step(client, demo_faq, staff_of):
    _unhelpful("粗大ごみを出したい")
    client.force_login(staff_of("kankyo"))
    page = client.get("/faq/office/review/").content.decode()
    assert "粗大ごみを出したい" in page and "言い換えとして追加" in page
    response = client.post(
        "/faq/office/review/phrasing/", {"question": "粗大ごみを出したい", "faq_id": "FAQ-086"}, follow=True
    )
    assert "FAQ-086 に言い換えを追加しました" in response.content.decode()
    assert "粗大ごみを出したい" not in client.get("/faq/office/review/").content.decode().split("<ol")[1]


def test_review_page_refuses_another_departments_entry_with_a_message(client, demo_faq, staff_of):
    _unhelpful("粗大ごみを出したい")
    client.force_login(staff_of("shimin"))
    response = client.post(
        "/faq/office/review/phrasing/", {"question": "粗大ごみを出したい", "faq_id": "FAQ-086"}, follow=True
    )
    assert "他の課の担当です" in response.content.decode()
    english = client.post(
        "/en/faq/office/review/phrasing/",
        {"question": "粗大ごみを出したい", "faq_id": "FAQ-086"},
        follow=True,
    )
    assert "belongs to another department" in english.content.decode()


def test_a_new_entry_from_a_question_keeps_the_residents_words(client, demo_faq, staff_of):
    services.ask(question=OFF_TOPIC, lang="ja")
    client.force_login(staff_of("shimin"))
    form = client.get("/faq/office/entries/new/", {"review_question": OFF_TOPIC}).content.decode()
    assert OFF_TOPIC in form and 'name="review_question"' in form
    response = client.post(
        "/faq/office/entries/new/",
        {
            "review_question": OFF_TOPIC,
            "category": "施設・窓口案内",
            "question": "期日前投票の場所と時間を知りたい。",
            "answer": "期日前投票は市役所本庁舎1階で、投票日の前日まで受け付けます。",
            "keywords": "",
            "procedure_slug": "",
        },
    )
    assert response.status_code == 302
    entry = FaqEntry.objects.order_by("-id").first()
    assert OFF_TOPIC in entry.versions.get().keywords
    assert ChatQuestion.objects.get(question=OFF_TOPIC).review == ReviewOutcome.ENTRY
    assert services.ask(question=OFF_TOPIC, lang="ja").best.faq_id == entry.faq_id


def test_dismissing_removes_the_group(client, demo_faq, staff_of):
    services.ask(question=OFF_TOPIC, lang="ja")
    client.force_login(staff_of("shimin"))
    client.post("/faq/office/review/dismiss/", {"question": OFF_TOPIC})
    assert ChatQuestion.objects.get(question=OFF_TOPIC).review == ReviewOutcome.DISMISSED
    assert selectors.review_groups() == []


def test_the_answer_says_when_it_is_unsure_and_offers_the_two_closest(client, demo_faq, monkeypatch):
    monkeypatch.setattr(services, "is_unsure", lambda answer: True)
    response = client.post("/faq/", {"question": "粗大ごみを出したい"})
    page = response.content.decode()
    assert "確かではありません" in page and "ほかに近い質問" in page
    result = services.ask(question="粗大ごみを出したい", lang="ja")
    assert result.unsure and len(result.related) == services.CLOSEST_SHOWN
    assert ChatQuestion.objects.get(pk=result.question_id).unsure


def test_an_abstention_offers_the_two_closest_entries_and_the_inquiry_form(client, demo_faq):
    result = services.ask(question=OFF_TOPIC, lang="ja")
    assert result.abstain and len(result.related) <= services.CLOSEST_SHOWN
    page = client.post("/faq/", {"question": OFF_TOPIC}).content.decode()
    assert "職員に問い合わせる" in page


def test_an_english_question_gets_the_english_version_of_its_entry(client, demo_faq):
    result = services.ask(question="How do I register my move?", lang="en")
    assert result.best is not None and result.best.faq_id in {"FAQ-035", "FAQ-036", "FAQ-037", "FAQ-038"}
    assert result.best.lang == "en" and "notification" in result.best.answer
    page = client.post("/en/faq/", {"question": "How do I register my move?"}).content.decode()
    assert escape(result.best.question) in page and "This answer is only available in Japanese" not in page


def test_a_japanese_only_answer_says_so_in_the_english_ui(client, demo_faq):
    question = "Where can I get a tax payment certificate for my car inspection?"  # FAQ-097: Japanese only
    result = services.ask(question=question, lang="en")
    assert result.best is not None
    assert not FaqEntry.objects.filter(faq_id=result.best.faq_id, versions__lang="en").exists()
    assert result.best.lang == "ja"
    text = client.post("/en/faq/", {"question": question}).content.decode()
    assert "This answer is only available in Japanese" in text and 'lang="ja"' in text

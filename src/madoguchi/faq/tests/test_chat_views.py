"""The resident side: the full-page chat without JavaScript, the widget's JSON endpoint, feedback, entry pages,
the widget tag, and "where is my application?" answered from the resident's own cases only."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases.models import Status
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.faq.models import ChatQuestion, Intent
from madoguchi.faq.tests import factories

pytestmark = pytest.mark.django_db


def test_chat_page_answers_a_form_post(client, demo_faq):
    assert client.get("/faq/").status_code == 200
    response = client.post("/faq/", {"question": "粗大ごみを出したい", "lang": "ja"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "ソファやタンスなど大きな家具を捨てたいです。" in page
    assert "役に立ちましたか？" in page and 'name="token"' in page
    assert reverse("faq:entry", args=["FAQ-086"]) in page


def test_html_in_a_question_is_shown_escaped_never_executed(client, demo_faq):
    response = client.post(
        "/faq/", {"question": '<script>alert("x")</script><img src=x onerror=alert(1)>住民票'}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_empty_question_says_what_to_do(client, departments):
    response = client.post("/faq/", {"question": "   "})
    assert response.status_code == 400
    assert "質問を入力してください。" in response.content.decode()
    assert not ChatQuestion.objects.exists()


def test_ten_thousand_character_question_is_answered(client, demo_faq):
    story = "子どもが生まれました。" * 1000 + "児童手当はどうすればいいですか？"
    response = client.post("/faq/", {"question": story})
    assert response.status_code == 200
    assert "長い質問だったため" in response.content.decode()


def test_english_page_answers_in_english(client, demo_faq):
    response = client.post("/en/faq/", {"question": "How do I dispose of a sofa?"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in page and "Was this helpful?" in page


def test_my_number_typed_in_the_page_is_masked_in_the_answer_page(client, demo_faq):
    from madoguchi.faq.tests.test_ask import MY_NUMBER

    response = client.post("/faq/", {"question": f"{MY_NUMBER} 住民票"})
    assert MY_NUMBER not in response.content.decode()
    assert MY_NUMBER not in ChatQuestion.objects.get().question


def test_json_endpoint_returns_data_for_the_widget(client, demo_faq):
    factories.make_procedure(slug="sodai-gomi", department_code="kankyo")
    response = client.post("/faq/ask.json", {"question": "粗大ごみを出したい", "lang": "ja"})
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "answer" and data["abstain"] is False
    assert data["results"][0]["id"] == "FAQ-086"
    assert data["answer"]["procedure"]["url"] == reverse("portal:procedure", args=["sodai-gomi"])
    assert data["answer"]["guide"]["url"] == reverse("portal:catalog") + "?life_event=waste"
    assert data["inquiry_url"].startswith(reverse("faq:inquiry_new") + "?from=")
    assert ChatQuestion.objects.get().channel == "widget"


def test_json_endpoint_needs_the_csrf_token(demo_faq):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/faq/ask.json", {"question": "住民票"}).status_code == 403
    assert strict.get("/faq/ask.json").status_code == 405


def test_json_endpoint_handles_bad_input(client, demo_faq):
    assert client.post("/faq/ask.json", {"question": ""}).json()["kind"] == "empty"
    data = client.post("/faq/ask.json", {"question": "住民票", "lang": "xx-unknown"}).json()
    assert data["lang"] == "ja" and data["kind"] == "answer"
    data = client.post("/faq/ask.json", {"question": "<script>alert(1)</script>"}).json()
    assert data["kind"] == "empty"


def test_json_endpoint_is_rate_limited(client, demo_faq):
    for _ in range(30):
        client.post("/faq/ask.json", {"question": "住民票"})
    response = client.post("/faq/ask.json", {"question": "住民票"})
    assert response.status_code == 429 and response.json()["message"]


def test_feedback_with_and_without_javascript(client, demo_faq):
    token = client.post("/faq/ask.json", {"question": "住民票がほしい"}).json()["token"]
    response = client.post(
        "/faq/feedback/", {"token": token, "helpful": "yes"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    assert ChatQuestion.objects.get().helpful is True
    response = client.post("/faq/feedback/", {"token": token, "helpful": "no"})
    assert response.status_code == 200 and "職員に問い合わせる" in response.content.decode()
    assert ChatQuestion.objects.get().helpful is False


def test_feedback_with_a_bad_token_is_refused(client, demo_faq):
    response = client.post(
        "/faq/feedback/", {"token": "nope", "helpful": "yes"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and response.json()["ok"] is False
    response = client.post("/faq/feedback/", {"token": "nope", "helpful": "maybe"})
    assert response.status_code == 400


def test_entry_page(client, demo_faq):
    response = client.get("/faq/entries/FAQ-001/")
    assert response.status_code == 200
    assert "住民票の写しを取りたいのですが" in response.content.decode()
    assert client.get("/faq/entries/FAQ-999/").status_code == 404
    english = client.get("/en/faq/entries/FAQ-003/").content.decode()  # not translated: Japanese, marked so
    assert 'lang="ja"' in english and "only available in Japanese" in english


def test_widget_is_rendered_once_and_not_on_the_chat_page(client, demo_faq):
    page = client.get("/faq/entries/FAQ-001/").content.decode()
    assert page.count("data-faq-widget") == 1
    assert "faq/widget.js" in page
    assert "data-faq-widget" not in client.get("/faq/").content.decode()

    request = RequestFactory().get("/")
    request.resolver_match = None
    template = Template("{% load faq %}{% faq_widget %}{% faq_widget %}")
    assert template.render(Context({"request": request})).count("data-faq-widget") == 1


# ---- "where is my application?" --------------------------------------------------------------------------------


@pytest.fixture
def two_residents_with_cases(departments):
    procedure = factories.make_procedure()
    mine, theirs = ResidentFactory(), ResidentFactory()
    CaseFactory(applicant=mine, procedure=procedure, reference="MINE-0001", status=Status.IN_REVIEW)
    CaseFactory(applicant=mine, procedure=procedure, reference="MINE-0002", status=Status.DRAFT)
    CaseFactory(applicant=theirs, procedure=procedure, reference="THEM-0001", status=Status.IN_REVIEW)
    return mine, theirs


@pytest.mark.parametrize(
    "question", ["申請の状況を教えて", "私の申請はどうなっていますか", "Where is my application?"]
)
def test_status_question_shows_only_the_residents_own_cases(
    client, demo_faq, two_residents_with_cases, question
):
    mine, _theirs = two_residents_with_cases
    client.force_login(mine)
    data = client.post("/faq/ask.json", {"question": question}).json()
    assert data["kind"] == Intent.STATUS
    assert [c["reference"] for c in data["cases"]] == ["MINE-0001"]  # not the draft, never someone else's
    assert data["cases"][0]["url"] == reverse("portal:case", args=["MINE-0001"])
    page = client.post("/faq/", {"question": question}).content.decode()
    assert "MINE-0001" in page and "THEM-0001" not in page


@pytest.mark.parametrize(("prefix", "label"), [("", "審査中"), ("/en", "In review")])
def test_status_answer_names_the_status_in_the_page_language(
    client, demo_faq, two_residents_with_cases, prefix, label
):
    mine, _theirs = two_residents_with_cases
    client.force_login(mine)
    data = client.post(f"{prefix}/faq/ask.json", {"question": "Where is my application?"}).json()
    assert [c["status_label"] for c in data["cases"]] == [label]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_status_labels_are_the_words_of_the_portal_badge(language):
    """The widget's status label is the case's status label, which is the portal badge's word for it."""
    from django.utils import translation

    from madoguchi.cases import workflow
    from madoguchi.cases.models import Case, Status

    with translation.override(language):
        for status in Status.values:
            badge = workflow.status_label(status, workflow.RESIDENT)
            assert str(Case(status=status).get_status_display()) == badge
        assert str(Case(status="unknown").get_status_display()) == "unknown"


def test_status_question_from_an_anonymous_visitor_asks_to_sign_in(
    client, demo_faq, two_residents_with_cases
):
    data = client.post("/faq/ask.json", {"question": "申請の状況"}).json()
    assert data["kind"] == Intent.STATUS and data["cases"] == [] and data["signed_in"] is False
    page = client.post("/faq/", {"question": "申請の状況"}).content.decode()
    assert "ログインするとマイページで確認できます" in page
    assert "MINE-0001" not in page and "THEM-0001" not in page


def test_status_question_from_staff_lists_no_cases(client, demo_faq, two_residents_with_cases, staff_of):
    client.force_login(staff_of("shimin"))
    data = client.post("/faq/ask.json", {"question": "申請の状況"}).json()
    assert data["cases"] == []


def test_widget_is_not_rendered_on_staff_pages(client, demo_faq, staff_of):
    client.force_login(staff_of("shimin"))
    assert "data-faq-widget" not in client.get("/faq/office/").content.decode()
    assert "data-faq-widget" not in client.get("/office/").content.decode()

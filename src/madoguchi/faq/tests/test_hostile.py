"""Hostile probes of the FAQ feedback (役に立った／役に立たなかった) and the staff review loop: feedback without
the CSRF token or by GET, a forged or altered token, another question's id in a token signed for something
else, markup typed as a question shown to staff, malformed input. Tests that pass when the product is safe."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from madoguchi.faq.models import ChatQuestion

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("faq")</script><img src=x onerror=alert(1)>住民票'


def _token(client, question="住民票がほしい") -> str:
    return client.post("/faq/ask.json", {"question": question}).json()["token"]


def test_feedback_needs_post_and_the_csrf_token(client, demo_faq):
    token = _token(client)
    question = ChatQuestion.objects.get()
    client = Client(enforce_csrf_checks=True)

    assert client.post("/faq/feedback/", {"token": token, "helpful": "no"}).status_code == 403
    assert client.get("/faq/feedback/", {"token": token, "helpful": "no"}).status_code == 405
    question.refresh_from_db()
    assert question.helpful is None


def test_a_token_signed_for_something_else_or_altered_rates_nothing(client, demo_faq):
    token = _token(client)
    question = ChatQuestion.objects.get()
    forged = (
        signing.dumps(question.pk, compress=True),  # the secret key, but another salt
        signing.dumps(question.pk, salt="madoguchi.core.audit.look"),  # a look token's salt
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        str(question.pk),
        "",
        "x" * 100_000,
    )
    for value in forged:
        response = client.post(
            "/faq/feedback/", {"token": value, "helpful": "no"}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 400, value[:40]
    question.refresh_from_db()
    assert question.helpful is None


@pytest.mark.parametrize("helpful", ["", "YES", "1", "no\x00", "n" * 10_000])
def test_odd_ratings_are_refused_with_a_message(client, demo_faq, helpful):
    token = _token(client)
    response = client.post("/faq/feedback/", {"token": token, "helpful": helpful})
    assert response.status_code == 400
    assert (
        "評価を受け付けられませんでした" in response.content.decode()
        or "制御文字" in response.content.decode()
    )
    assert ChatQuestion.objects.get().helpful is None


def test_markup_in_a_question_is_escaped_on_the_staff_review_page(client, demo_faq, staff_of):
    token = _token(client, EVIL)
    client.post("/faq/feedback/", {"token": token, "helpful": "no"})
    question = ChatQuestion.objects.get()
    assert question.helpful is False and "<" not in question.question  # the chat keeps words, not markup
    ChatQuestion.objects.update(question=EVIL)  # and were markup ever stored (an older row), it is escaped

    client.force_login(staff_of("shimin"))
    for url in ("/faq/office/review/", "/faq/office/review/?kind=unhelpful", "/faq/office/analytics/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>alert" not in page and "<img src=x" not in page, url
    assert "&lt;script&gt;" in client.get("/faq/office/review/?kind=unhelpful").content.decode()


def test_the_review_loop_refuses_get_and_forged_posts(demo_faq, staff_of):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_of("shimin"))
    for url in ("/faq/office/review/phrasing/", "/faq/office/review/dismiss/"):
        assert client.get(url, {"question": "x"}).status_code == 405, url
        assert client.post(url, {"question": "x", "faq_id": "FAQ-001"}).status_code == 403, url


@pytest.mark.parametrize("kind", ["../../etc", "x" * 5000, "%00", "unhelpful\r\nSet-Cookie: a=b"])
def test_odd_review_filters_and_redirect_targets_stay_on_the_review_page(client, demo_faq, staff_of, kind):
    client.force_login(staff_of("shimin"))
    assert client.get("/faq/office/review/", {"kind": kind}).status_code == 200
    response = client.post("/faq/office/review/dismiss/", {"question": "no such question", "kind": kind})
    assert response.status_code == 302 and response["Location"] == "/faq/office/review/"

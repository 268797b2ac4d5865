"""The FAQ router of the API (mounted by the project at /api/v1/faq)."""

from __future__ import annotations

import pytest
from ninja.testing import TestClient

from madoguchi.api.api import api as project_api  # imported first: the router may already be mounted there
from madoguchi.faq.api import router
from madoguchi.faq.models import ChatQuestion

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def faq_api():
    """(client, prefix): the project's API when it mounts the router, else the router on its own."""
    if getattr(router, "api", None) is project_api:
        return TestClient(project_api), "/v1/faq"
    return TestClient(router), ""


def test_ask_returns_the_engine_shape_and_the_entry(faq_api, demo_faq):
    client, prefix = faq_api
    response = client.post(f"{prefix}/ask", json={"question": "粗大ごみを出したい"})
    assert response.status_code == 200
    data = response.json()
    assert data["abstain"] is False and data["results"][0]["id"] == "FAQ-086"
    assert data["answer"]["id"] == "FAQ-086" and data["kind"] == "answer"
    assert ChatQuestion.objects.get().channel == "api"


def test_ask_with_an_unknown_language_and_an_empty_question(faq_api, demo_faq):
    client, prefix = faq_api
    data = client.post(f"{prefix}/ask", json={"question": "How do I dispose of a sofa?", "lang": "zz"}).json()
    assert data["lang"] == "en" and data["answer"]["lang"] == "en"
    data = client.post(f"{prefix}/ask", json={"question": ""}).json()
    assert data == {
        "results": [],
        "abstain": True,
        "kind": "empty",
        "lang": "ja",
        "answer": None,
        "related": [],
    }


def test_entry_by_id(faq_api, demo_faq):
    client, prefix = faq_api
    data = client.get(f"{prefix}/entries/FAQ-001", query_params={"lang": "en"}).json()
    assert data["lang"] == "en" and data["question"].startswith("I need a copy")
    assert client.get(f"{prefix}/entries/FAQ-999").status_code == 404


@pytest.mark.parametrize("question", ["members", "粗大ごみ"])
def test_ask_without_any_entry_abstains(faq_api, question):
    """Found by the schemathesis test: an English question to an empty FAQ (a new site) was a 500."""
    client, prefix = faq_api
    response = client.post(f"{prefix}/ask", json={"question": question})
    assert response.status_code == 200, response.content
    assert response.json()["abstain"] is True

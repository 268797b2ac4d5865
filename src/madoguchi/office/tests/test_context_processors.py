"""The office header as a context processor: on office pages (office, nursery, FAQ office) only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from madoguchi.office.context_processors import is_office_page, office_chrome


def _request(path: str, *, user=None, language: str | None = None):
    language = language or ("en" if path.startswith("/en/") else "ja")
    request = RequestFactory().get(path)
    with translation.override(language):  # as LocaleMiddleware activates it before URLs resolve
        request.resolver_match = resolve(request.path_info)
    request.LANGUAGE_CODE = language
    if user is not None:
        request.user = user
    return request


@pytest.mark.parametrize(
    ("path", "office"),
    [
        ("/office/", True),
        ("/office/login/", True),
        ("/en/office/audit/", True),
        ("/office/nursery/", True),
        ("/faq/office/", True),
        ("/faq/office/inquiries/", True),
        ("/", False),
        ("/faq/", False),
        ("/faq/inquiries/", False),
        ("/en/procedures/", False),
    ],
)
def test_office_pages_are_those_of_the_office_the_nursery_and_the_faq_office(path, office):
    assert is_office_page(_request(path)) is office


def test_a_request_that_resolved_nothing_is_not_an_office_page():
    request = RequestFactory().get("/office/")
    assert is_office_page(request) is False
    assert office_chrome(request) == {}


def test_portal_pages_get_nothing():
    assert office_chrome(_request("/faq/")) == {}


def test_the_header_of_an_english_office_page(approver):
    with translation.override("en"):
        chrome = office_chrome(_request("/en/office/audit/?q=1", user=approver))
    assert chrome["lang"] == "en"
    assert chrome["sep"] == " · "
    assert chrome["colon"] == ": "
    assert chrome["nav"] == ""
    assert chrome["staff_department"] == "Child and Family Support Division"
    assert chrome["language_links"] == [
        {"code": "ja", "label": "日本語", "url": "/office/audit/?q=1", "current": False},
        {"code": "en", "label": "English", "url": "/en/office/audit/?q=1", "current": True},
    ]


def test_the_header_of_a_japanese_office_page_for_a_visitor():
    chrome = office_chrome(_request("/office/login/", user=AnonymousUser()))
    assert chrome["lang"] == "ja"
    assert chrome["sep"] == "・"
    assert chrome["colon"] == "："
    assert chrome["staff_department"] == ""


def test_a_view_names_the_current_menu_entry(approver_client):
    response = approver_client.get("/office/")
    assert response.context["nav"] == "queue"
    assert response.context["staff_department"] == "子育て支援課"
    assert 'href="/office/" aria-current="page"' in response.content.decode()


def test_the_sign_in_page_has_the_header_without_a_menu_entry(client, db):
    response = client.get("/en/office/login/")
    assert response.context["nav"] == ""
    assert response.context["lang"] == "en"
    assert {link["code"]: link["url"] for link in response.context["language_links"]} == {
        "ja": "/office/login/",
        "en": "/en/office/login/",
    }

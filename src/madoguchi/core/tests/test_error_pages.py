"""Error pages: styled, in the page's language, office look under /office/, and never needing the database."""

from __future__ import annotations

import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from madoguchi.core import error_pages
from madoguchi.urls import urlpatterns as project_patterns


def _boom(request):
    raise RuntimeError("a bug")


def _denied(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


def _post_only(request):
    return HttpResponse("ok")


urlpatterns = [
    path("boom/", _boom),
    path("office/boom/", _boom),
    path("en/boom/", _boom),
    path("denied/", _denied),
    path("post/", _post_only),
    *project_patterns,
]
handler400 = "madoguchi.core.error_pages.bad_request"
handler403 = "madoguchi.core.error_pages.permission_denied"
handler404 = "madoguchi.core.error_pages.page_not_found"
handler500 = "madoguchi.core.error_pages.server_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "lang", "title", "office"),
    [
        ("/no-such-page/", "ja", "ページが見つかりません", False),
        ("/en/no-such-page/", "en", "Page not found", False),
        ("/office/no-such-page/", "ja", "ページが見つかりません", True),
        ("/en/office/no-such-page/", "en", "Page not found", True),
    ],
)
def test_not_found_is_a_styled_page_in_the_language_of_the_address(client, url, lang, title, office):
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page
    assert "css/madoguchi.css" in page
    assert ("office/office.css" in page) is office
    assert ('class="office"' in page) is office
    assert "Not Found" not in page


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.django_db
def test_a_bug_gives_the_styled_500_page_in_japanese_and_english():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "システムでエラーが起きました" in response.content.decode()
    assert "下書き" in response.content.decode()  # says what to do
    english = client.get("/en/boom/")
    assert english.status_code == 500 and "Something went wrong on our side" in english.content.decode()
    office = client.get("/office/boom/")
    assert "office/office.css" in office.content.decode()
    assert "情報政策課" in office.content.decode()


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.django_db
def test_permission_denied_says_what_to_do(client):
    response = client.get("/denied/")
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in response.content.decode()


@pytest.mark.django_db
def test_a_post_without_csrf_token_gets_the_styled_page_that_says_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/login/", {"email": "a@example.jp", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form expired, so it was not sent" in page
    assert "reload the page" in page


def test_the_pages_render_without_a_database(monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("an error page touched the database")

    for alias in connections:
        monkeypatch.setattr(connections[alias], "cursor", no_database)
    for kind in error_pages.TEXTS:
        response = error_pages.error_page(None, kind)
        assert response.status_code == error_pages.STATUS[kind]
        assert "<h1>" in response.content.decode()

"""Form posts that are not UTF-8 get a clear 400 in Japanese and English on every form page, and API requests
the API's JSON error; before this, a Shift_JIS post with a valid CSRF token ended in a 500 (Django's 400
page read the body again)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.cases import services as case_services
from madoguchi.procedures.tests.factories import juminhyo

pytestmark = pytest.mark.django_db

SJIS = "application/x-www-form-urlencoded; charset=shift_jis"
# 緑 in Shift_JIS, percent-encoded, as a browser sends a Shift_JIS page's form.
SJIS_BODY = "email=%97%CE%40example.jp&password=%97%CE%97%CE&q=%97%CE&question=%97%CE&language=en"


def _csrf_client() -> tuple[Client, str]:
    """A browser-like client: CSRF checks on, a token from a real page."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    page = client.get(reverse("portal:login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client, token


def _assert_refused_page(response) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert "UTF-8 ではないため、受け付けられませんでした" in page
    assert "not encoded as UTF-8" in page
    assert "もう一度入力して送信してください" in page and "send it again" in page


@pytest.fixture
def draft_step_url(db):
    resident = ResidentFactory()
    case = case_services.start_draft(applicant=resident, procedure=juminhyo())
    return resident, reverse("portal:apply_step", args=[case.reference, "applicant"])


@pytest.mark.parametrize(
    "path",
    ["/login/", "/en/login/", "/signup/", "/faq/", "/faq/ask.json", "/i18n/setlang/", "/office/login/"],
)
def test_a_shift_jis_form_post_gets_a_clear_400_not_a_500(path):
    client, token = _csrf_client()
    response = client.post(path, f"csrfmiddlewaretoken={token}&{SJIS_BODY}", content_type=SJIS)
    _assert_refused_page(response)


def test_a_shift_jis_post_to_a_draft_step_is_refused_and_the_draft_kept(draft_step_url):
    resident, url = draft_step_url
    client, token = _csrf_client()
    client.force_login(resident)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()).group(
        1
    )
    response = client.post(url, f"csrfmiddlewaretoken={token}&applicant_name=%97%CE", content_type=SJIS)
    _assert_refused_page(response)


@pytest.mark.parametrize("charset", ["x-unknown-charset", "iso-2022-jp", "euc-jp", "utf-16"])
def test_an_unknown_or_other_charset_is_refused(charset):
    client, token = _csrf_client()
    response = client.generic(  # post() would encode the body in that charset itself
        "POST",
        "/login/",
        f"csrfmiddlewaretoken={token}&email=a%40example.jp&password=x",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    _assert_refused_page(response)


def test_shift_jis_bytes_sent_without_a_charset_are_refused():
    client, token = _csrf_client()
    response = client.post(
        "/signup/",
        f"csrfmiddlewaretoken={token}&{SJIS_BODY}",
        content_type="application/x-www-form-urlencoded",
    )
    _assert_refused_page(response)


def test_a_multipart_post_in_shift_jis_is_refused():
    client, _ = _csrf_client()
    response = client.post(
        "/login/", b"--x\r\n", content_type="multipart/form-data; boundary=x; charset=shift_jis"
    )
    _assert_refused_page(response)


def test_a_broken_multipart_body_or_too_many_fields_is_a_400_page():
    client, _ = _csrf_client()
    broken = client.post("/login/", b"garbage", content_type="multipart/form-data")  # no boundary
    many = client.post(
        "/login/", "&".join(f"f{n}=1" for n in range(1200)), content_type="application/x-www-form-urlencoded"
    )
    for response in (broken, many):
        assert response.status_code == 400
        page = response.content.decode()
        assert "送信された内容を読み取れませんでした" in page and "could not be read" in page


def test_utf8_forms_pass_whether_or_not_they_say_so():
    client, token = _csrf_client()
    body = f"csrfmiddlewaretoken={token}&email=%E7%B7%91%40example.jp&password=wrong-password"
    for content_type in (
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
    ):
        response = client.post("/login/", body, content_type=content_type)
        assert response.status_code == 200
        assert "メールアドレスの形式が正しくありません" in response.content.decode()


def test_the_api_answers_a_wrong_charset_with_its_json_error():
    response = Client().post(
        "/api/v1/me/cases", b'{"procedure": "x"}', content_type="application/json; charset=shift_jis"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsupported_charset"
    assert "UTF-8" in body["message"]["ja"] and "UTF-8" in body["message"]["en"]

from django.test import RequestFactory

from madoguchi.core.i18n import lang_of


def test_an_english_page_is_en():
    request = RequestFactory().get("/en/")
    request.LANGUAGE_CODE = "en"
    assert lang_of(request) == "en"


def test_a_japanese_page_is_ja():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "ja"
    assert lang_of(request) == "ja"


def test_a_request_locale_middleware_did_not_see_is_ja():
    assert lang_of(RequestFactory().get("/")) == "ja"


def test_any_other_language_code_is_ja():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "en-us"
    assert lang_of(request) == "ja"

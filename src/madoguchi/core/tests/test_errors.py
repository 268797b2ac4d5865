"""The one bilingual error base (core.errors) and the language of a request (core.i18n)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from madoguchi.accounts.identity.base import IdentityProviderError
from madoguchi.accounts.mfa import MfaError
from madoguchi.accounts.services import AccountError, IdentityError
from madoguchi.api.errors import ApiError
from madoguchi.cases.rendering import RenderingError
from madoguchi.cases.services import ApplyNotAllowed, UploadRejected
from madoguchi.cases.workflow import TransitionNotAllowed
from madoguchi.core.errors import MadoguchiError, is_english
from madoguchi.core.i18n import lang_of
from madoguchi.faq.services import FaqError
from madoguchi.jp.errors import JpValueError
from madoguchi.jp.postal import PostalCodeError
from madoguchi.mynumber.services import MyNumberError, MyNumberNotPermitted
from madoguchi.residents.access import (
    AccessError,
    PersonAccessRefused,
    ProtectedAddressRefused,
    PurposeRequired,
)

# The bilingual exception classes that used to copy code / ja / en / message(lang) each.
BILINGUAL = [
    JpValueError,
    RenderingError,
    UploadRejected,
    TransitionNotAllowed,
    IdentityProviderError,
    AccountError,
    FaqError,
    MyNumberError,
    AccessError,
    ApiError,
]


class Refused(MadoguchiError):
    pass


def test_an_error_carries_code_both_messages_and_the_field():
    error = Refused("too_long", "長すぎます。", "Too long.", field="name")

    assert (error.code, error.ja, error.en, error.field) == ("too_long", "長すぎます。", "Too long.", "name")
    assert (error.message_ja, error.message_en) == ("長すぎます。", "Too long.")
    assert error.http_status is None
    assert str(error) == "Too long."
    assert repr(error) == "Refused(code='too_long', message_en='Too long.')"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", "長すぎます。"),
        ("en", "Too long."),
        ("en-GB", "Too long."),
        ("en_us", "Too long."),
        ("fr", "長すぎます。"),
    ],
)
def test_message_is_english_for_any_english_tag_and_japanese_otherwise(lang, expected):
    assert Refused("too_long", "長すぎます。", "Too long.").message(lang) == expected


def test_message_defaults_to_japanese():
    assert Refused("x", "日本語", "English").message() == "日本語"
    assert is_english("EN") and not is_english("ja-JP") and not is_english("")


@pytest.mark.parametrize("cls", BILINGUAL)
def test_the_bilingual_exceptions_derive_from_the_base(cls):
    assert issubclass(cls, MadoguchiError)
    assert "message" not in vars(cls)  # no copy of the shape left
    if cls is not ApiError:  # ApiError's constructor takes the status (and field problems) first
        assert "__init__" not in vars(cls)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (JpValueError("bad", "日本語", "English"), "日本語"),
        (PostalCodeError("bad", "日本語", "English"), "日本語"),
        (RenderingError("broken", "日本語", "English"), "broken: English"),
        (IdentityProviderError("no_claims", "日本語", "English"), "no_claims: English"),
        (MyNumberError("no_registry_person", "日本語", "English"), "no_registry_person"),
        (PurposeRequired("purpose_required", "日本語", "English"), "purpose_required"),
        (AccountError("weak_password", "日本語", "English", field="password"), "English"),
        (FaqError("empty_question", "日本語", "English"), "English"),
        (UploadRejected("too_large", "日本語", "English"), "English"),
        (TransitionNotAllowed("invalid_transition", "日本語", "English"), "English"),
        (ApiError(404, "not_found", "日本語", "English"), "English"),
    ],
)
def test_str_stays_what_each_class_logged_before(error, text):
    assert str(error) == text


def test_subclasses_keep_their_other_bases():
    assert isinstance(PostalCodeError("x", "j", "e"), ValueError)
    assert isinstance(PersonAccessRefused("x", "j", "e"), Http404)
    assert isinstance(ProtectedAddressRefused("x", "j", "e"), PermissionDenied)
    assert issubclass(MfaError, AccountError) and issubclass(IdentityError, AccountError)
    assert issubclass(MyNumberNotPermitted, MyNumberError)


def test_the_api_status_hint():
    assert TransitionNotAllowed("x", "j", "e").http_status == 409
    assert ApplyNotAllowed("x", "j", "e").http_status == 409
    error = ApiError(422, "validation_error", "j", "e", fields={"a": [{"code": "c", "ja": "j", "en": "e"}]})
    assert (error.http_status, error.status, error.fields) == (
        422,
        422,
        {"a": [{"code": "c", "ja": "j", "en": "e"}]},
    )


@pytest.mark.parametrize(
    ("language_code", "expected"), [("en", "en"), ("ja", "ja"), ("en-gb", "ja"), ("", "ja"), (None, "ja")]
)
def test_lang_of_is_english_only_on_english_pages(rf, language_code, expected):
    request = rf.get("/")
    if language_code is not None:
        request.LANGUAGE_CODE = language_code

    assert lang_of(request) == expected

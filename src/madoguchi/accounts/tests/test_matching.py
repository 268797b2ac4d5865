"""Normalisation used to compare identity-provider claims with the registry."""

import datetime as dt

import pytest

from madoguchi.accounts import matching


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("緑川\u3000花子", "緑川 花子"),
        ("緑川\u3000花子", "緑川花子"),
        ("ｽﾐｽ ｼﾞｮﾝ", "スミス　ジョン"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
    ],
)
def test_names_compare_without_width_and_spaces(left, right):
    assert matching.normalise_name(left) == matching.normalise_name(right)


def test_different_names_stay_different():
    assert matching.normalise_name("緑川 花子") != matching.normalise_name("緑川 華子")


def test_kana_compares_hiragana_and_katakana():
    assert matching.normalise_kana("みどりかわ はなこ") == matching.normalise_kana("ミドリカワ　ハナコ")


@pytest.mark.parametrize(
    "address",
    [
        "みどり県みどり市緑町3番12号",
        "みどり県みどり市緑町３番１２号",
        "みどり県みどり市緑町3-12",
        "みどり県 みどり市 緑町 ３－１２",
        "〒000-0021 みどり県みどり市緑町3番地12",
        "日本 〒0000021 みどり県みどり市緑町3ー12",
    ],
)
def test_address_spellings_of_one_block(address):
    assert matching.normalise_address(address) == "みどり県みどり市緑町3-12"


def test_chome_in_kanji_and_digits():
    assert matching.normalise_address("みどり市中央一丁目3番12号") == matching.normalise_address(
        "みどり市中央1丁目3-12"
    )
    assert matching.normalise_address("中央十二丁目1番") == "中央12-1"


def test_other_block_is_another_address():
    assert matching.normalise_address("緑町3番12号") != matching.normalise_address("緑町3番2号")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1985-04-01", dt.date(1985, 4, 1)),
        ("１９８５-０４-０１", dt.date(1985, 4, 1)),
        ("0000-04-01", None),
        ("1985", None),
        ("", None),
        (None, None),
        (19850401, None),
    ],
)
def test_birth_dates(value, expected):
    assert matching.parse_birth_date(value) == expected


def test_address_object_of_oidc():
    claims = {"region": "みどり県", "locality": "みどり市", "street_address": "緑町3-12"}
    assert matching.address_text(claims) == "みどり県みどり市緑町3-12"
    assert (
        matching.address_text({"formatted": "みどり県みどり市緑町3-12", "region": "x"})
        == "みどり県みどり市緑町3-12"
    )
    assert matching.address_text(42) == ""

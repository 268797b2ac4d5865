import pytest

from madoguchi.jp import (
    AccountHolderError,
    AccountNumberError,
    find_bank,
    find_branch,
    is_valid_account_number,
    normalise_account_holder,
    normalise_account_number,
)
from madoguchi.jp.banks import search_banks, search_branches


def test_find_bank():
    bank = find_bank("0001")
    assert (bank.code, bank.name, bank.kana) == ("0001", "みずほ", "ミズホ")
    assert find_bank("１") == bank
    assert find_bank("0005").name == "三菱ＵＦＪ"
    assert find_bank("9900").name == "ゆうちょ"


@pytest.mark.parametrize("code", ["0002", "12345", "abc", "", None])
def test_find_bank_unknown(code):
    assert find_bank(code) is None


def test_find_branch():
    branch = find_branch("0001", "001")
    assert (branch.bank_code, branch.code, branch.name, branch.kana) == (
        "0001",
        "001",
        "東京営業部",
        "トウキヨウ",
    )
    assert find_branch("0001", "1") == branch
    assert find_branch("0001", "999") is None
    assert find_branch("0002", "001") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1234567", "1234567"), ("12345", "0012345"), ("１２３４５６７", "1234567"), ("123-4567", "1234567")],
)
def test_account_numbers(text, expected):
    assert is_valid_account_number(text)
    assert normalise_account_number(text) == expected


@pytest.mark.parametrize("text", ["12345678", "0000000", "", "abc", None, 1234567])
def test_bad_account_numbers(text):
    assert not is_valid_account_number(text)
    with pytest.raises(AccountNumberError):
        normalise_account_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ﾔﾏﾀﾞ  ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("キュウヨ　イチロウ", "ｷﾕｳﾖ ｲﾁﾛｳ"),  # small kana become big
        ("ｷｯﾃ", "ｷﾂﾃ"),
        ("センター", "ｾﾝﾀ-"),  # ー is written as a hyphen
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        ("パン", "ﾊﾟﾝ"),
        ("ジョン・スミス", "ｼﾞﾖﾝ ｽﾐｽ"),
        ("ｶ)ﾐﾄﾞﾘｼｮｳｼﾞ", "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ"),
        ("john smith", "JOHN SMITH"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ヲ", "ｵ"),
    ],
)
def test_normalise_account_holder(text, expected):
    assert normalise_account_holder(text) == expected


def test_account_holder_outside_the_set_names_the_characters():
    with pytest.raises(AccountHolderError) as info:
        normalise_account_holder("山田 ﾀﾛｳ")
    assert info.value.code == "invalid_account_holder"
    assert "山" in info.value.message_ja and "田" in info.value.message_en


@pytest.mark.parametrize("text", ["ﾔﾏﾀﾞ/ﾀﾛｳ", "ﾔﾏﾀﾞ,ﾀﾛｳ", "ﾔﾏﾀﾞ&ﾀﾛｳ"])
def test_account_holder_rejects_symbols_some_banks_refuse(text):
    with pytest.raises(AccountHolderError):
        normalise_account_holder(text)


def test_empty_account_holder():
    with pytest.raises(AccountHolderError) as info:
        normalise_account_holder("　")
    assert info.value.code == "empty_account_holder"


def test_search_banks_by_name_reading_or_code():
    assert search_banks("みずほ")[0].code == "0001"  # the name that starts with it comes first
    assert "0289" in [b.code for b in search_banks("みずほ")]  # みずほ信託 contains it
    assert [b.code for b in search_banks("ﾕｳﾁｮ")] == [
        "9900"
    ]  # half-width, small kana as zengin-code writes it
    assert [b.code for b in search_banks("１")] == ["0001"]
    assert search_banks("0002") == [] and search_banks("  ") == []
    assert len(search_banks("農協", limit=5)) == 5


def test_search_branches_of_a_bank():
    assert search_branches("0001", "とうきょう")[0] == find_branch("0001", "001")
    assert search_branches("0001", "1") == [find_branch("0001", "001")]
    assert search_branches("0002", "本店") == [] and search_branches("0001", "") == []

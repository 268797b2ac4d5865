import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.jp import (
    CheckDigitError,
    corporate_number_check_digit,
    is_valid_corporate_number,
    is_valid_local_government_code,
    is_valid_my_number,
    local_government_code_check_digit,
    my_number_check_digit,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def numbers(length):
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


def single_digit_changes(number):
    """Every number that differs from ``number`` in exactly one digit."""
    for i, original in enumerate(number):
        for replacement in "0123456789":
            if replacement != original:
                yield i, number[:i] + replacement + number[i + 1 :]


# --- 個人番号 ---


def test_my_number_known_sample():
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789010")


@given(numbers(11))
def test_generated_my_numbers_validate(base):
    assert is_valid_my_number(base + str(my_number_check_digit(base)))


def _my_number_remainder(base):
    return sum(int(d) * w for d, w in zip(base, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11


@given(numbers(11))
def test_my_number_single_digit_change_is_caught_except_remainders_0_and_1(base):
    number = base + str(my_number_check_digit(base))
    for i, changed in single_digit_changes(number):
        if i < 11 and {_my_number_remainder(base), _my_number_remainder(changed[:11])} == {0, 1}:
            # Remainders 0 and 1 both give check digit 0 (省令 第5条), so this one typo goes unseen.
            assert is_valid_my_number(changed)
        else:
            assert not is_valid_my_number(changed)


def test_my_number_blind_spot_is_real():
    # Base 00000000000 has remainder 0 and 20000000000 remainder 12 mod 11 = 1: both get check digit 0,
    # so these two numbers, one digit apart, are both valid.
    assert is_valid_my_number("000000000000")
    assert is_valid_my_number("200000000000")


# --- 法人番号 ---


@pytest.mark.parametrize(
    "number",
    [
        "7123456789012",  # worked example of 財務省令第70号 第2条 in several guides
        "4011001098993",  # Qiita worked example
        "2120901007402",  # tax accountant's worked example
        "1180301018771",  # トヨタ自動車株式会社 (国税庁 法人番号公表サイト)
    ],
)
def test_real_corporate_numbers_validate(number):
    assert is_valid_corporate_number(number)
    assert corporate_number_check_digit(number[1:]) == int(number[0])


@given(numbers(12))
def test_generated_corporate_numbers_validate(base):
    check = corporate_number_check_digit(base)
    assert 1 <= check <= 9
    assert is_valid_corporate_number(str(check) + base)


@given(numbers(12))
def test_corporate_single_digit_change_is_caught_except_0_9_swaps(base):
    number = str(corporate_number_check_digit(base)) + base
    for i, changed in single_digit_changes(number):
        if i > 0 and {number[i], changed[i]} == {"0", "9"}:
            # 0 ↔ 9 changes the weighted sum by 9 or 18, a multiple of 9: the mod-9 check cannot see it.
            assert is_valid_corporate_number(changed)
        else:
            assert not is_valid_corporate_number(changed)


# --- 地方公共団体コード ---


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("131016", "千代田区"),
        ("011002", "札幌市"),
        ("271004", "大阪市"),
        ("011011", "札幌市中央区"),  # remainder 0 → 11 − 0 = 11 → check 1
        ("131130", "渋谷区"),  # remainder 1 → 11 − 1 = 10 → check 0
        ("130001", "東京都"),  # remainder 10 → check 1
        ("141003", "横浜市"),
    ],
)
def test_real_local_government_codes_validate(code, name):
    assert is_valid_local_government_code(code), name
    assert local_government_code_check_digit(code[:5]) == int(code[5])


def test_local_government_code_rejects_a_wrong_check_digit():
    assert not is_valid_local_government_code("131017")
    assert not is_valid_local_government_code("13101")


@given(numbers(5))
def test_generated_local_government_codes_validate(base):
    assert is_valid_local_government_code(base + str(local_government_code_check_digit(base)))


def _local_government_remainder(base):
    return sum(int(d) * w for d, w in zip(base, (6, 5, 4, 3, 2), strict=True)) % 11


@given(numbers(5))
def test_local_government_single_digit_change_is_caught_except_remainders_0_and_10(base):
    code = base + str(local_government_code_check_digit(base))
    for i, changed in single_digit_changes(code):
        if i < 5 and {_local_government_remainder(base), _local_government_remainder(changed[:5])} == {0, 10}:
            # 11 − 0 = 11 and 11 − 10 = 1 share the last digit 1.
            assert is_valid_local_government_code(changed)
        else:
            assert not is_valid_local_government_code(changed)


# --- input handling shared by all three ---


@pytest.mark.parametrize(
    "text",
    ["1234-5678-9018", "１２３４５６７８９０１８", "1234 5678 9018", " 123456789018 ", "1234−5678−9018"],
)
def test_my_number_accepts_full_width_and_separators(text):
    assert is_valid_my_number(text)


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        123456789018,
        "",
        "abc",
        "12345678901",
        "1234567890189",
        "12345678901８x",
        "¹23456789018",
        b"123456789018",
        [],
    ],
)
def test_validators_never_raise_on_garbage(garbage):
    assert not is_valid_my_number(garbage)
    assert not is_valid_corporate_number(garbage)
    assert not is_valid_local_government_code(garbage)


@given(st.text(max_size=20))
def test_validators_never_raise_on_any_text(text):
    is_valid_my_number(text)
    is_valid_corporate_number(text)
    is_valid_local_government_code(text)


@pytest.mark.parametrize(
    ("function", "bad"),
    [
        (my_number_check_digit, "1234"),
        (corporate_number_check_digit, "x" * 12),
        (local_government_code_check_digit, None),
    ],
)
def test_check_digit_functions_raise_bilingual_errors(function, bad):
    with pytest.raises(CheckDigitError) as info:
        function(bad)
    assert info.value.code == "invalid_base_number"
    assert "桁" in info.value.message_ja
    assert "digits" in info.value.message_en

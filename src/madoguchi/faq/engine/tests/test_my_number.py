import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from madoguchi.faq.engine import MY_NUMBER_MASK, is_valid_my_number, mask_my_number, normalise_question
from madoguchi.faq.engine.normalise import my_number_check_digit

eleven_digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
separators = st.sampled_from(["", " ", "-", "　", "－"])
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def with_check_digit(first_eleven: str) -> str:
    return first_eleven + str(my_number_check_digit(first_eleven))


def test_check_digit_rule_on_a_worked_example():
    # 12345678901: sum = 1*6+2*5+3*4+4*3+5*2+6*7+7*6+8*5+9*4+0*3+1*2 = 212; 212 % 11 = 3 → 11 - 3 = 8
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789012")


@given(eleven_digits, separators, st.booleans())
def test_valid_numbers_are_always_masked(first_eleven, separator, full_width):
    number = with_check_digit(first_eleven)
    written = separator.join([number[:4], number[4:8], number[8:]])
    if full_width:
        written = written.translate(FULL_WIDTH)
    masked = mask_my_number(f"私の番号は{written}です")
    assert masked == f"私の番号は{MY_NUMBER_MASK}です"
    assert number not in unicodedata.normalize("NFKC", masked).replace(" ", "").replace("-", "")


@given(eleven_digits, st.integers(min_value=1, max_value=9))
def test_other_twelve_digit_numbers_are_kept(first_eleven, shift):
    wrong = str((my_number_check_digit(first_eleven) + shift) % 10)
    number = first_eleven + wrong
    assert mask_my_number(f"番号 {number} です") == f"番号 {number} です"


@given(eleven_digits)
def test_valid_digits_inside_a_longer_number_are_kept(first_eleven):
    number = with_check_digit(first_eleven)
    for text in (f"1{number}", f"{number}9", f"{number}-1234", f"99-{number}"):
        assert mask_my_number(text) == text


def test_several_numbers_and_normalisation():
    a, b = with_check_digit("12345678901"), with_check_digit("98765432109")
    assert mask_my_number(f"{a} と {b}") == f"{MY_NUMBER_MASK} と {MY_NUMBER_MASK}"
    assert MY_NUMBER_MASK in normalise_question(f"<b>{a[:6]}</b>{a[6:]}")
    assert normalise_question(f"ＭＹ　{a}") == f"my {MY_NUMBER_MASK}"


def test_phone_numbers_and_short_numbers_are_untouched():
    text = "電話 0000-00-0101、郵便番号 123-4567、2025年"
    assert mask_my_number(text) == text

import pytest

from madoguchi.jp import PhoneNumberError, normalise_phone, phone_digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-1234-5678", "03-1234-5678"),
        ("０３－１２３４－５６７８", "03-1234-5678"),
        ("03(1234)5678", "03-1234-5678"),
        ("(03)1234-5678", "03-1234-5678"),
        ("03 1234 5678", "03-1234-5678"),
        ("0312345678", "0312345678"),  # area code length unknown: plain digits
        ("03-12-345678", "0312345678"),  # grouping that cannot be right: plain digits
        ("0467-12-3456", "0467-12-3456"),
        ("01267-1-2345", "01267-1-2345"),
        ("09012345678", "090-1234-5678"),
        ("090ー1234ー5678", "090-1234-5678"),
        ("０９０（１２３４）５６７８", "090-1234-5678"),
        ("+81 90 1234 5678", "090-1234-5678"),
        ("+81-90-1234-5678", "090-1234-5678"),
        ("+81 (0)3 1234 5678", "03-1234-5678"),
        ("+81312345678", "0312345678"),
        ("050-1234-5678", "050-1234-5678"),
        ("0120123456", "0120-123-456"),
        ("0800-123-4567", "0800-123-4567"),
        ("0570123456", "0570-123-456"),
    ],
)
def test_normalise_phone(text, expected):
    assert normalise_phone(text) == expected


def test_phone_digits():
    assert phone_digits("03-1234-5678") == "0312345678"
    assert phone_digits("+81 90 1234 5678") == "09012345678"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_phone_number"),
        ("+1 555 123 4567", "foreign_phone_number"),
        ("090-1234-567", "invalid_phone_number"),  # mobile needs 11 digits
        ("03-1234-56789", "invalid_phone_number"),  # fixed line is 10 digits
        ("81312345678", "invalid_phone_number"),
        ("0012345678", "invalid_phone_number"),
        ("03-1234-5678 内線12", "invalid_phone_number"),
        ("abc", "invalid_phone_number"),
    ],
)
def test_bad_phone_numbers(text, code):
    with pytest.raises(PhoneNumberError) as info:
        normalise_phone(text)
    assert info.value.code == code
    assert info.value.message_ja and info.value.message_en

"""Free text refuses bidi controls, control characters and private-use characters (core.text)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from madoguchi.core.text import BIDI_CONTROLS, UnsafeTextError, check_text, unsafe_character
from madoguchi.core.validators import plain_text

BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("ch", BIDI)
def test_every_bidi_control_is_refused_and_named(ch):
    assert ch in BIDI_CONTROLS
    with pytest.raises(UnsafeTextError) as refused:
        check_text(f"申請書{ch}fdp.exe", multiline=True)

    point = f"U+{ord(ch):04X}"
    assert refused.value.code == "bidi_control"
    assert (
        point in refused.value.ja and "並び順を入れ替える" in refused.value.ja and "削除" in refused.value.ja
    )
    assert point in refused.value.en and "reorders text" in refused.value.en and "delete" in refused.value.en


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\ue000", "\ud800"])
def test_control_private_use_and_surrogate_characters_are_refused(ch):
    with pytest.raises(UnsafeTextError) as refused:
        check_text(f"緑{ch}太郎", multiline=True)
    assert refused.value.code == "invalid_characters"
    assert f"U+{ord(ch):04X}" in refused.value.ja and f"U+{ord(ch):04X}" in refused.value.en


def test_line_breaks_and_tabs_only_where_the_input_has_several_lines():
    check_text("一行目\n二行目\r\n\t三行目", multiline=True)
    assert unsafe_character("一行目\n二行目") == "\n"
    assert unsafe_character("a\tb") == "\t"


@pytest.mark.parametrize(
    "text",
    [
        "緑 太郎",
        "葛\U000e0100城市",  # an ideographic variation sequence (異体字セレクタ): the exact glyph of a name
        "👨\u200d👩\u200d👧",  # emoji joined by zero-width joiners
        "مرحبا بالعالم",  # right-to-left text displays correctly without controls
        "Ｍｉｄｏｒｉ　市",
    ],
)
def test_ordinary_text_is_accepted(text):
    check_text(text)


def test_the_form_validator_speaks_the_language_of_the_request():
    validator = plain_text()
    with translation.override("en"), pytest.raises(ValidationError) as english:
        validator("abc\u202edef")
    assert "U+202E" in english.value.messages[0] and "reorders text" in english.value.messages[0]
    with translation.override("ja"), pytest.raises(ValidationError) as japanese:
        validator("abc\u202edef")
    assert "並び順を入れ替える" in japanese.value.messages[0]
    assert english.value.error_list[0].code == "bidi_control"
    plain_text(multiline=True)("一行目\r\n二行目")

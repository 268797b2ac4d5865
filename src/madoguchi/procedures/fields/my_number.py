"""`my_number`: a 個人番号, 12 digits with a valid check digit; never pre-filled, never shown again.

Asked on the page that submits the form and never kept in a draft (`submit_only`); the case keeps only a marker
and the number goes to the My Number vault (mynumber.intake). Only under identity_level: verified, at most one
per form, and only while MADOGUCHI_MY_NUMBER_ENABLED is on (procedures.selectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from madoguchi.jp.checkdigit import is_valid_my_number

from .base import (
    DIGITS,
    CleanContext,
    DemoSource,
    FieldType,
    OcrHints,
    PrintLayout,
    SpecBuilder,
    as_text,
    not_entered,
)
from .messages import invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field

MY_NUMBER_MASK = "●●●● ●●●● ●●●●"  # the only way a 個人番号 is displayed (as mynumber.selectors.MASK)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# Separators people type between the groups of a 個人番号 (hyphens, dashes, the IME's ー, spaces). Not NFKC:
# it would also read ① or ² as digits.
_MY_NUMBER_SEPARATORS = frozenset("-‐‑‒–—―−－ー─━ｰ \u3000\t")


def my_number_digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_FULL_WIDTH_DIGITS) if ch not in _MY_NUMBER_SEPARATORS)


@registry.register
class MyNumberType(FieldType):
    name = "my_number"
    keys = ()  # no prefill, no default, no length: 12 digits typed by the resident, never shown again
    submit_only = True
    holds_my_number = True
    shows_value = False
    input_attributes = ("text", "numeric", "off")
    example = (
        "12桁の数字（ハイフンや空白はあってもなくても構いません）",
        "12 digits (with or without hyphens and spaces)",
    )

    # -- spec

    def check_autocomplete(self, b: SpecBuilder, value: str | None, line: int, where: str) -> None:
        if value not in (None, "off") and b.strict:
            b.problem(
                line,
                f"{where}: a my_number field is never filled in by the browser; use autocomplete: off "
                "or leave it out",
            )

    def check_form(
        self,
        b: SpecBuilder,
        fields: Sequence[tuple[str, int]],
        identity_level: str | None,
        identity_line: int,
    ) -> None:
        """A 個人番号 is stored for the resident whose identity was checked: only under identity_level: verified,
        and one number per form (the vault holds one number per person)."""
        if not b.strict:
            return
        if identity_level is not None and identity_level != "verified":
            for where, line in fields:
                b.problem(
                    line,
                    f"{where}: a my_number field (個人番号) needs identity_level: verified, so that the number "
                    f"is stored for a resident whose identity was checked; line {identity_line} says "
                    f"'{identity_level}'",
                )
        for where, line in fields[1:]:
            b.problem(
                line,
                f"{where}: a form asks for at most one my_number field (first on line "
                f"{fields[0][1]}); it is the number of the applicant, stored once per person",
            )

    # -- validation and display

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        """12 ASCII digits with a valid check digit. No message repeats what was typed."""
        digits = my_number_digits(as_text(raw))
        if not (digits.isascii() and digits.isdigit()):
            raise invalid(
                "my_number_not_digits",
                "個人番号は12桁の数字で入力してください。数字のほかに使えるのはハイフンと空白だけです。",
                "Please enter your My Number as 12 digits. Only hyphens and spaces may be used between them.",
            )
        if len(digits) != 12:
            raise invalid(
                "my_number_length",
                f"個人番号は12桁です（入力された数字は{len(digits)}桁です）。マイナンバーカードの裏面などで番号を確認して、"
                "入力し直してください。",
                f"A My Number has 12 digits (you entered {len(digits)}). Please check the number, for example on the "
                "back of your My Number Card, and enter it again.",
            )
        if not is_valid_my_number(digits):
            raise invalid(
                "my_number_check_digit",
                "個人番号の最後の1桁（検査用数字）が合いません。入力の誤りがないか、マイナンバーカードの裏面などで番号を"
                "確認して、入力し直してください。",
                "The last digit (the check digit) of this My Number does not match. Please check the number, for "
                "example on the back of your My Number Card, and enter it again.",
            )
        return digits

    def format(self, f: Field, value: Any, lang: str) -> str:
        # Whatever is stored (the vault's marker, or digits before submission) shows as the mask.
        return MY_NUMBER_MASK if value else not_entered(lang)

    # -- the web form: never pre-filled, never echoed back into the page (not even after an error)

    def autocomplete(self, f: Field) -> str:
        return "off"

    def input_maxlength(self, f: Field) -> int:
        return 20  # 12 digits and the separators people type between the groups

    def json_schema_extra(self, f: Field) -> dict[str, Any]:
        return {"writeOnly": True, "description": "12 digits; hyphens and spaces between them are allowed."}

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        return None  # a demo never makes up a 個人番号

    # -- paper: 12 digit boxes in groups of 4, always printed empty (the number is never printed from a case)

    def print_layout(self, f: Field) -> PrintLayout:
        return PrintLayout.digit_boxes(12, groups=(4, 4, 4), blank=True)

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("digits", whitelist=DIGITS, min_length=12, max_length=12)

    def normalise_ocr(self, f: Field, text: str) -> str:
        """１２３４ ５６７８ ９０１８, 1234-5678-9018 → 123456789018."""
        return my_number_digits(text.strip())

"""Form validators shared by the pages of every room."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language

from madoguchi.core.text import UnsafeTextError, check_text


@deconstructible
class PlainTextValidator:
    """Refuse bidi controls, control characters and private-use characters in typed text (`core.text`).

    The message names the problem and the character and says what to do, in the language of the request.
    `multiline` allows line breaks and tabs (a textarea).
    """

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value) -> None:
        try:
            check_text(str(value or ""), multiline=self.multiline)
        except UnsafeTextError as exc:
            raise ValidationError(exc.message(get_language() or "ja"), code=exc.code) from None

    def __eq__(self, other) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((PlainTextValidator, self.multiline))


def plain_text(*, multiline: bool = False) -> PlainTextValidator:
    """The validator for a one-line input, or (`multiline`) a textarea."""
    return PlainTextValidator(multiline=multiline)

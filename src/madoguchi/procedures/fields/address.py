"""`address`: one line of address; without a value, the start of it from the postal code it is filled from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from madoguchi.jp import postal
from madoguchi.jp.errors import JpValueError

from ._text import TextBase
from .base import CleanContext, DemoSource, PrintLayout
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


@registry.register
class AddressType(TextBase):
    name = "address"
    keys = ("max_length", "autofill_from", "prefill")
    prefill_keys = ("person.address",)
    default_max_length = 200
    input_attributes = ("text", "", "street-address")

    def suggest(self, f: Field, context: CleanContext) -> str:
        """The start of an address (都道府県・市区町村・町域) from the postal code field it is filled from."""
        if not f.autofill_from:
            return ""
        code = context.data.get(f.autofill_from)
        if not isinstance(code, str) or not code.strip():
            return ""
        try:
            address = postal.lookup_postal_code(postal.normalise_postal_code(code))
        except JpValueError:
            return ""
        if address is None:
            return ""
        return f"{address.prefecture}{address.city}{address.town}"

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        if demo.elsewhere(f):
            town = demo.other_place()
            return f"{town.prefecture}{town.city}{town.town}{demo.rng.randint(1, 20)}番{demo.rng.randint(1, 30)}号"
        return demo.address

    def print_layout(self, f: Field) -> PrintLayout:
        """Two ruled lines: 都道府県・市区町村・番地, then the building and room."""
        return PrintLayout.text_area(2)

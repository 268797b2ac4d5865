"""`radio`: radio buttons of `options`; the value is the chosen option's value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._options import OptionsBase
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field


@registry.register
class RadioType(OptionsBase):
    name = "radio"
    keys = ("options", "default")
    template = "choices"
    input_kind = "radio"

    def is_group(self, f: Field) -> bool:
        return True

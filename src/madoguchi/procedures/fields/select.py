"""`select`: a drop-down of `options`; the value is the chosen option's value."""

from __future__ import annotations

from ._options import OptionsBase
from .registry import registry


@registry.register
class SelectType(OptionsBase):
    name = "select"
    keys = ("options", "default")
    template = "select"

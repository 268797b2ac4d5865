"""The registry imports the shipped formats when it is first read (not at start-up) and lists them first."""

from __future__ import annotations

import sys

from madoguchi.counter.handoff.contrib.case_csv import CaseCsvFormat
from madoguchi.counter.handoff.registry import register

from ._example_registry import example_register

EXAMPLE = "madoguchi.counter.handoff.tests._example_formats"


def test_the_shipped_formats_are_listed_in_their_order():
    assert register.names()[:2] == ("juki-ido", "case-csv")


def test_the_shipped_formats_load_at_the_first_read_once_and_come_before_a_citys():
    assert EXAMPLE not in sys.modules

    @example_register("city-format")  # a city's app registers from its ready(), before anything reads
    class CityFormat(CaseCsvFormat):
        pass

    assert EXAMPLE not in sys.modules  # registering does not load the shipped ones
    assert example_register.names() == ("example-one", "example-two", "city-format")
    assert example_register.get("city-format").name == "city-format"
    assert list(example_register.names()) == [f.name for f in example_register]
    assert sys.modules[EXAMPLE].IMPORTS == [1]

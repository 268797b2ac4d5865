"""Two "shipped" formats for test_registry, registered on import, in this order."""

from madoguchi.counter.handoff.contrib.case_csv import CaseCsvFormat

from ._example_registry import example_register

IMPORTS = [1]  # one element per import of this module


@example_register("example-one")
class ExampleOne(CaseCsvFormat):
    pass


@example_register("example-two")
class ExampleTwo(CaseCsvFormat):
    pass

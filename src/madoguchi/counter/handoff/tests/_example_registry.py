"""A registry whose shipped formats live in `_example_formats` (for test_registry)."""

from madoguchi.counter.handoff.registry import Registry

example_register = Registry(shipped="madoguchi.counter.handoff.tests._example_formats")

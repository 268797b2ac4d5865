"""Shared fixtures: the demo FAQ index is built once per test session (building takes ~1 s)."""

from __future__ import annotations

import pytest

from madoguchi.faq.engine import FaqEntry, FaqIndex
from madoguchi.faq.engine.cli import load_demo_entries


@pytest.fixture(autouse=True)
def _isolated_files():
    """The engine is pure: it needs none of the Django settings the project-wide fixture sets up."""
    yield


@pytest.fixture(scope="session")
def demo_entries() -> list[FaqEntry]:
    return load_demo_entries()


@pytest.fixture(scope="session")
def demo_index(demo_entries: list[FaqEntry]) -> FaqIndex:
    return FaqIndex.build(demo_entries)


def top_ids(index: FaqIndex, question: str, *, lang: str = "ja", n: int = 3) -> list[str]:
    return [hit.id for hit in index.ask(question, lang=lang).results[:n]]

"""Helpers for the procedures tests: write procedure files into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_PROCEDURES = Path(__file__).resolve().parents[4] / "procedures"

MINIMAL = """\
id: {id}
name: {{ja: テスト手続き, en: Test procedure}}
department: shimin
description: {{ja: 説明です。, en: A description.}}
eligibility: {{ja: どなたでも, en: Anyone}}
bring: {{ja: [本人確認書類], en: [Identification]}}
fee: {{ja: 無料, en: Free}}
life_events: [certificates]
online: true
identity_level: email
sla_business_days: 3
form:
  steps:
    - id: main
      title: {{ja: 入力, en: Details}}
      fields:
{fields}
"""

DEFAULT_FIELDS = """\
- id: applicant_name
  type: text
  label: {ja: 氏名, en: Full name}
  required: true
"""


def procedure_yaml(fields: str = DEFAULT_FIELDS, *, slug: str = "test-procedure") -> str:
    """A small valid procedure file whose only step holds `fields` (YAML list items, unindented)."""
    return MINIMAL.format(id=slug, fields=textwrap.indent(textwrap.dedent(fields), " " * 8))


@pytest.fixture
def write_procedure(tmp_path: Path) -> Callable[..., Path]:
    """Write a procedure file into tmp_path/procedures and return its path."""
    folder = tmp_path / "procedures"
    folder.mkdir(exist_ok=True)

    def write(text: str | None = None, *, slug: str = "test-procedure", fields: str = DEFAULT_FIELDS) -> Path:
        path = folder / f"{slug}.yaml"
        path.write_text(text if text is not None else procedure_yaml(fields, slug=slug), encoding="utf-8")
        return path

    return write

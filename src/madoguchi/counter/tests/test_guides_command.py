"""`madoguchi guides check`: every guide file valid, or every problem listed with file:line and exit status 1."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .conftest import GUIDES_DIR, PROCEDURES_DIR


def test_the_shipped_guides_are_valid():
    out = StringIO()
    call_command("guides", "check", stdout=out)
    text = out.getvalue()
    assert "10 guide files are valid" in text
    assert "death" in text and "32 entries" in text


def test_problems_are_listed_with_lines_and_exit_1(tmp_path):
    guides = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, guides)
    birth = guides / "birth.yaml"
    birth.write_text(
        birth.read_text(encoding="utf-8")
        .replace("procedure: jido-teate\n", "procedure: jido-teat\n")
        .replace('when: {question: nursery, equals: "yes"}', 'when: {question: nursery, equals: "maybe"}'),
        encoding="utf-8",
    )
    (guides / "death.yaml").write_text(
        (guides / "death.yaml")
        .read_text(encoding="utf-8")
        .replace("department: kaigo,", "department: kaygo,"),
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "guides", "check", "--directory", str(guides), "--procedures", str(PROCEDURES_DIR), stderr=err
        )
    assert caught.value.returncode == 1
    assert "3 problem(s) in 2 file(s); the guides are not valid." in str(caught.value)
    lines = err.getvalue().splitlines()
    assert any(
        line.startswith(f"{birth}:") and "unknown procedure 'jido-teat'; did you mean 'jido-teate'?" in line
        for line in lines
    )
    assert any("'maybe' is not an answer of question 'nursery'" in line for line in lines)
    assert any("where.department: unknown value 'kaygo'; did you mean 'kaigo'?" in line for line in lines)


def test_a_missing_directory(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("guides", "check", "--directory", str(tmp_path / "none"), stderr=err)
    assert "no such directory of guide files" in err.getvalue()

"""Strict YAML files (core.yamlfile): lines, duplicate keys, syntax errors and the generic checks.

The procedure files and the guide files test their own messages; these are the shared pieces on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from madoguchi.core.yamlfile import (
    Problem,
    StrictYamlBuilder,
    UnreadableFile,
    describe,
    did_you_mean,
    item_line,
    key_line,
    load_lined_yaml,
    read_text,
)


@dataclass(frozen=True)
class Text:
    ja: str
    en: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


class Builder(StrictYamlBuilder):
    localized_type = Text
    option_type = Choice
    option_value_re = re.compile(r"^[a-z]+$")
    option_value_rule = "lower-case letters"


def test_mappings_and_lists_remember_their_lines():
    data, problems = load_lined_yaml("a: 1\nb:\n  - x\n  - y\nc: {d: 2}\n", path="f.yaml")

    assert problems == []
    assert data == {"a": 1, "b": ["x", "y"], "c": {"d": 2}}
    assert (key_line(data, "a", 0), key_line(data, "b", 0), key_line(data, "c", 0)) == (1, 2, 5)
    assert (item_line(data["b"], 0, 0), item_line(data["b"], 1, 0)) == (3, 4)
    assert key_line(data, "missing", 99) == 1  # the mapping's own line
    assert key_line({"a": 1}, "a", 7) == 7  # a plain dict has no lines


def test_a_duplicate_key_is_a_problem_and_the_first_value_is_kept():
    data, problems = load_lined_yaml("a: 1\nb: 2\na: 3\n[x]: 4\n", path="f.yaml")

    assert data == {"a": 1, "b": 2}
    assert problems == [
        Problem("f.yaml", 3, "duplicate key 'a' (first on line 1); keep only one"),
        Problem("f.yaml", 4, "a key must be a plain word, not a list or a mapping"),
    ]


def test_a_syntax_error_names_its_line(tmp_path):
    with pytest.raises(UnreadableFile) as caught:
        load_lined_yaml("a: 1\nb: [2\n", path="f.yaml")

    assert caught.value.problem.path == "f.yaml"
    assert caught.value.problem.reason.startswith("YAML syntax error: ")
    assert str(caught.value) == str(caught.value.problem)

    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(UnreadableFile) as caught:
        read_text(bad)
    assert caught.value.problem.line == 1
    assert "not UTF-8" in caught.value.problem.reason
    with pytest.raises(UnreadableFile) as caught:
        read_text(tmp_path / "missing.yaml")
    assert caught.value.problem.line == 0


def test_words_for_messages():
    assert [describe(v) for v in (True, {}, [], None, 3, "x")] == [
        "true/false",
        "a mapping",
        "a list",
        "empty",
        "a number",
        "text",
    ]
    assert did_you_mean("titel", ["title", "summary"]) == "; did you mean 'title'?"
    assert did_you_mean("zzz", ["title"]) == ""


def test_the_generic_checks_collect_every_problem():
    data, _ = load_lined_yaml(
        "id: other\ntitel: x\nn: 0\nt: {ja: 日本語, en: English}\n"
        "list: {ja: [一, 二], en: [one]}\nopts:\n  - {value: a, label: {ja: あ, en: A}}\n  - {value: B, label: {ja: び, en: B}}\n",
        path="demo.yaml",
    )
    builder = Builder(path="demo.yaml", expected_id="demo")

    builder.check_keys(data, where="top", allowed=("id", "title", "n", "t", "list", "opts"))
    assert builder.file_id(data["id"], 1) is None
    assert builder.integer(data["n"], 3, "n", minimum=1, maximum=9) is None
    assert builder.localized(data["t"], 4, "t") == Text("日本語", "English")
    assert builder.bilingual_list(data["list"], 5, key="list") is None
    assert builder.options(data["opts"], 6, "opts") == (Choice("a", Text("あ", "A")),)
    assert builder.choice("yse", 9, "answer", ("yes", "no")) is None

    assert [(p.line, p.reason) for p in builder.problems] == [
        (2, "top: unknown key 'titel'; did you mean 'title'?"),
        (1, "id 'other' must equal the file name without .yaml ('demo'); rename one"),
        (3, "n must be between 1 and 9, not 0"),
        (5, "list.ja has 2 items but list.en has 1; give every item in both languages, in the same order"),
        (8, "opts option 2: value must be lower-case letters, not 'B'"),
        (9, "answer: unknown value 'yse'; did you mean 'yes'? use one of yes, no"),
    ]


def test_a_lenient_builder_lets_unknown_keys_and_values_through():
    builder = Builder(path="<stored>", strict=False)

    builder.check_keys({"new_key": 1}, where="top", allowed=("id",))
    assert builder.choice("new_value", 0, "answer", ("yes", "no")) == "new_value"
    assert builder.problems == []


def test_how_many_options_a_list_needs_is_said_in_words():
    class Pairs(Builder):
        min_options = 2

    one = [{"value": "a", "label": {"ja": "あ", "en": "A"}}]
    builder, pairs = Builder(path="f.yaml"), Pairs(path="f.yaml")
    builder.options([], 3, "q")
    pairs.options(one, 4, "q")

    assert [p.reason for p in (*builder.problems, *pairs.problems)] == [
        "q: options must be a non-empty list of {value, label}",
        "q: options must be a list of at least two {value, label}",
    ]

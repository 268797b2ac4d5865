"""Strict YAML files: read a hand-written file and report *every* problem of it with its line number.

Pure Python, no Django (import-linter contract in pyproject.toml): the standard library and PyYAML only. What
the procedure files (`procedures.spec`) and the life-event guide files (`counter.guide`) share:

- `read_text` and `load_lined_yaml`: the file as UTF-8 text, then as YAML whose mappings and lists remember
  their lines (`LinedDict.key_lines`, `LinedList.item_lines`); a duplicate key is a problem, not a silent
  overwrite. A file that cannot be read, or is not YAML at all, raises `UnreadableFile`.
- `line_of`, `key_line`, `item_line`, `describe` ("a list", "true/false" …), `closest` and `did_you_mean`
  for the messages; `Problem`, one problem of a file (path, line, reason).
- `StrictYamlBuilder`, the base of each format's builder: it collects problems and has the generic checks
  (known keys, a mapping, text, true/false, a whole number, an identifier, a choice, a `{ja, en}` text, a list
  in both languages, a list of `{value, label}` options, the id that must match the file name). A subclass
  says what its bilingual texts and options are, and reads its own format.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IDENT_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}


# --------------------------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One problem of a file: where (path and line; 0 for the file as a whole) and what to do."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class UnreadableFile(Exception):
    """The file cannot be read, or is not YAML: `problem` says why, and where when it can."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


# --------------------------------------------------------------------------------------------------------------
# YAML with line numbers


class LinedDict(dict):
    """A mapping from the YAML file that remembers its own line and the line of each key."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}


class LinedList(list):
    """A list from the YAML file that remembers its own line and the line of each item."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_lines: list[int] = []


class LinedLoader(yaml.SafeLoader):
    """PyYAML's safe loader building `LinedDict` and `LinedList`; keys it could not keep go to `duplicate_keys`
    as (line, reason)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []


def _construct_mapping(loader: LinedLoader, node: yaml.MappingNode) -> Iterator[LinedDict]:
    data = LinedDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            loader.duplicate_keys.append((line, "a key must be a plain word, not a list or a mapping"))
            continue
        if key in data:
            loader.duplicate_keys.append(
                (line, f"duplicate key '{key}' (first on line {data.key_lines[key]}); keep only one")
            )
            continue
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_sequence(loader: LinedLoader, node: yaml.SequenceNode) -> Iterator[LinedList]:
    data = LinedList()
    data.line = node.start_mark.line + 1
    yield data
    for item_node in node.value:
        data.append(loader.construct_object(item_node, deep=True))
        data.item_lines.append(item_node.start_mark.line + 1)


LinedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LinedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def read_text(path: str | Path) -> str:
    """The file as UTF-8 text; raise `UnreadableFile` when it is not UTF-8 (line 1) or cannot be read (0)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            Problem(str(path), 1, f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8")
        ) from exc
    except OSError as exc:
        raise UnreadableFile(Problem(str(path), 0, f"cannot read the file: {exc.strerror or exc}")) from exc


def load_lined_yaml(text: str, *, path: str | Path) -> tuple[Any, list[Problem]]:
    """Load one YAML document given as text: its data (mappings and lists remember their lines) and the
    problems of its keys (duplicates, keys that are lists or mappings). `path` names the file in problems.

    Raise `UnreadableFile` with the line of the syntax error when the text is not YAML.
    """
    loader = LinedLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise UnreadableFile(Problem(str(path), line, f"YAML syntax error: {reason}")) from exc
    except yaml.YAMLError as exc:
        raise UnreadableFile(Problem(str(path), 1, f"YAML error: {exc}")) from exc
    finally:
        loader.dispose()
    return data, [Problem(str(path), line, reason) for line, reason in loader.duplicate_keys]


def line_of(value: Any, default: int) -> int:
    """The line a value from the file starts on, or `default` (a value without a line, such as a number)."""
    return getattr(value, "line", 0) or default


def key_line(container: Any, key: Any, default: int) -> int:
    """The line of `key` in a mapping, else the mapping's own line, else `default`."""
    lines = getattr(container, "key_lines", None)
    if lines and key in lines:
        return lines[key]
    return line_of(container, default)


def item_line(container: Any, index: int, default: int) -> int:
    """The line of item `index` of a list, else the list's own line, else `default`."""
    lines = getattr(container, "item_lines", None)
    if lines and index < len(lines):
        return lines[index]
    return line_of(container, default)


def describe(value: Any) -> str:
    """What a value is, in the words of a message: "not a list" is clearer than "not ['a']"."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return "text"


def closest(value: str, choices: Sequence[str]) -> str | None:
    """The choice closest to a misspelt value (difflib), or None when none is close."""
    hint = difflib.get_close_matches(value, list(choices), n=1)
    return hint[0] if hint else None


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """The hint to append to a message, "; did you mean 'x'?", or "" when no choice is close."""
    hint = closest(value, choices)
    return f"; did you mean '{hint}'?" if hint else ""


# --------------------------------------------------------------------------------------------------------------
# The generic checks


class StrictYamlBuilder:
    """The base of a builder that turns one loaded file into objects, collecting every problem on the way.

    Each check takes the value, the line to report a problem on and `where` (how the message names the value),
    reports what is wrong with `problem` and returns the value read, or None. A subclass sets:

    - `localized_type`: what a `{ja, en}` text becomes (called with `ja=` and `en=`);
    - `option_type`: what a `{value, label}` option becomes (called with `value=` and `label=`), with
      `option_value_re` / `option_value_rule` (the rule in words) for the values and `min_options`;
    - `unknown_key_reason` when an unknown key deserves more than a did-you-mean.

    `strict=False` reads leniently (a stored document, where vocabularies may have changed since): unknown keys
    and values outside a choice are let through.
    """

    localized_type: ClassVar[Callable[..., Any]]
    option_type: ClassVar[Callable[..., Any]]
    option_value_re: ClassVar[re.Pattern[str]]
    option_value_rule: ClassVar[str]
    min_options: ClassVar[int] = 1

    def __init__(self, *, path: str, expected_id: str | None = None, strict: bool = True) -> None:
        self.path = path
        self.expected_id = expected_id  # what `file_id` must be: the file name without .yaml (None: any)
        self.strict = strict
        self.problems: list[Problem] = []

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.path, line, reason))

    def unknown_key_reason(self, key: str, allowed: Sequence[str], **context: Any) -> str:
        """Why `key` is refused; `context` is what the caller of `check_keys` passed besides the keys."""
        hint = closest(key, allowed)
        suggestion = f"did you mean '{hint}'?" if hint else f"allowed keys: {', '.join(allowed)}"
        return f"unknown key '{key}'; {suggestion}"

    def check_keys(
        self,
        data: Mapping,
        *,
        where: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        **context: Any,
    ) -> None:
        """Every key is text and allowed (when strict), every required key is there. `context` goes to
        `unknown_key_reason`."""
        line = line_of(data, 0)
        for key in data:
            if not isinstance(key, str):
                self.problem(key_line(data, key, line), f"{where}: key {key!r} must be text")
            elif key not in allowed and self.strict:
                self.problem(
                    key_line(data, key, line),
                    f"{where}: {self.unknown_key_reason(key, allowed, **context)}",
                )
        for key in required:
            if key not in data:
                self.problem(line, f"{where}: missing required key '{key}'")

    def mapping(self, value: Any, line: int, where: str) -> Mapping | None:
        if isinstance(value, dict):
            return value
        self.problem(line, f"{where} must be a mapping (key: value lines), not {describe(value)}")
        return None

    def text(self, value: Any, line: int, where: str) -> str | None:
        """Non-empty text, stripped."""
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.problem(line, f"{where} must be non-empty text, not {describe(value)}")
        return None

    def boolean(self, value: Any, line: int, where: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.problem(line, f"{where} must be true or false, not {describe(value)}")
        return None

    def integer(
        self, value: Any, line: int, where: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """A whole number (not true/false), within `minimum` and `maximum` when given."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(line, f"{where} must be a whole number, not {describe(value)}")
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            if minimum is not None and maximum is not None:
                bounds = f"between {minimum} and {maximum}"
            elif minimum is not None:
                bounds = f"at least {minimum}"
            else:
                bounds = f"at most {maximum}"
            self.problem(line, f"{where} must be {bounds}, not {value}")
            return None
        return value

    def identifier(self, value: Any, line: int, where: str) -> str | None:
        """An id used in the file and in programs: a-z, 0-9 and _, starting with a letter."""
        if not isinstance(value, str) or not IDENT_RE.match(value):
            self.problem(
                line, f"{where} {value!r} must start with a lower-case letter and contain only a-z, 0-9 and _"
            )
            return None
        return value

    def file_id(self, value: Any, line: int) -> str | None:
        """The `id` of the file: a slug, equal to the file name without .yaml (`expected_id`) when known."""
        text = self.text(value, line, "id")
        if text is None:
            return None
        if not SLUG_RE.match(text):
            self.problem(line, f"id '{text}' must be a slug: lower-case letters, digits and single hyphens")
            return None
        if self.expected_id is not None and text != self.expected_id:
            self.problem(
                line, f"id '{text}' must equal the file name without .yaml ('{self.expected_id}'); rename one"
            )
            return None
        return text

    def choice(self, value: Any, line: int, where: str, choices: Sequence[str]) -> str | None:
        """One of `choices` (any text when not strict), with a did-you-mean for a misspelt one."""
        if not isinstance(value, str):
            self.problem(line, f"{where} must be one of {', '.join(choices)}, not {describe(value)}")
            return None
        if self.strict and value not in choices:
            hint = closest(value, choices)
            suggestion = f"did you mean '{hint}'? " if hint else ""
            self.problem(
                line, f"{where}: unknown value '{value}'; {suggestion}use one of {', '.join(choices)}"
            )
            return None
        return value

    def localized(self, value: Any, line: int, where: str) -> Any:
        """A text in both languages, `{ja: ..., en: ...}`, as a `localized_type`."""
        data = self.mapping(value, line, f"{where} ({{ja: ..., en: ...}})")
        if data is None:
            return None
        line = line_of(data, line)
        self.check_keys(data, where=where, allowed=("ja", "en"), required=("ja", "en"))
        ja = self.text(data["ja"], key_line(data, "ja", line), f"{where}.ja") if "ja" in data else None
        en = self.text(data["en"], key_line(data, "en", line), f"{where}.en") if "en" in data else None
        if ja is None or en is None:
            return None
        return self.localized_type(ja=ja, en=en)

    def bilingual_list(
        self,
        value: Any,
        line: int,
        *,
        key: str,
        where: str | None = None,
        whole_lists: bool = False,
        count_at_mapping: bool = False,
    ) -> tuple[Any, ...] | None:
        """A list given in both languages, `key: {ja: [...], en: [...]}`, as a tuple of `localized_type`.

        Messages name the value "`where` key.ja[2]" ("key.ja[2]" without `where`). The two lists must have as
        many items. With `whole_lists`, a language with a bad item is not counted (its item is reported
        already); with `count_at_mapping`, a difference in number is reported on the line of the mapping,
        else on `line`.
        """
        prefix = f"{where} " if where is not None else ""
        data = self.mapping(value, line, f"{prefix}{key} ({{ja: [...], en: [...]}})")
        if data is None:
            return None
        if count_at_mapping:
            line = line_of(data, line)
        self.check_keys(data, where=f"{prefix}{key}", allowed=("ja", "en"), required=("ja", "en"))
        lists: dict[str, list[str]] = {}
        for lang in ("ja", "en"):
            if lang not in data:
                continue
            items = data[lang]
            lang_line = key_line(data, lang, line)
            if not isinstance(items, list):
                self.problem(
                    lang_line, f"{prefix}{key}.{lang} must be a list of texts, not {describe(items)}"
                )
                continue
            texts = []
            for index, item in enumerate(items):
                text = self.text(
                    item, item_line(items, index, lang_line), f"{prefix}{key}.{lang}[{index + 1}]"
                )
                if text is not None:
                    texts.append(text)
            if not whole_lists or len(texts) == len(items):
                lists[lang] = texts
        if len(lists) != 2:
            return None
        if len(lists["ja"]) != len(lists["en"]):
            sentence = f"{where}: " if where is not None else ""
            self.problem(
                line,
                f"{sentence}{key}.ja has {len(lists['ja'])} items but {key}.en has {len(lists['en'])}; "
                "give every item in both languages, in the same order",
            )
            return None
        return tuple(
            self.localized_type(ja=ja, en=en) for ja, en in zip(lists["ja"], lists["en"], strict=True)
        )

    def options(self, value: Any, line: int, where: str) -> tuple[Any, ...]:
        """A list of at least `min_options` options `{value, label}` with distinct values, as `option_type`;
        options with problems are left out (and reported)."""
        if not isinstance(value, list) or len(value) < self.min_options:
            shape = (
                "a non-empty list of"
                if self.min_options <= 1
                else f"a list of at least {_COUNT_WORDS.get(self.min_options, self.min_options)}"
            )
            self.problem(line, f"{where}: options must be {shape} {{value, label}}")
            return ()
        options: list[Any] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(value):
            option_line = item_line(value, index, line)
            data = self.mapping(raw, option_line, f"{where} option {index + 1}")
            if data is None:
                continue
            option_line = line_of(data, option_line)
            self.check_keys(
                data,
                where=f"{where} option {index + 1}",
                allowed=("value", "label"),
                required=("value", "label"),
            )
            option_value = data.get("value")
            if "value" in data and (
                not isinstance(option_value, str) or not self.option_value_re.match(option_value)
            ):
                self.problem(
                    key_line(data, "value", option_line),
                    f"{where} option {index + 1}: value must be {self.option_value_rule}, not {option_value!r}",
                )
                continue
            label = (
                self.localized(
                    data["label"], key_line(data, "label", option_line), f"{where} option {index + 1} label"
                )
                if "label" in data
                else None
            )
            if option_value is None or label is None:
                continue
            if option_value in seen:
                self.problem(
                    option_line, f"{where}: option value '{option_value}' repeats line {seen[option_value]}"
                )
                continue
            seen[option_value] = option_line
            options.append(self.option_type(value=option_value, label=label))
        return tuple(options)

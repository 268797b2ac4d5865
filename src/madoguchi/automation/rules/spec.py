"""Rule files (rules/<id>.yaml): read strictly, every problem with its line; a rule's actions planned for an event.

Pure Python, no Django (import-linter contract): PyYAML through `core.yamlfile`, cel-python through
`condition`. A rule says: on an event of one topic, when a CEL condition holds, plan these actions. Planning
(`plan_actions`) gives data — the action kind and its parameters with the texts filled in — that the Django
side carries out, one recorded step per action. The examples a file carries are run by `run_examples`.
docs/rules.md describes the format.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from madoguchi.core.yamlfile import (
    SLUG_RE,
    LinedDict,
    Problem,
    StrictYamlBuilder,
    UnreadableFile,
    describe,
    did_you_mean,
    item_line,
    key_line,
    line_of,
    load_lined_yaml,
    read_text,
)

from . import condition as cel
from .topics import TOPICS, complete_payload

PLACEHOLDER_RE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Localized:
    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True)
class Param:
    """One parameter of an action: its kind (text, localized, slug, int, choice, ident) and whether required."""

    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    needs: Mapping[str, str] = field(default_factory=dict)  # choice value → event field it needs


@dataclass(frozen=True)
class ActionType:
    name: str
    params: Mapping[str, Param]
    help: str


ACTION_TYPES: dict[str, ActionType] = {
    a.name: a
    for a in (
        ActionType(
            "create_task",
            {
                "department": Param("slug"),
                "title": Param("localized"),
                "sla_days": Param("int"),
                "subject": Param(
                    "choice", False, ("person", "case", "none"), {"person": "person_id", "case": "case_id"}
                ),
                "for_each": Param("list_field", False),
            },
            "a task for a department, due after sla_days business days",
        ),
        ActionType(
            "create_case",
            {"procedure": Param("slug")},
            "a draft case of a procedure, opened for the person's linked account to complete",
        ),
        ActionType(
            "send_notice",
            {
                "to": Param(
                    "choice",
                    True,
                    ("person", "household", "applicant", "open_cases"),
                    {
                        "person": "person_id",
                        "household": "household_number",
                        "applicant": "applicant_id",
                        "open_cases": "person_id",
                    },
                ),
                "title": Param("localized"),
                "body": Param("localized"),
                "guide": Param("slug", False),
            },
            "a My Page notice and an email (notify room)",
        ),
        ActionType(
            "send_letter",
            {
                "to": Param("choice", True, ("person",), {"person": "person_id"}),
                "title": Param("localized"),
                "body": Param("localized"),
            },
            "a printable PDF letter, queued for printing",
        ),
        ActionType(
            "set_flag",
            {
                "subject": Param(
                    "choice", True, ("person", "case"), {"person": "person_id", "case": "case_id"}
                ),
                "flag": Param("ident"),
                "expires_in_days": Param("int", False),
            },
            "a flag on the person or the case (e.g. payment_hold), with an optional expiry",
        ),
        ActionType(
            "webhook",
            {"endpoint": Param("slug")},
            "a CloudEvents 1.0 POST to an endpoint of MADOGUCHI_RULE_WEBHOOKS, HMAC-signed, retried",
        ),
    )
}


@dataclass(frozen=True)
class Action:
    kind: str
    params: Mapping[str, Any]  # Localized for texts
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        return {self.kind: {k: _jsonable(v) for k, v in self.params.items()}}


@dataclass(frozen=True)
class Example:
    name: str
    event: Mapping[str, Any]
    expect: tuple[Mapping[str, Any], ...]  # {kind: {param: value}} — parameters compared when given
    line: int = 0


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: Localized
    topic: str
    condition: str
    actions: tuple[Action, ...]
    examples: tuple[Example, ...]
    source_lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": _jsonable(self.title),
            "event": self.topic,
            "condition": self.condition,
            "actions": [a.to_json() for a in self.actions],
            "examples": [
                {"name": e.name, "event": dict(e.event), "expect": [dict(x) for x in e.expect]}
                for e in self.examples
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        actions = []
        for item in data["actions"]:
            ((kind, params),) = item.items()
            types = ACTION_TYPES[kind].params
            actions.append(
                Action(
                    kind,
                    {
                        k: Localized(**v) if types.get(k) and types[k].kind == "localized" else v
                        for k, v in params.items()
                    },
                )
            )
        return cls(
            id=data["id"],
            version=data["version"],
            title=Localized(**data["title"]),
            topic=data["event"],
            condition=data.get("condition", ""),
            actions=tuple(actions),
            examples=tuple(
                Example(e["name"], e["event"], tuple(e["expect"])) for e in data.get("examples", [])
            ),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Localized):
        return {"ja": value.ja, "en": value.en}
    return value


def canonical_sha256(rule: Rule) -> str:
    """SHA-256 of the rule's canonical JSON: comments and layout of the YAML do not count."""
    text = json.dumps(rule.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RuleFileError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------------------------------------------
# Reading


TOP_KEYS = ("id", "version", "title", "event", "condition", "actions", "examples", "description")


class _Builder(StrictYamlBuilder):
    localized_type = Localized

    def build(self, data: Any) -> Rule | None:
        data = self.mapping(data, 1, "the rule file")
        if data is None:
            return None
        self.check_keys(
            data, where="rule", allowed=TOP_KEYS, required=("id", "version", "title", "event", "actions")
        )

        def line(key: str) -> int:
            return key_line(data, key, 1)

        rule_id = self.file_id(data["id"], line("id")) if "id" in data else None
        version = (
            self.integer(data["version"], line("version"), "version", minimum=1)
            if "version" in data
            else None
        )
        title = self.localized(data["title"], line("title"), "title") if "title" in data else None
        if "description" in data:
            self.localized(data["description"], line("description"), "description")
        topic = None
        if "event" in data:
            raw = data["event"]
            if isinstance(raw, str) and raw in TOPICS:
                topic = raw
            else:
                shown = raw if isinstance(raw, str) else describe(raw)
                self.problem(
                    line("event"),
                    f"event: unknown event '{shown}'{did_you_mean(str(raw), list(TOPICS))}; "
                    f"known events: {', '.join(TOPICS)}",
                )
        condition = ""
        if "condition" in data and topic is not None:
            condition = self.condition(data["condition"], line("condition"), topic) or ""
        actions = self.actions(data["actions"], line("actions"), topic) if "actions" in data else ()
        examples = (
            self.examples(data["examples"], line("examples"), topic) if "examples" in data and topic else ()
        )
        if self.problems or None in (rule_id, version, title, topic):
            return None
        return Rule(
            id=rule_id,
            version=version,
            title=title,
            topic=topic,
            condition=condition,
            actions=tuple(actions),
            examples=tuple(examples),
            source_lines=dict(getattr(data, "key_lines", {})),
        )

    def condition(self, value: Any, line: int, topic: str) -> str | None:
        text = self.text(value, line, "condition")
        if text is None:
            return None
        first = line + 1 if "\n" in str(value).strip() or str(value).endswith("\n") else line
        for problem in cel.check_condition(text, topic):
            self.problem(first + problem.line - 1, problem.reason)
        return text

    def actions(self, value: Any, line: int, topic: str | None) -> list[Action]:
        if not isinstance(value, list) or not value:
            self.problem(line, f"actions must be a non-empty list, not {describe(value)}")
            return []
        actions = []
        for index, raw in enumerate(value):
            where = f"action {index + 1}"
            action_line = line_of(raw, item_line(value, index, line))
            if not isinstance(raw, dict) or len(raw) != 1:
                self.problem(
                    action_line,
                    f"{where} must be one action name with its settings (e.g. 'create_task: {{...}}'), "
                    f"not {describe(raw)}",
                )
                continue
            ((kind, params),) = raw.items()
            if kind not in ACTION_TYPES:
                self.problem(
                    action_line,
                    f"{where}: unknown action '{kind}'{did_you_mean(str(kind), list(ACTION_TYPES))}; "
                    f"known actions: {', '.join(ACTION_TYPES)}",
                )
                continue
            action = self.action(kind, params, key_line(raw, kind, action_line), where, topic)
            if action is not None:
                actions.append(action)
        return actions

    def action(self, kind: str, value: Any, line: int, where: str, topic: str | None) -> Action | None:
        data = self.mapping(value, line, f"{where} ({kind})")
        if data is None:
            return None
        line = line_of(data, line)
        types = ACTION_TYPES[kind].params
        before = len(self.problems)
        self.check_keys(
            data,
            where=f"{where} ({kind})",
            allowed=list(types),
            required=[k for k, p in types.items() if p.required],
        )
        fields = TOPICS[topic].fields if topic else {}
        params: dict[str, Any] = {}
        for name, param in types.items():
            if name not in data:
                continue
            at = key_line(data, name, line)
            label = f"{where} ({kind}) {name}"
            raw = data[name]
            if param.kind == "localized":
                value_ = self.localized(raw, at, label)
                if value_ is not None and topic:
                    allowed = set(fields) | ({"item"} if "for_each" in data else set())
                    for text in (value_.ja, value_.en):
                        for placeholder in PLACEHOLDER_RE.findall(text):
                            if placeholder not in allowed:
                                self.problem(
                                    at,
                                    f"{label}: unknown placeholder '{{{placeholder}}}'; use the event's fields "
                                    f"({', '.join(sorted(allowed))})",
                                )
            elif param.kind == "int":
                value_ = self.integer(raw, at, label, minimum=0)
            elif param.kind == "ident":
                value_ = self.identifier(raw, at, label)
            elif param.kind == "slug":
                value_ = self.text(raw, at, label)
                if value_ is not None and not SLUG_RE.match(value_):
                    self.problem(
                        at, f"{label} '{value_}' must be a slug: lower-case letters, digits and hyphens"
                    )
                    value_ = None
            elif param.kind == "list_field":
                value_ = self.text(raw, at, label)
                if value_ is not None and topic and (value_ not in fields or fields[value_].type != "list"):
                    lists = [n for n, f in fields.items() if f.type == "list"]
                    self.problem(
                        at,
                        f"{label}: '{value_}' is not a list field of {topic}; "
                        f"use one of: {', '.join(lists) or '(none)'}",
                    )
                    value_ = None
            else:  # choice
                value_ = self.choice(raw, at, label, param.choices)
                needed = param.needs.get(value_ or "")
                if value_ is not None and topic and needed and needed not in fields:
                    self.problem(at, f"{label}: '{value_}' needs an event with {needed}; {topic} has none")
                    value_ = None
            if value_ is not None:
                params[name] = value_
        if kind == "create_task" and "subject" not in params and topic:
            params["subject"] = (
                "case" if "case_id" in fields else ("person" if "person_id" in fields else "none")
            )
        if len(self.problems) > before:
            return None
        return Action(kind, params, line)

    def examples(self, value: Any, line: int, topic: str) -> list[Example]:
        if not isinstance(value, list):
            self.problem(line, f"examples must be a list, not {describe(value)}")
            return []
        fields = TOPICS[topic].fields
        examples = []
        for index, raw in enumerate(value):
            where = f"example {index + 1}"
            at = line_of(raw, item_line(value, index, line))
            data = self.mapping(raw, at, where)
            if data is None:
                continue
            self.check_keys(
                data, where=where, allowed=("name", "event", "expect"), required=("name", "event", "expect")
            )
            name = (
                self.text(data.get("name"), key_line(data, "name", at), f"{where} name")
                if "name" in data
                else None
            )
            event = (
                self.mapping(data.get("event"), key_line(data, "event", at), f"{where} event")
                if "event" in data
                else None
            )
            if event is not None:
                for key in event:
                    if key not in fields or fields[key].derived:
                        self.problem(
                            key_line(event, key, at),
                            f"{where} event: {topic} has no field '{key}'{did_you_mean(str(key), list(fields))}",
                        )
            expect = data.get("expect")
            expected: list[Mapping[str, Any]] = []
            if "expect" in data:
                if not isinstance(expect, list):
                    self.problem(
                        key_line(data, "expect", at), f"{where} expect must be a list of actions (or [])"
                    )
                else:
                    for position, item in enumerate(expect):
                        item_at = line_of(item, item_line(expect, position, at))
                        if isinstance(item, str):
                            item = {item: {}}
                        if not isinstance(item, dict) or len(item) != 1:
                            self.problem(
                                item_at, f"{where} expect {position + 1}: write 'action_name: {{...}}'"
                            )
                            continue
                        ((kind, params),) = item.items()
                        if kind not in ACTION_TYPES:
                            self.problem(
                                item_at,
                                f"{where} expect {position + 1}: unknown action '{kind}'"
                                f"{did_you_mean(str(kind), list(ACTION_TYPES))}",
                            )
                            continue
                        expected.append({kind: _plain(params or {})})
            if name and event is not None and isinstance(expect, list):
                examples.append(Example(name, _plain(event), tuple(expected), at))
        return examples


def _plain(value: Any) -> Any:
    """YAML data as plain JSON-able values (LinedDict → dict, dates → ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def parse_rule_text(text: str, *, path: str, expected_id: str | None = None) -> Rule:
    try:
        data, problems = load_lined_yaml(text, path=path)
    except UnreadableFile as exc:
        raise RuleFileError([exc.problem]) from exc
    builder = _Builder(path=path, expected_id=expected_id)
    builder.problems.extend(problems)
    rule = builder.build(data if data is not None else LinedDict())
    if builder.problems or rule is None:
        raise RuleFileError(builder.problems or [Problem(path, 1, "the file is empty; write a rule")])
    return rule


def load_rule_file(path: str | Path) -> Rule:
    path = Path(path)
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise RuleFileError([exc.problem]) from exc
    return parse_rule_text(text, path=str(path), expected_id=path.stem)


def rule_paths(paths: Sequence[str | Path]) -> list[Path]:
    """The rule files named: files as given, folders as their *.yaml files (sorted)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return found


# --------------------------------------------------------------------------------------------------------------
# Planning and examples


@dataclass(frozen=True)
class PlannedAction:
    """An action to carry out for one event: kind and parameters, texts filled in (`{ja, en}` dicts)."""

    kind: str
    params: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {self.kind: dict(self.params)}


def _fill(text: str, values: Mapping[str, Any]) -> str:
    return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def matches(rule: Rule, payload: Mapping[str, Any]) -> bool:
    """The rule's condition holds for the (completed) payload."""
    return cel.evaluate(rule.condition, payload)


def plan_actions(rule: Rule, payload: Mapping[str, Any]) -> list[PlannedAction]:
    """The actions of `rule` for one completed payload (empty when the condition does not hold)."""
    if not matches(rule, payload):
        return []
    planned = []
    for action in rule.actions:
        items = [None]
        for_each = action.params.get("for_each")
        if for_each:
            items = list(payload.get(for_each) or [])
        for item in items:
            values = {**payload, "item": item} if item is not None else payload
            params: dict[str, Any] = {}
            for name, value in action.params.items():
                if isinstance(value, Localized):
                    params[name] = {"ja": _fill(value.ja, values), "en": _fill(value.en, values)}
                elif name != "for_each":
                    params[name] = value
            if item is not None:
                params["item"] = item
            planned.append(PlannedAction(action.kind, params))
    return planned


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    name: str
    passed: bool
    diff: tuple[str, ...]  # lines: "- expected …" / "+ planned …"; or the error


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return expected == actual


def run_examples(rule: Rule) -> list[ExampleResult]:
    """Run every example of the rule: the planned actions must be the expected ones, in order (parameters
    compared where the example gives them)."""
    results = []
    for example in rule.examples:
        try:
            planned = [p.to_json() for p in plan_actions(rule, complete_payload(rule.topic, example.event))]
        except cel.ConditionError as exc:
            results.append(ExampleResult(rule.id, example.name, False, (f"! {exc}",)))
            continue
        ok = len(planned) == len(example.expect) and all(
            _subset(exp, act) for exp, act in zip(example.expect, planned, strict=False)
        )
        diff: list[str] = []
        if not ok:
            diff += [
                f"- expected {json.dumps(e, ensure_ascii=False, sort_keys=True)}" for e in example.expect
            ]
            diff += [f"+ planned  {json.dumps(p, ensure_ascii=False, sort_keys=True)}" for p in planned]
            if not example.expect and not planned:
                diff.append("(no actions)")
        results.append(ExampleResult(rule.id, example.name, ok, tuple(diff)))
    return results

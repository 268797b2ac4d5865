"""Rule conditions in CEL (Common Expression Language) through cel-python: parsed and checked once, cached.

A condition sees one variable, `event` (the payload as `topics.complete_payload` gives it). It is parsed by
cel-python's own grammar (never eval, never our own parser); `check_condition` then walks the parse tree to
refuse names the event does not have (`event.agee`, `event["agee"]`) and free identifiers other than `event`
and the variables of macros (`event.changed.exists(f, f == "address")`).

Evaluation is cel-python's interpreter, remembered per input: CEL has no side effects and no clock, so a
condition that reads `event` only as `event.name` / `event["name"]` (`fields_read`) gives the same answer for
the same values of those fields. `evaluate` keeps the last answers per condition and the values it read, so a
registry import's 1,000 moved-in events cost one cel-python evaluation per distinct (age, is_active), not one
per event; an error is never remembered (it is raised again, each time).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes
from lark import Token, Tree

from .topics import TOPICS

MACROS = {"all", "exists", "exists_one", "map", "filter"}
BUILTINS = {"true", "false", "null"}


@dataclass(frozen=True)
class ConditionProblem:
    """A problem of a condition: the line within the condition text (1-based) and what to do."""

    line: int
    reason: str


class ConditionError(Exception):
    """A condition failed while evaluated (a type mismatch the check could not see)."""


# Grammar nodes that only wrap their one child (a plain `event` is ident inside all of them).
_WRAPPERS = {
    "expr",
    "conditionalor",
    "conditionaland",
    "relation",
    "addition",
    "multiplication",
    "unary",
    "member",
    "primary",
}


@functools.lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    return celpy.Environment(annotations={"event": celtypes.MapType})


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> Any:
    return _environment().compile(text)


@functools.lru_cache(maxsize=1024)
def compiled(text: str) -> Any:
    """The runnable program of a condition, compiled once per process (the cache is keyed by the text)."""
    return _environment().program(_parse(text))


def check_condition(text: str, topic: str) -> list[ConditionProblem]:
    """Every problem of a condition for events of `topic`: a syntax error, or names the event lacks."""
    try:
        tree = _parse(text)
    except celpy.CELParseError as exc:
        line = int(getattr(exc, "line", None) or 1)
        column = getattr(exc, "column", None)
        where = f" at column {column}" if column else ""
        detail = " ".join(str(exc.args[0]).split()) if exc.args else ""
        return [
            ConditionProblem(line, f"condition: CEL syntax error{where} near '{detail}'; fix the expression")
        ]
    fields = TOPICS[topic].fields
    problems = []
    bound = set(_macro_variables(tree))
    for name, line in _free_identifiers(tree):
        if name != "event" and name not in bound and name not in BUILTINS:
            problems.append(
                ConditionProblem(
                    line, f"condition: unknown name '{name}'; the event's fields are event.<field>"
                )
            )
    for name, line in _event_fields(tree):
        if name not in fields:
            problems.append(
                ConditionProblem(
                    line,
                    f"condition: event {topic} has no field '{name}'{_hint(name, fields)}; "
                    f"its fields: {', '.join(fields)}",
                )
            )
    return problems


def _hint(name: str, fields: Mapping[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _tokens(tree: Any) -> Iterator[Token]:
    if isinstance(tree, Token):
        yield tree
    elif isinstance(tree, Tree):
        for child in tree.children:
            yield from _tokens(child)


def _line(tree: Any) -> int:
    for token in _tokens(tree):
        if token.line is not None:
            return token.line
    return 1


def _is_ident(tree: Any, name: str | None = None) -> str | None:
    """The identifier a `member` subtree is, when it is only a plain identifier."""
    while isinstance(tree, Tree) and tree.data in _WRAPPERS and len(tree.children) == 1:
        tree = tree.children[0]
    if isinstance(tree, Tree) and tree.data == "ident" and tree.children:
        value = str(tree.children[0])
        return value if name is None or value == name else None
    return None


def _macro_variables(tree: Tree) -> Iterator[str]:
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and len(node.children) >= 3:
            method = str(node.children[1])
            args = node.children[2]
            if method in MACROS and isinstance(args, Tree) and args.children:
                variable = _is_ident(args.children[0])
                if variable:
                    yield variable


def _free_identifiers(tree: Tree) -> Iterator[tuple[str, int]]:
    for node in tree.iter_subtrees():
        if node.data == "ident" and node.children:
            token = node.children[0]
            yield str(token), getattr(token, "line", None) or 1


def _event_fields(tree: Tree) -> Iterator[tuple[str, int]]:
    """Fields read from `event`: `event.name` and `event["name"]`."""
    for node in tree.iter_subtrees():
        if node.data == "member_dot" and len(node.children) == 2 and _is_ident(node.children[0], "event"):
            token = node.children[1]
            yield str(token), getattr(token, "line", None) or _line(node)
        elif node.data == "member_index" and len(node.children) == 2 and _is_ident(node.children[0], "event"):
            literal = _literal_string(node.children[1])
            if literal is not None:
                yield literal, _line(node)


def _literal_string(tree: Any) -> str | None:
    while isinstance(tree, Tree) and len(tree.children) == 1 and tree.data != "literal":
        tree = tree.children[0]
    if isinstance(tree, Tree) and tree.data == "literal":
        text = str(tree.children[0])
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            return text[1:-1]
    if isinstance(tree, Token) and len(tree) >= 2 and tree[0] == tree[-1] and tree[0] in "\"'":
        return str(tree)[1:-1]
    return None


def _event_ident(tree: Any) -> Tree | None:
    """The `ident` node of a `member` subtree that is only the identifier `event`."""
    while isinstance(tree, Tree) and tree.data in _WRAPPERS and len(tree.children) == 1:
        tree = tree.children[0]
    if isinstance(tree, Tree) and tree.data == "ident" and tree.children and str(tree.children[0]) == "event":
        return tree
    return None


@functools.lru_cache(maxsize=1024)
def fields_read(text: str) -> tuple[str, ...] | None:
    """The fields of `event` a condition reads, when every use of `event` is `event.name` or `event["name"]`
    (a literal name): then its value depends on those fields alone. None when `event` is used otherwise
    (`size(event)`, `event[f]`, a macro variable called `event`, …)."""
    tree = _parse(text)
    names: set[str] = set()
    field_reads: set[int] = set()
    for node in tree.iter_subtrees():
        if node.data in ("member_dot", "member_index") and len(node.children) == 2:
            ident = _event_ident(node.children[0])
            if ident is None:
                continue
            name = str(node.children[1]) if node.data == "member_dot" else _literal_string(node.children[1])
            if name is not None:
                names.add(name)
                field_reads.add(id(ident))
    uses = [
        n for n in tree.iter_subtrees() if n.data == "ident" and n.children and str(n.children[0]) == "event"
    ]
    if any(id(node) not in field_reads for node in uses):
        return None
    return tuple(sorted(names))


def evaluate(text: str, event: Mapping[str, Any]) -> bool:
    """True when the condition holds for the (completed) payload; an empty condition always holds."""
    if not text:
        return True
    fields = fields_read(text)
    if fields is not None:
        try:
            key = json.dumps([[name in event, event.get(name)] for name in fields], allow_nan=False)
        except (TypeError, ValueError):  # a value JSON cannot hold exactly (a date of a YAML example, NaN)
            key = None
        if key is not None:
            return _evaluate_read(text, key)
    return _evaluate(text, event)


@functools.lru_cache(maxsize=16384)
def _evaluate_read(text: str, key: str) -> bool:
    """The condition over the fields it reads (`key`: [present, value] per name of `fields_read`), evaluated
    by cel-python once per distinct key; an error is raised and not remembered."""
    read = dict(
        (name, value)
        for name, (present, value) in zip(fields_read(text), json.loads(key), strict=True)
        if present
    )
    return _evaluate(text, read)


def evaluations() -> int:
    """How many times cel-python evaluated a remembered condition since `cache_clear` (for the bench)."""
    return _evaluate_read.cache_info().misses


def cache_clear() -> None:
    """Forget the remembered answers (compiled programs stay)."""
    _evaluate_read.cache_clear()


def evaluate_uncached(text: str, event: Mapping[str, Any]) -> bool:
    """`evaluate` without remembering: cel-python every time (for tests and the bench)."""
    return _evaluate(text, event) if text else True


def _evaluate(text: str, event: Mapping[str, Any]) -> bool:
    try:
        result = compiled(text).evaluate({"event": celpy.json_to_cel(dict(event))})
    except celpy.CELEvalError as exc:
        raise ConditionError(
            f"the condition could not be evaluated: {exc.args[0] if exc.args else exc}"
        ) from exc
    if isinstance(result, celpy.CELEvalError):
        raise ConditionError(
            f"the condition could not be evaluated: {result.args[0] if result.args else result}"
        )
    if not isinstance(result, celtypes.BoolType | bool):
        raise ConditionError(f"the condition must give true or false, not {type(result).__name__}")
    return bool(result)

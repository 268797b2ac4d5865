"""Every code a room writes into the audit log is named for the auditor (ja/en): the action, the kind of object
and the purpose of each `record_access` call in the source, read from the code itself, so that a room adding a
new code without a label fails here rather than showing the auditor a raw key."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from madoguchi.office import labels

SOURCE = Path(labels.__file__).resolve().parents[1]
# The functions that take audit codes as keywords: core.audit's own and the rooms' thin wrappers around it.
CALLS = {"record_access", "look_token", "_audit", "_audit_persons"}
KINDS = {
    "action": labels.audit_action_label,
    "object_type": labels.audit_object_label,
    "purpose": labels.audit_purpose_label,
}
CODE = re.compile(r"^[a-z][a-z0-9_.]*$")  # a code, not free text written in Japanese


def _codes() -> dict[tuple[str, str], str]:
    """(kind, code) → the first module that writes it: literals, and module constants given by name."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in CALLS:
                continue
            for keyword in node.keywords:
                if keyword.arg not in KINDS:
                    continue
                values = [keyword.value]
                if isinstance(keyword.value, ast.IfExp):
                    values = [keyword.value.body, keyword.value.orelse]
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        code = value.value
                    elif isinstance(value, ast.Name) and value.id in constants:
                        code = constants[value.id]
                    else:
                        continue  # a parameter passed through: its callers' literals are read instead
                    head = re.split(r"\s*[(:]", code, maxsplit=1)[0]  # "counter_intake: bundle" → its code
                    if CODE.match(head):
                        found.setdefault((keyword.arg, code), str(path.relative_to(SOURCE)))
    return found


CODES = _codes()


def test_the_source_is_read():
    kinds = {kind for kind, _ in CODES}
    assert kinds == set(KINDS)
    assert ("object_type", "case") in CODES and ("action", "refused") in CODES
    assert len(CODES) > 40


@pytest.mark.parametrize(("kind", "code"), sorted(CODES), ids=lambda value: str(value))
def test_every_audit_code_is_named_in_japanese_and_english(kind, code):
    label = KINDS[kind]
    with translation.override("ja"):
        japanese = str(label(code))
    with translation.override("en"):
        english = str(label(code))
    where = CODES[(kind, code)]
    assert japanese != code, f"{kind} {code!r} (written in {where}) has no label in office/labels.py"
    assert english != japanese, f"{kind} {code!r} has no English label in the office catalogue"
    assert not re.search(r"[ぁ-んァ-ン一-龥]", english.split(":")[0].split("(")[0]), english

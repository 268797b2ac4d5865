"""The code lists as data (residents/codes/*.yaml) and the 続柄 rules."""

from __future__ import annotations

import re

import pytest
import yaml

from madoguchi.residents.registry import codes
from madoguchi.residents.registry.problems import MESSAGES, Issue
from madoguchi.residents.registry.relationship import normalise_relationship


@pytest.mark.parametrize("path", sorted(codes.CODES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_code_file_names_its_source_and_version(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["format"] == codes.FORMAT
    assert data["source"] and re.fullmatch(r"\d{4}\.\d+", data["version"])
    assert "Licence" in path.read_text(encoding="utf-8")


def test_code_lists_load_and_resolve_names_and_aliases():
    reasons = codes.change_reasons()
    assert reasons.resolve("11") == reasons.resolve("転居") == "11"
    assert reasons.resolve("転入") == "01"  # an alias of 国内転入
    assert reasons.resolve("引っ越し") is None
    assert codes.resident_statuses().resolve("住登内") == "1"
    assert codes.resident_types().resolve("外国人住民") == "2"
    assert codes.residence_statuses().resolve("特定技能1号") == "特定技能１号"


def test_reasons_cover_the_standard_classification_with_events():
    reasons = codes.change_reasons().by_code
    names = {r.name for r in reasons.values()}
    assert {
        "国内転入",
        "国外転入",
        "出生",
        "転居",
        "国内転出",
        "国外転出",
        "死亡",
        "世帯分離",
        "世帯合併",
    } <= names
    assert {"世帯主変更", "職権記載", "職権修正", "職権消除"} <= names
    for reason in reasons.values():
        assert (reason.effect == "sync") == (reason.event == "")
        assert reason.event in codes.EVENTS or reason.effect == "sync"
    topics = {r.event for r in reasons.values()}
    assert {
        "resident.moved_in",
        "resident.moved_out",
        "resident.moved_within",
        "resident.born",
        "resident.died",
        "resident.household_changed",
    } <= topics
    assert reasons["33"].statuses == ("3",) and reasons["31"].statuses == ("2",)
    assert reasons["03"].moved_on_is_birth_date


def test_only_the_resident_status_is_active():
    statuses = codes.resident_statuses().by_code
    assert [code for code, status in statuses.items() if status.flag] == [codes.ACTIVE_STATUS]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("世帯主", "世帯主"),
        ("妻", "妻"),
        ("子の妻", "子の妻"),
        ("子の子", "子の子"),
        ("子の子の子の子", "子の子の子の子"),
        ("妻の父", "妻の父"),
        ("妻(未届)", "妻（未届）"),
        ("夫（未届）の子", "夫（未届）の子"),
        (" 同居人 ", "同居人"),
        ("縁故者", "縁故者"),
    ],
)
def test_standard_relationships_are_accepted(text, stored):
    assert normalise_relationship(text) == stored


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        ("孫", "relationship_not_standard", "子の子"),
        ("嫁", "relationship_not_standard", "子の妻"),
        ("子の嫁", "relationship_not_standard", "子の妻"),
        ("子の子の子の子の子", "relationship_too_long", None),
        ("世帯主の子", "relationship_standalone_in_chain", None),
        ("子の同居人", "relationship_standalone_in_chain", None),
        ("いとこ", "relationship_unknown", None),
        ("", "required", None),
    ],
)
def test_other_relationships_are_refused_with_the_standard_form(text, code, hint):
    with pytest.raises(Issue) as caught:
        normalise_relationship(text)
    assert caught.value.code == code
    if hint:
        assert caught.value.params["standard"] == hint


def test_every_message_has_both_languages_with_the_same_placeholders():
    def placeholders(text: str) -> set[str]:
        return {re.sub(r"_(ja|en)$", "", name) for name in re.findall(r"{(\w+)}", text)}

    for code, (ja, en) in MESSAGES.items():
        assert ja and en, code
        assert placeholders(ja) == placeholders(en), code


def test_the_registry_package_imports_nothing_from_django():
    for path in (codes.CODES_DIR.parent / "registry").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (django|ninja|celery)", source, re.MULTILINE), path.name

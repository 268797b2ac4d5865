"""The pure rule engine: the shipped rules' examples, validation errors with their lines, planning."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.automation.rules import condition
from madoguchi.automation.rules.spec import (
    RuleFileError,
    load_rule_file,
    parse_rule_text,
    plan_actions,
    rule_paths,
    run_examples,
)
from madoguchi.automation.rules.topics import complete_payload, topics_fed_by

RULES_DIR = Path(__file__).resolve().parents[4] / "rules"
SHIPPED = rule_paths([RULES_DIR])

HEAD = """id: sample
version: 1
title: {ja: 見本, en: Sample}
"""


def problems_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RuleFileError) as caught:
        parse_rule_text(text, path="sample.yaml", expected_id="sample")
    return [(p.line, p.reason) for p in caught.value.problems]


def test_the_demo_town_ships_its_five_rules():
    assert {p.stem for p in SHIPPED} == {
        "kaigo-shikaku-tennyu",
        "shussei-teate-annai",
        "shibou-okuyami",
        "tenshutsu-shinsei-tsuchi",
        "kazei-igou-saisantei",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_example_of_a_shipped_rule_passes(path):
    rule = load_rule_file(path)
    results = run_examples(rule)
    assert results, "a shipped rule carries examples"
    assert [(r.name, r.diff) for r in results if not r.passed] == []


def test_a_failing_example_shows_the_expected_and_the_planned_actions():
    rule = parse_rule_text(
        HEAD
        + """event: resident.moved_in
condition: event.age >= 65
actions:
  - create_task: {department: kaigo, title: {ja: 確認, en: Check}, sla_days: 14}
examples:
  - name: wrong department expected
    event: {person_id: 1, birth_date: "1950-01-01", moved_on: "2026-05-01"}
    expect:
      - create_task: {department: fukushi}
""",
        path="sample.yaml",
        expected_id="sample",
    )
    [result] = run_examples(rule)
    assert not result.passed
    assert result.diff[0].startswith('- expected {"create_task": {"department": "fukushi"}}')
    assert '"department": "kaigo"' in result.diff[1] and result.diff[1].startswith("+ planned")


def test_a_syntax_error_in_the_condition_names_its_line():
    found = problems_of(
        HEAD
        + """event: resident.moved_in
condition: |
  event.age >= 65 &&
  event.age <
actions:
  - create_task: {department: kaigo, title: {ja: a, en: b}, sla_days: 1}
"""
    )
    assert len(found) == 1
    line, reason = found[0]
    assert reason.startswith("condition: CEL syntax error") and line in (6, 7)


def test_an_unknown_field_in_the_condition_is_refused_with_a_hint():
    found = problems_of(
        HEAD
        + """event: resident.moved_in
condition: event.agee >= 65 || event["reasonn"] == "01"
actions:
  - create_task: {department: kaigo, title: {ja: a, en: b}, sla_days: 1}
"""
    )
    reasons = [reason for _, reason in found]
    assert {line for line, _ in found} == {5}
    assert any("no field 'agee' (did you mean 'age'?)" in r for r in reasons)
    assert any("no field 'reasonn' (did you mean 'reason'?)" in r for r in reasons)


def test_macro_variables_are_not_unknown_names_but_other_names_are():
    found = problems_of(
        HEAD
        + """event: tax.record_corrected
condition: event.changed.exists(f, f == "hikazei") && threshold > 1
actions:
  - create_task: {department: fukushi, title: {ja: a, en: b}, sla_days: 1}
"""
    )
    assert found == [(5, "condition: unknown name 'threshold'; the event's fields are event.<field>")]


def test_an_unknown_event_is_refused():
    found = problems_of(
        HEAD
        + """event: resident.moved_inn
actions:
  - create_task: {department: kaigo, title: {ja: a, en: b}, sla_days: 1}
"""
    )
    assert found[0][0] == 4
    assert "unknown event 'resident.moved_inn'; did you mean 'resident.moved_in'?" in found[0][1]


def test_an_unknown_action_is_refused():
    found = problems_of(
        HEAD
        + """event: resident.born
actions:
  - send_notise: {to: household}
"""
    )
    assert found == [
        (
            6,
            "action 1: unknown action 'send_notise'; did you mean 'send_notice'?; known actions: create_task, "
            "create_case, send_notice, send_letter, set_flag, webhook",
        )
    ]


def test_an_action_needing_a_field_the_event_lacks_is_refused():
    found = problems_of(
        HEAD
        + """event: resident.born
actions:
  - set_flag: {subject: case, flag: hold}
"""
    )
    assert found == [
        (6, "action 1 (set_flag) subject: 'case' needs an event with case_id; resident.born has none")
    ]


def test_unknown_placeholders_and_example_fields_are_refused():
    found = problems_of(
        HEAD
        + """event: resident.born
actions:
  - send_notice: {to: household, title: {ja: "{name}", en: b}, body: {ja: a, en: b}}
examples:
  - name: x
    event: {person: 1}
    expect: []
"""
    )
    assert [line for line, _ in found] == [6, 9]
    assert "unknown placeholder '{name}'" in found[0][1]
    assert "resident.born has no field 'person'; did you mean 'person_id'?" in found[1][1]


def test_conditions_are_compiled_once_per_text():
    text = "event.age >= 65"
    assert condition.compiled(text) is condition.compiled(text)


def test_for_each_plans_one_action_per_item_with_the_item_in_the_title():
    rule = load_rule_file(RULES_DIR / "kazei-igou-saisantei.yaml")
    payload = complete_payload(
        "tax.record_corrected",
        {
            "person_id": 5,
            "household_number": "1",
            "fiscal_year": 2026,
            "changed": ["x"],
            "programs": ["a", "b"],
        },
    )
    planned = plan_actions(rule, payload)
    assert [p.params["item"] for p in planned] == ["a", "b"]
    assert planned[0].params["title"]["ja"].startswith("課税異動による再計算：a（2026年度")


def test_age_is_derived_and_case_approved_is_fed_by_a_status_change():
    payload = complete_payload("resident.moved_in", {"birth_date": "1961-05-02", "moved_on": "2026-05-01"})
    assert payload["age"] == 64 and payload["changed"] == [] and payload["notified_on"] == ""
    assert topics_fed_by("case.status_changed", {"to": "approved"}) == [
        "case.status_changed",
        "case.approved",
    ]
    assert topics_fed_by("case.status_changed", {"to": "rejected"}) == ["case.status_changed"]
    assert topics_fed_by("resident.moved_within", {}) == []

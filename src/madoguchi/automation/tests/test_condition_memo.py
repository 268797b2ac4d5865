"""Conditions remembered per input: the same answers as cel-python on every evaluation, errors never kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.automation.rules import condition


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("event.age >= 65 && event.is_active", ("age", "is_active")),
        ('event.reason in ["31", "32"]', ("reason",)),
        ('event["reason"] == "31" || has(event.changed)', ("changed", "reason")),
        ('event.changed.exists(f, f == "address")', ("changed",)),
        ("event.a.b == 1", ("a",)),
        ("true", ()),
        # `event` itself, not one of its fields: its answer may depend on any field, so nothing is remembered
        ("size(event) > 3", None),
        ("event[event.reason] == 1", None),
        ('event.exists(k, k == "age")', None),
        ("[1].exists(event, event == 1)", None),
    ],
)
def test_the_fields_a_condition_reads(text, fields):
    assert condition.fields_read(text) == fields


CONDITIONS = [
    "event.age >= 65 && event.is_active",
    'event.reason in ["31", "32"]',
    'event.changed.exists(f, f == "address") || event.age < 3',
    "has(event.age) && 100 / event.age > 2",  # an error (division by zero) for age 0
    'event.reason + "x" == event.reason_name',
    "size(event) == 4",  # not remembered: `event` as a whole
    "event.age",  # not a bool: an error every time
]

payloads = st.fixed_dictionaries(
    {"age": st.integers(0, 110), "is_active": st.booleans()},
    optional={
        "reason": st.sampled_from(["01", "31", "32", "33", ""]),
        "reason_name": st.sampled_from(["31x", "国内転入", ""]),
        "changed": st.lists(st.sampled_from(["address", "name", "household_number"]), max_size=3),
    },
)


def _answer(evaluate, text, payload):
    try:
        return evaluate(text, payload)
    except condition.ConditionError as exc:
        return ("error", str(exc))


@settings(max_examples=150, deadline=None)
@given(st.lists(payloads, min_size=1, max_size=8), st.sampled_from(CONDITIONS))
def test_remembered_answers_are_cel_pythons_answers(events, text):
    for payload in events * 2:  # the second time round, answers come from memory
        assert _answer(condition.evaluate, text, payload) == _answer(
            condition.evaluate_uncached, text, payload
        )


def test_one_evaluation_per_distinct_input_and_errors_are_evaluated_again_each_time():
    condition.cache_clear()
    text = "has(event.age) && 100 / event.age >= 1 && event.is_active"
    for age in [70, 70, 70, 30, 70, 30]:
        assert condition.evaluate(text, {"age": age, "is_active": True, "person_id": age * 1000}) is True
    assert condition.evaluations() == 2  # (70, true) and (30, true); person_id is not read
    for _ in range(3):
        with pytest.raises(condition.ConditionError, match="could not be evaluated"):
            condition.evaluate(text, {"age": 0, "is_active": True})
    assert condition.evaluations() == 2 + 3  # an error is never remembered: cel-python each time


def test_a_missing_field_and_an_empty_one_are_different_inputs():
    assert condition.evaluate("has(event.reason)", {}) is False
    assert condition.evaluate("has(event.reason)", {"reason": ""}) is True
    assert condition.evaluate("has(event.reason)", {}) is False


def test_values_json_cannot_hold_exactly_are_evaluated_without_memory():
    import datetime as dt

    condition.cache_clear()
    with pytest.raises(ValueError, match="unexpected type"):  # no CEL value: cel-python refuses it, as before
        condition.evaluate("event.day == 1", {"day": dt.date(2026, 5, 1)})
    assert condition.evaluate("event.x != 1.5", {"x": float("nan")}) is True
    assert condition.evaluations() == 0

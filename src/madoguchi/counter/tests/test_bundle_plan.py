"""The combined form (counter.bundle): shared questions asked once, each form's own pages, validation with
each procedure's own rules, retired versions and follow-on pre-fill. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from madoguchi.counter import bundle
from madoguchi.counter.tests.conftest import PROCEDURES_DIR
from madoguchi.counter.tests.support import BIRTH_FORMS, birth_values
from madoguchi.procedures.spec import load_procedure_file

TODAY = dt.date(2026, 4, 20)


@pytest.fixture(scope="module")
def plan() -> bundle.Plan:
    return bundle.build_plan([(s, load_procedure_file(PROCEDURES_DIR / f"{s}.yaml")) for s in BIRTH_FORMS])


def test_a_field_shared_by_several_forms_is_asked_once(plan):
    keys = {s.key: {t.slug for t in s.targets} for s in plan.shared}
    assert keys["prefill:person.name"] == set(BIRTH_FORMS)
    assert keys["prefill:person.phone"] == set(BIRTH_FORMS)
    assert keys["prefill:person.address"] == {"jido-teate", "kodomo-iryohi"}
    # The two consent boxes are both called `agree` but say different things: never merged.
    assert not any(s.key.startswith("field:agree") for s in plan.shared)
    assert plan.pages[0].kind == bundle.SHARED_PAGE
    asked = [f.id for p in plan.pages[1:] for f in p.fields]
    assert "claimant_name" not in asked and "guardian_phone" not in asked
    # The shared address still fills itself from the shared postal code.
    address = next(s for s in plan.shared if s.key == "prefill:person.address")
    postal = next(s for s in plan.shared if s.key == "prefill:person.postal_code")
    assert address.field.autofill_from == postal.name


def test_files_and_my_number_are_never_asked(plan):
    asked = {f.type for p in plan.pages for f in p.fields} | {s.field.type for s in plan.shared}
    assert "file" not in asked and "my_number" not in asked
    assert [f.id for f in plan.not_asked["kodomo-iryohi"]] == ["insurance_document"]


def test_same_id_type_and_label_is_shared_between_forms():
    forms = [
        (s, load_procedure_file(PROCEDURES_DIR / f"{s}.yaml")) for s in ("kodomo-iryohi", "hoiku-moushikomi")
    ]
    keys = {s.key for s in bundle.build_plan(forms).shared}
    assert "field:child_name:text:お子さんの氏名" in keys
    # Same id and type, another label (出産予定日 too): two questions.
    assert not any(k.startswith("field:child_birth_date") for k in keys)


def test_a_shared_answer_is_validated_by_every_form_that_asks_it(plan):
    values = birth_values()
    shared_page = plan.pages[0]
    raw = {s.name: "" for s in plan.shared}
    result = bundle.apply_page(plan, values, shared_page, raw, today=TODAY)
    name = next(s.name for s in plan.shared if s.key == "prefill:person.name")
    assert [m.code for m in result.errors[name]] == ["required"]  # one message, not one per form
    assert result.values["shared"]["prefill:person.name"] == ""  # kept as typed


def test_a_form_page_uses_its_procedures_rules(plan):
    page = next(p for p in plan.pages if p.slug == "kodomo-iryohi" and p.step_id == "child")
    raw = {**birth_values()["forms"]["kodomo-iryohi"], "insurer_number": "12"}
    result = bundle.apply_page(plan, birth_values(), page, raw, today=TODAY)
    assert list(result.errors) == ["insurer_number"]
    assert "6桁または8桁" in result.errors["insurer_number"][0].ja


def test_valid_answers_make_every_form_valid(plan):
    results = bundle.validate_all(plan, birth_values(), today=TODAY)
    assert all(r.ok for r in results.values())
    assert results["kokuho-kanyu"].cleaned["applicant_name"] == "緑川 花子"  # the shared name, under its id
    assert bundle.first_page_with_errors(plan, results) is None
    broken = birth_values()
    del broken["forms"]["kokuho-kanyu"]["payment_method"]
    index = bundle.first_page_with_errors(plan, bundle.validate_all(plan, broken, today=TODAY))
    assert plan.pages[index].slug == "kokuho-kanyu" and plan.pages[index].step_id == "payment"


def test_version_changes_and_carry_over():
    old = load_procedure_file(PROCEDURES_DIR / "kodomo-iryohi.yaml")
    step = old.steps[1]
    new = replace(
        old,
        steps=(
            old.steps[0],
            replace(step, fields=(*step.fields[1:], replace(step.fields[0], id="child_full_name"))),
        ),
    )
    added, removed = bundle.version_changes(old, new)
    assert [f.id for f in added] == ["child_full_name"] and [f.id for f in removed] == ["child_name"]

    jido = load_procedure_file(PROCEDURES_DIR / "jido-teate.yaml")
    sources = bundle.share_sources(
        {"jido-teate": (jido, {"claimant_name": "緑川 花子", "claimant_phone": ""})}
    )
    filled = bundle.carry_over({}, old, sources)
    assert filled["guardian_name"] == "緑川 花子" and "guardian_phone" not in filled

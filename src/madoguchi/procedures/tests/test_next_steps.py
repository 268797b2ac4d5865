"""What happens next (`next_steps` in a procedure file): every shipped procedure says it, the keys are checked with
line-numbered errors, and files without it keep their canonical JSON (published versions stay the same)."""

from __future__ import annotations

import pytest

from madoguchi.cases.models import Status
from madoguchi.procedures.spec import (
    NEXT_STEP_STATUSES,
    ProcedureSpec,
    canonical_sha256,
    load_procedure_file,
)

from .conftest import procedure_yaml
from .test_spec import SHIPPED, line_of, problems_of

DEPARTMENT_WORDS = ("市民課", "子育て支援課", "保険年金課", "介護保険課", "福祉課", "税務課", "環境課")

NEXT_STEPS = """\
next_steps:
  submitted:
    what: {ja: 内容を確認します。, en: We check it.}
    takes: {ja: 3開庁日以内, en: Within 3 business days}
  approved:
    what: {ja: 受け取れます。, en: It is ready.}
    bring: {ja: [本人確認書類, 受付番号], en: [Photo ID, Your reference]}
    fee: {ja: 1通300円, en: 300 yen}
    collect: {ja: 市民課、平日8時30分〜17時15分, en: "Residents Division, weekdays 8:30-17:15"}
"""


def _with(block: str) -> str:
    return procedure_yaml().replace("form:\n", block + "form:\n", 1)


def test_the_statuses_are_the_case_statuses():
    assert set(NEXT_STEP_STATUSES) <= set(Status.values) - {Status.DRAFT}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_procedure_says_what_happens_after_approval(path):
    spec = load_procedure_file(path)
    approved = spec.next_step("approved")
    assert approved is not None and approved.what.ja and approved.what.en
    assert spec.next_step("submitted") is not None and spec.next_step("rejected") is not None
    assert approved.fee is not None or approved.collect is not None
    text = " ".join(t for _, t in approved.lines("ja")) + " ".join(
        t for status in ("submitted", "rejected") for _, t in spec.next_step(status).lines("ja")
    )
    assert any(word in text for word in DEPARTMENT_WORDS), "names a department of the demo town"
    assert ProcedureSpec.from_json(spec.to_json()) == spec


def test_next_steps_are_read_in_both_languages(write_procedure):
    spec = load_procedure_file(write_procedure(_with(NEXT_STEPS)))

    approved = spec.next_step("approved")
    assert approved.lines("en") == [
        ("what", "It is ready."),
        ("bring", "Photo ID"),
        ("bring", "Your reference"),
        ("fee", "300 yen"),
        ("collect", "Residents Division, weekdays 8:30-17:15"),
    ]
    assert spec.next_step("submitted").takes.ja == "3開庁日以内"
    assert spec.next_step("completed") is None


def test_a_file_without_next_steps_keeps_its_canonical_json(write_procedure):
    spec = load_procedure_file(write_procedure())

    assert "next_steps" not in spec.to_json()
    with_steps = load_procedure_file(write_procedure(_with(NEXT_STEPS)))
    assert canonical_sha256(with_steps) != canonical_sha256(spec)


def test_an_unknown_status_is_named_with_its_line(write_procedure):
    path = write_procedure(_with(NEXT_STEPS.replace("  approved:", "  aproved:")))

    assert (line_of(path, "aproved:"), "next_steps: unknown key 'aproved'; did you mean 'approved'?") in (
        problems_of(path)
    )


def test_an_unknown_key_and_a_missing_what_are_named_with_their_lines(write_procedure):
    text = NEXT_STEPS.replace("    what: {ja: 受け取れます。, en: It is ready.}\n", "").replace(
        "    fee: {", "    fees: {"
    )
    path = write_procedure(_with(text))

    found = problems_of(path)
    assert (line_of(path, "fees:"), "next_steps.approved: unknown key 'fees'; did you mean 'fee'?") in found
    assert (line_of(path, "  approved:") + 1, "next_steps.approved: missing required key 'what'") in found


def test_bring_lists_must_match_and_texts_be_bilingual(write_procedure):
    text = NEXT_STEPS.replace("en: [Photo ID, Your reference]", "en: [Photo ID]").replace(
        "takes: {ja: 3開庁日以内, en: Within 3 business days}", "takes: {ja: 3開庁日以内}"
    )
    path = write_procedure(_with(text))

    found = problems_of(path)
    assert any(
        line == line_of(path, "    bring:") and "bring.ja has 2 items but bring.en has 1" in reason
        for line, reason in found
    ), found
    assert any(
        line == line_of(path, "takes:") and "next_steps.submitted.takes: missing required key 'en'" in reason
        for line, reason in found
    ), found

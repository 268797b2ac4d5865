"""Procedure files: the shipped ones load, malformed ones are refused with file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.procedures.spec import (
    DEPARTMENTS,
    FIELD_TYPES,
    ProcedureFileError,
    ProcedureSpec,
    canonical_sha256,
    load_procedure_file,
)

from .conftest import DEFAULT_FIELDS, REPO_PROCEDURES, procedure_yaml

SHIPPED = sorted(REPO_PROCEDURES.glob("*.yaml"))


def problems_of(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(ProcedureFileError) as info:
        load_procedure_file(path)
    assert all(p.path == str(path) for p in info.value.problems)
    return [(p.line, p.reason) for p in info.value.problems]


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of `path` containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# --- the shipped procedures ---------------------------------------------------------------------------------


def test_at_least_twelve_procedures_ship_and_every_department_has_one():
    specs = [load_procedure_file(path) for path in SHIPPED]
    assert len(specs) >= 12
    assert {s.department for s in specs} == set(DEPARTMENTS)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_procedure_loads_and_round_trips_through_json(path):
    spec = load_procedure_file(path)
    assert spec.id == path.stem
    assert ProcedureSpec.from_json(spec.to_json()) == spec
    assert canonical_sha256(ProcedureSpec.from_json(spec.to_json())) == canonical_sha256(spec)


def test_shipped_procedures_use_every_field_type():
    used = {f.type for path in SHIPPED for f in load_procedure_file(path).fields}
    assert used == set(FIELD_TYPES)


def test_juminhyo_has_the_fields_the_issue_asks_for():
    spec = load_procedure_file(REPO_PROCEDURES / "juminhyo-copy.yaml")
    types = {f.id: f.type for f in spec.fields}
    for field_id, field_type in {
        "applicant_name": "text",
        "applicant_kana": "kana",
        "applicant_birth_date": "date",
        "applicant_postal_code": "postal_code",
        "applicant_address": "address",
        "applicant_phone": "phone",
        "scope": "radio",
        "members": "household_member",
        "purpose": "select",
        "purpose_other": "text",
        "copies": "number",
        "include_items": "checkbox",
        "delivery_method": "radio",
    }.items():
        assert types[field_id] == field_type
    assert {o.value for o in spec.field("scope").options} == {"self", "household", "some_members"}
    assert spec.field("members").required_if.value == "some_members"
    assert spec.field("purpose").option("other") is not None
    assert spec.field("purpose_other").required_if.field == "purpose"
    copies = spec.field("copies")
    assert (copies.min, copies.max) == (1, 10)
    assert spec.field("include_items").multiple
    assert {o.value for o in spec.field("delivery_method").options} == {"counter", "mail"}
    assert spec.field("applicant_birth_date").max_date == "today"
    assert spec.field("applicant_address").autofill_from == "applicant_postal_code"


def test_named_procedures_have_their_special_fields():
    def types(slug):
        return {f.type for f in load_procedure_file(REPO_PROCEDURES / f"{slug}.yaml").fields}

    assert "bank_account" in types("jido-teate")
    jido = load_procedure_file(REPO_PROCEDURES / "jido-teate.yaml")
    assert jido.identity_level == "verified"
    assert [f.id for f in jido.submit_only_fields] == ["claimant_my_number"]
    assert jido.field("claimant_my_number").required
    risai = load_procedure_file(REPO_PROCEDURES / "risai-shomei.yaml")
    photos = risai.field("photos")
    assert photos.type == "file" and photos.multiple and photos.required
    assert set(photos.accept) == {"image/jpeg", "image/png"}
    sodai = load_procedure_file(REPO_PROCEDURES / "sodai-gomi.yaml")
    assert sodai.field("collection_date").type == "date"
    assert sodai.field("collection_date").min_date == "today"
    assert sodai.field("items").type == "checkbox" and sodai.field("items").multiple


# --- canonical content ----------------------------------------------------------------------------------------


def test_comments_and_layout_do_not_change_the_hash(write_procedure):
    plain = load_procedure_file(write_procedure())
    commented = load_procedure_file(
        write_procedure("# a comment\n\n" + procedure_yaml().replace(": ", ":  "))
    )
    assert canonical_sha256(plain) == canonical_sha256(commented)


def test_a_changed_label_changes_the_hash(write_procedure):
    before = load_procedure_file(write_procedure())
    after = load_procedure_file(write_procedure(procedure_yaml().replace("ja: 氏名", "ja: お名前")))
    assert canonical_sha256(before) != canonical_sha256(after)


def test_from_json_accepts_vocabulary_that_later_left_the_format():
    spec = load_procedure_file(REPO_PROCEDURES / "juminhyo-copy.yaml")
    stored = spec.to_json()
    stored["department"] = "shimin-old"
    stored["life_events"] = ["retired-tag"]
    stored["future_key"] = "ignored"
    assert ProcedureSpec.from_json(stored).department == "shimin-old"


# --- malformed files ------------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(write_procedure):
    text = procedure_yaml().replace("online: true", "online: [true")
    path = write_procedure(text)
    [(line, reason)] = problems_of(path)
    assert "YAML syntax error" in reason
    assert line >= line_of(path, "online:")


def test_unknown_top_level_key_with_suggestion(write_procedure):
    path = write_procedure(procedure_yaml().replace("fee: {", "fees: {"))
    found = problems_of(path)
    assert (line_of(path, "fees:"), "procedure: unknown key 'fees'; did you mean 'fee'?") in found
    assert any("missing required key 'fee'" in reason for _, reason in found)


def test_unknown_field_type(write_procedure):
    path = write_procedure(fields="- id: x\n  type: txt\n  label: {ja: X, en: X}\n")
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "type: txt")
    assert "unknown value 'txt'; did you mean 'text'?" in reason


def test_duplicate_field_ids_across_steps(write_procedure):
    text = procedure_yaml() + (
        "    - id: second\n"
        "      title: {ja: 二, en: Two}\n"
        "      fields:\n"
        "        - id: applicant_name\n"
        "          type: text\n"
        "          label: {ja: 氏名, en: Name}\n"
    )
    path = write_procedure(text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "- id: applicant_name" in line]
    [(line, reason)] = problems_of(path)
    assert line == lines[1]
    assert f"duplicate field id (first on line {lines[0]})" in reason


def test_required_if_naming_an_unknown_field(write_procedure):
    fields = """\
    - id: purpose
      type: select
      label: {ja: 目的, en: Purpose}
      options:
        - {value: other, label: {ja: その他, en: Other}}
    - id: purpose_other
      type: text
      label: {ja: 内容, en: Details}
      required_if: {field: purpse, equals: other}
    """
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "required_if:")
    assert (
        reason == "field 'purpose_other': required_if names unknown field 'purpse'; did you mean 'purpose'?"
    )


def test_required_if_value_must_be_an_option(write_procedure):
    fields = """\
    - id: purpose
      type: radio
      label: {ja: 目的, en: Purpose}
      options:
        - {value: other, label: {ja: その他, en: Other}}
    - id: details
      type: text
      label: {ja: 内容, en: Details}
      required_if: {field: purpose, in: [other, unknown]}
    """
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "required_if:")
    assert "'unknown' is not an option of 'purpose'" in reason


def test_select_without_options(write_procedure):
    path = write_procedure(fields="- id: purpose\n  type: select\n  label: {ja: 目的, en: Purpose}\n")
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "- id: purpose")
    assert "type select needs options" in reason


def test_id_must_equal_the_file_name(write_procedure):
    path = write_procedure(procedure_yaml(slug="other-name"), slug="test-procedure")
    [(line, reason)] = problems_of(path)
    assert line == 1
    assert "must equal the file name without .yaml ('test-procedure')" in reason


def test_unknown_department_life_event_and_identity_level_are_all_reported(write_procedure):
    text = (
        procedure_yaml()
        .replace("department: shimin", "department: shimn")
        .replace("life_events: [certificates]", "life_events: [certificates, party]")
        .replace("identity_level: email", "identity_level: strong")
    )
    path = write_procedure(text)
    found = problems_of(path)
    assert [line for line, _ in found] == [
        line_of(path, "department:"),
        line_of(path, "life_events:"),
        line_of(path, "identity_level:"),
    ]
    assert "did you mean 'shimin'?" in found[0][1]
    assert "unknown value 'party'" in found[1][1]
    assert "use one of none, email, verified" in found[2][1]


def test_bad_regex_and_missing_pattern_message(write_procedure):
    fields = """\
    - id: code
      type: text
      label: {ja: 番号, en: Number}
      pattern: "[0-9"
    """
    path = write_procedure(fields=fields)
    found = problems_of(path)
    line = line_of(path, "pattern:")
    assert [n for n, _ in found] == [line, line]
    reasons = " ".join(reason for _, reason in found)
    assert "not a valid regular expression" in reasons
    assert "needs pattern_message" in reasons


def test_key_not_used_by_the_field_type(write_procedure):
    fields = "- id: copies\n  type: number\n  label: {ja: 通数, en: Copies}\n  max_length: 3\n"
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "max_length")
    assert reason == (
        "field 'copies': 'max_length' is not used by type number (only by text, textarea, kana, address); remove it"
    )


def test_unquoted_comma_in_a_flow_mapping_is_caught(write_procedure):
    fields = "- id: x\n  type: text\n  label: {ja: X, en: Name, as written}\n"
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "label:")
    assert "unknown key 'as written'" in reason


def test_unquoted_yes_as_option_value_is_refused(write_procedure):
    fields = """\
    - id: agree
      type: radio
      label: {ja: 同意, en: Agree}
      options:
        - {value: yes, label: {ja: はい, en: "Yes"}}
        - {value: "no", label: {ja: いいえ, en: "No"}}
    """
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "value: yes")
    assert "quote words such as 'yes' and 'no'" in reason


def test_duplicate_key_in_a_mapping(write_procedure):
    fields = "- id: x\n  type: text\n  label: {ja: X, en: X}\n  type: textarea\n"
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "type: textarea")
    assert reason.startswith("duplicate key 'type'")


def test_autofill_from_must_name_a_postal_code_field(write_procedure):
    fields = """\
    - id: phone
      type: phone
      label: {ja: 電話, en: Phone}
    - id: address
      type: address
      label: {ja: 住所, en: Address}
      autofill_from: phone
    """
    path = write_procedure(fields=fields)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "autofill_from")
    assert "must name a postal_code field, not a phone" in reason


def test_bad_date_bounds_and_bring_lists(write_procedure):
    fields = "- id: when\n  type: date\n  label: {ja: 日付, en: Date}\n  max_date: tomorrow\n"
    text = procedure_yaml(fields).replace("en: [Identification]", "en: [Identification, Seal]")
    path = write_procedure(text)
    found = problems_of(path)
    assert (
        line_of(path, "bring:"),
        ("bring.ja has 1 items but bring.en has 2; give every item in both languages, in the same order"),
    ) in found
    assert any(line == line_of(path, "max_date") and "'today' or a date" in reason for line, reason in found)


def test_every_problem_of_a_file_is_reported_at_once(write_procedure):
    fields = """\
    - id: a
      type: select
      label: {ja: A, en: A}
    - id: b
      type: txt
      label: {ja: B}
    - id: c
      type: number
      label: {ja: C, en: C}
      min: 5
      max: 2
    """
    text = procedure_yaml(fields).replace("sla_business_days: 3", "sla_business_days: 0")
    path = write_procedure(text)
    found = problems_of(path)
    assert len(found) == 5
    assert [line for line, _ in found] == sorted(line for line, _ in found)
    with pytest.raises(ProcedureFileError) as info:
        load_procedure_file(path)
    assert len(str(info.value).splitlines()) == 5


def test_a_file_that_is_not_a_mapping(write_procedure):
    path = write_procedure("- just\n- a list\n")
    [(line, reason)] = problems_of(path)
    assert line == 1
    assert "must be a YAML mapping" in reason


def test_error_text_is_file_colon_line_colon_reason(write_procedure):
    path = write_procedure(procedure_yaml().replace("online: true", "online: maybe"))
    with pytest.raises(ProcedureFileError) as info:
        load_procedure_file(path)
    assert str(info.value) == f"{path}:{line_of(path, 'online:')}: online must be true or false, not text"


# --- 個人番号 (my_number) -------------------------------------------------------------------------------------------

MY_NUMBER_FIELD = "- id: my_number\n  type: my_number\n  label: {ja: 個人番号, en: My Number}\n"
DEFAULT_FIELDS_WITH_MY_NUMBER = DEFAULT_FIELDS + MY_NUMBER_FIELD


def test_my_number_needs_identity_level_verified(write_procedure):
    path = write_procedure(fields=DEFAULT_FIELDS_WITH_MY_NUMBER)
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "type: my_number")
    assert reason == (
        "field 'my_number': a my_number field (個人番号) needs identity_level: verified, so that the number is "
        f"stored for a resident whose identity was checked; line {line_of(path, 'identity_level:')} says 'email'"
    )
    with pytest.raises(ProcedureFileError) as info:
        load_procedure_file(path)
    assert str(info.value).startswith(f"{path}:{line}: field 'my_number': a my_number field")

    verified = write_procedure(
        procedure_yaml(DEFAULT_FIELDS_WITH_MY_NUMBER).replace(
            "identity_level: email", "identity_level: verified"
        )
    )
    assert load_procedure_file(verified).field("my_number").type == "my_number"


def test_my_number_is_never_prefilled_nor_given_a_default_or_browser_autocomplete(write_procedure):
    fields = MY_NUMBER_FIELD + "  prefill: person.name\n  default: '123456789018'\n  autocomplete: name\n"
    path = write_procedure(
        procedure_yaml(fields).replace("identity_level: email", "identity_level: verified")
    )
    found = problems_of(path)
    assert [line for line, _ in found] == [
        line_of(path, "prefill:"),
        line_of(path, "default:"),
        line_of(path, "autocomplete:"),
    ]
    assert "'prefill' is not used by type my_number" in found[0][1]
    assert "'default' is not used by type my_number" in found[1][1]
    assert "use autocomplete: off" in found[2][1]


def test_a_form_asks_for_one_my_number_at_most(write_procedure):
    fields = MY_NUMBER_FIELD + MY_NUMBER_FIELD.replace("id: my_number", "id: spouse_my_number")
    path = write_procedure(
        procedure_yaml(fields).replace("identity_level: email", "identity_level: verified")
    )
    [(line, reason)] = problems_of(path)
    assert line == line_of(path, "id: spouse_my_number") + 1
    assert reason.startswith("field 'spouse_my_number': a form asks for at most one my_number field")

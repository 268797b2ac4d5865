"""The field-type registry: every type is registered, unknown names fail clearly, and a new type plugs in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from madoguchi.procedures import schema
from madoguchi.procedures.fields import FieldType, Registry, UnknownFieldTypeError, registry
from madoguchi.procedures.fields.base import CleanContext, YamlField
from madoguchi.procedures.fields.messages import invalid
from madoguchi.procedures.spec import (
    FIELD_TYPES,
    PREFILL_KEYS,
    SUBMIT_ONLY_TYPES,
    Field,
    Localized,
    ProcedureFileError,
    parse_procedure_text,
)

from .conftest import procedure_yaml

# The types and the keys each allows, as the docs list them (docs/procedures.md); their order is the order of
# messages that list types.
TYPE_KEYS = {
    "text": ("max_length", "pattern", "pattern_message", "prefill", "default"),
    "textarea": ("max_length", "prefill", "default"),
    "kana": ("max_length", "prefill"),
    "date": ("min_date", "max_date", "prefill"),
    "postal_code": ("prefill",),
    "address": ("max_length", "autofill_from", "prefill"),
    "phone": ("prefill",),
    "email": ("prefill",),
    "number": ("min", "max", "unit", "default"),
    "money": ("min", "max", "default"),
    "select": ("options", "default"),
    "radio": ("options", "default"),
    "checkbox": ("options", "multiple", "default"),
    "household_member": ("multiple", "prefill"),
    "bank_account": (),
    "file": ("accept", "max_bytes", "multiple", "max_files"),
    "my_number": (),
}


def test_every_field_type_is_registered_in_order():
    assert registry.names() == FIELD_TYPES == tuple(TYPE_KEYS)
    assert len(registry) == len(TYPE_KEYS)
    assert [kind.name for kind in registry] == list(TYPE_KEYS)
    for name, keys in TYPE_KEYS.items():
        assert name in registry
        kind = registry.get(name)
        assert isinstance(kind, FieldType) and kind.name == name
        assert kind.keys == keys


def test_an_unknown_type_is_a_clear_error():
    with pytest.raises(UnknownFieldTypeError) as info:
        registry.get("txet")
    message = str(info.value)
    assert "unknown field type 'txet'" in message
    assert "did you mean 'text'?" in message
    assert "known types: text, textarea, kana" in message
    assert isinstance(info.value, LookupError)
    assert "txet" not in registry
    with pytest.raises(UnknownFieldTypeError):
        registry.get(None)  # type: ignore[arg-type]


def test_vocabularies_are_derived_from_the_types():
    assert SUBMIT_ONLY_TYPES == ("my_number",)
    assert registry.names_where("holds_my_number") == ("my_number",)
    assert registry.names_where("is_upload") == ("file",)
    assert registry.names_where("is_text") == ("text", "textarea", "kana", "address")
    assert registry.names_where("has_options") == ("select", "radio", "checkbox")
    assert registry.names_with_key("max_length") == ("text", "textarea", "kana", "address")
    assert dict(PREFILL_KEYS) == {
        "person.name": ("text",),
        "person.name_kana": ("kana",),
        "person.birth_date": ("date",),
        "person.postal_code": ("postal_code",),
        "person.address": ("address", "text", "textarea"),
        "person.phone": ("phone",),
        "household.members": ("household_member",),
    }
    assert list(PREFILL_KEYS) == list(dict(PREFILL_KEYS))  # the documented order of the keys


def test_a_field_finds_its_type():
    box = Field(id="agree", type="checkbox", label=Localized("同意", "Agree"))
    boxes = Field(id="items", type="checkbox", label=Localized("項目", "Items"), multiple=True)
    assert box.kind is registry.get("checkbox")
    assert (box.is_group, box.is_list, box.kind.is_yes_no(box)) == (False, False, True)
    assert (boxes.is_group, boxes.is_list, boxes.kind.is_yes_no(boxes)) == (True, True, False)
    with pytest.raises(UnknownFieldTypeError):
        _ = Field(id="x", type="colour", label=Localized("色", "Colour")).kind


# --- adding a type -------------------------------------------------------------------------------------------


class ColourType(FieldType):
    """What docs/procedures.md shows: a new type is a class with a name, its keys and `clean`."""

    name = "colour"
    keys = ("default",)
    example = ("例：#00a040", "e.g. #00a040")

    def clean(self, f: Field, raw: Any, context: CleanContext) -> str:
        value = str(raw).strip().lower()
        if len(value) != 7 or not value.startswith("#"):
            raise invalid("not_a_colour", "#rrggbb の形で入力してください。", "Enter a colour as #rrggbb.")
        return value


def test_a_registry_takes_new_types_and_refuses_mistakes():
    fresh = Registry()
    assert fresh.register(ColourType) is ColourType
    assert fresh.names() == ("colour",) and isinstance(fresh.get("colour"), ColourType)
    with pytest.raises(ValueError, match="registered twice"):
        fresh.register(ColourType)
    with pytest.raises(TypeError):
        fresh.register(dict)  # type: ignore[arg-type]

    class Nameless(ColourType):
        name = ""

    with pytest.raises(ValueError, match="no name"):
        fresh.register(Nameless)

    class Prefilled(ColourType):
        name = "prefilled"
        keys = ("prefill",)
        prefill_keys = ("person.favourite_colour",)

    with pytest.raises(ValueError, match="unknown prefill keys"):
        fresh.register(Prefilled)


def test_a_type_must_clean():
    class Incomplete(FieldType):
        name = "incomplete"

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_a_registered_type_is_read_validated_and_shown(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_types", dict(registry._types))
    registry.register(ColourType)
    fields = """\
- {id: colour, type: colour, label: {ja: 色, en: Colour}, required: true, default: "#00a040"}
"""
    spec = parse_procedure_text(procedure_yaml(fields), path=tmp_path / "test-procedure.yaml")
    f = spec.field("colour")
    assert f.kind.name == "colour" and f.default == "#00a040"
    result = schema.validate(spec, {"colour": " #FFAA00 "}, today=dt.date(2026, 11, 22))
    assert result.cleaned == {"colour": "#ffaa00"} and result.ok
    assert schema.validate(spec, {"colour": "red"}).errors["colour"][0].code == "not_a_colour"
    assert schema.format_value(f, "#ffaa00", "en") == "#ffaa00"
    context = schema.field_context(f, None, None, "en")
    assert context["template"] == "procedures/fields/input.html" and context["value"] == "#00a040"
    assert context["example"] == "e.g. #00a040"

    # its keys are its own: others are refused with the types that use them
    bad = procedure_yaml("- {id: colour, type: colour, label: {ja: 色, en: Colour}, max_length: 7}\n")
    with pytest.raises(ProcedureFileError) as info:
        parse_procedure_text(bad, path=tmp_path / "test-procedure.yaml")
    assert "'max_length' is not used by type colour (only by text, textarea, kana, address)" in str(
        info.value
    )


def test_an_unknown_type_in_a_file_is_reported_once_with_a_suggestion(tmp_path):
    text = procedure_yaml("- {id: x, type: txet, label: {ja: あ, en: A}, max_length: 3}\n")
    with pytest.raises(ProcedureFileError) as info:
        parse_procedure_text(text, path=tmp_path / "test-procedure.yaml")
    assert [p.reason for p in info.value.problems] == [
        "field 'x' type: unknown value 'txet'; did you mean 'text'? use one of " + ", ".join(FIELD_TYPES)
    ]


def test_a_type_reads_its_keys_through_the_builder_it_is_given():
    problems: list[tuple[int, str]] = []

    class Builder:
        strict = True
        autofills: list = []

        def problem(self, line, reason):
            problems.append((line, reason))

        def integer(self, value, line, where, *, minimum=None):
            return value

        def choice(self, value, line, where, choices):
            return value if value in choices else None

    data = {"min": 5, "max": 3, "default": 9}
    y = YamlField(
        data=data, where="field 'n'", line=4, key_line=lambda key: {"min": 5, "max": 6, "default": 7}[key]
    )
    kwargs = registry.get("number").parse(Builder(), y)
    assert kwargs == {"min": 5, "max": 3, "default": 9}
    assert problems == [
        (6, "field 'n': max (3) is smaller than min (5)"),
        (7, "field 'n': default 9 is outside min/max"),
    ]
    problems.clear()
    assert registry.get("email").parse_prefill(Builder(), "person.phone", 3, "field 'e'") == "person.phone"
    assert problems == [(3, "field 'e': prefill person.phone cannot fill a email field (only phone)")]

"""Each field type's JSON for the API (the types `cases.api` accepts, a JSON Schema piece) and its demo answer."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from madoguchi.procedures.fields import registry
from madoguchi.procedures.schema import form_json_schema, validate
from madoguchi.procedures.spec import Field, Localized, parse_procedure_text

from .test_schema import ALL_TYPES, TODAY

# The JSON types cases.api accepted per field type before the registry (the portal posts strings).
API_TYPES = {
    "number": (str, int),
    "money": (str, int),
    "checkbox": (bool, str),
    "bank_account": (dict,),
    "household_member": (list, str),
}
JSON_NAMES = {
    str: "string",
    int: "integer",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


@pytest.fixture(scope="module")
def spec():
    return parse_procedure_text(ALL_TYPES, path="all-types.yaml")


def schema_types(piece: dict[str, Any]) -> list[str]:
    kind = piece["type"]
    return [kind] if isinstance(kind, str) else list(kind)


# --- the API --------------------------------------------------------------------------------------------------


def test_the_json_types_the_api_accepts_are_unchanged(spec):
    for f in spec.fields:
        if f.kind.is_upload:
            continue  # refused before the type check (file_not_supported)
        expected = API_TYPES.get(f.type, (str,))
        if f.type == "checkbox" and f.multiple:
            expected = (list, str)
        assert f.kind.json_types(f) == expected, f.id
        item_types = (str, dict) if f.type == "household_member" else (str,)
        assert f.kind.json_item_types(f) == item_types, f.id


def test_each_fields_json_schema_says_what_the_api_accepts(spec):
    document = form_json_schema(spec)
    assert document["type"] == "object" and document["additionalProperties"] is False
    assert list(document["properties"]) == [f.id for f in spec.fields]
    for f in spec.fields:
        piece = document["properties"][f.id]
        assert piece["title"] == f.label.en and piece["x-field-type"] == f.type
        assert schema_types(piece) == [JSON_NAMES[t] for t in f.kind.json_types(f)], f.id
    props = document["properties"]
    assert props["name"]["maxLength"] == 10 and props["purpose_other"]["maxLength"] == 200
    assert (props["copies"]["minimum"], props["copies"]["maximum"]) == (1, 10)
    assert props["purpose"]["enum"] == ["work", "other"]
    assert props["items"]["items"] == {"type": "string", "enum": ["head", "honseki"]}
    assert props["members"]["items"] == {"type": ["string", "object"]}
    assert props["agree"]["type"] == ["boolean", "string"]
    assert props["photos"]["type"] == "null"
    assert props["my_number"]["writeOnly"] is True
    assert set(props["account"]["properties"]) == {
        "bank_code",
        "branch_code",
        "account_type",
        "account_number",
        "holder",
    }


# --- the demo -------------------------------------------------------------------------------------------------


@dataclass
class Place:
    postal_code: str = "1000001"
    prefecture: str = "東京都"
    city: str = "千代田区"
    town: str = "千代田"


@dataclass
class Demo:
    """A DemoSource as residents.demo_cases builds it, for a made-up applicant."""

    rng: random.Random
    today: dt.date = TODAY
    variant: int = 0
    name: str = "緑 太郎"
    name_kana: str = "ミドリ\u3000タロウ"
    birth_date: dt.date = dt.date(1980, 1, 2)
    postal_code: str = "1000001"
    address: str = "東京都千代田区千代田1番1号"
    email: str = "demo-00001@example.jp"
    household_names: list[str] = field(default_factory=lambda: ["緑 太郎", "緑 花子"])
    bank: tuple[str, str] = ("0001", "001")
    places: int = 0

    def elsewhere(self, f: Field) -> bool:
        return f.id.startswith("new_")

    def other_place(self) -> Place:
        self.places += 1
        return Place()

    def sample_text(self, f: Field) -> str | None:
        return "勤務先への提出のため" if "purpose" in f.id else None


def test_every_demo_answer_validates(spec):
    answers = {}
    for f in spec.fields:
        answer = f.kind.demo_answer(f, Demo(random.Random(1)))
        if f.kind.is_upload or f.kind.holds_my_number:
            assert answer is None, f.id  # uploads are attached separately; no 個人番号 is made up
            continue
        assert answer is not None, f.id
        answers[f.id] = answer
    result = validate(spec, answers, today=TODAY)
    assert not {fid: codes for fid, codes in result.errors.items() if fid in answers}
    assert result.cleaned["name"] == "緑 太郎" and result.cleaned["kana"] == "ミドリ\u3000タロウ"
    assert result.cleaned["birth"] == "1980-01-02"  # a birth date is the applicant's
    # conditional fields are kept only while their condition holds: checked with answers that ask them
    asked = validate(spec, {**answers, "purpose": "other", "delivery": "mail"}, today=TODAY)
    assert asked.cleaned["purpose_other"] == "勤務先への提出のため"
    assert result.cleaned["code"].isdigit() and len(result.cleaned["code"]) == 4  # matches the pattern
    assert result.cleaned["copies"] == 1  # the default on the first attempt
    assert asked.cleaned["account"]["bank_code"] == "0001"
    assert [m["name"] for m in result.cleaned["members"]] == ["緑 太郎", "緑 花子"]


def test_demo_answers_are_the_same_for_the_same_seed_and_vary_after_the_first_attempt(spec):
    def answers(seed, variant):
        rng = random.Random(seed)
        return [f.kind.demo_answer(f, Demo(rng, variant=variant)) for f in spec.fields]

    assert answers(5, 0) == answers(5, 0)
    purpose = spec.field("purpose")
    chosen = {purpose.kind.demo_answer(purpose, Demo(random.Random(seed), variant=1)) for seed in range(20)}
    assert chosen == {"work", "other"}


def test_a_field_about_another_place_gets_another_town():
    demo = Demo(random.Random(3))
    postal = Field(
        id="new_postal_code", type="postal_code", label=Localized("新住所の郵便番号", "New postal code")
    )
    address = Field(id="new_address", type="address", label=Localized("新住所", "New address"))
    assert postal.kind.demo_answer(postal, demo) == "1000001"
    assert address.kind.demo_answer(address, demo).startswith("東京都千代田区千代田")
    assert demo.places == 2
    assert (
        registry.get("textarea").demo_answer(
            Field(id="note", type="textarea", label=Localized("備考", "Notes")), demo
        )
        == "窓口での手続きについて、事前に確認させてください。"
    )

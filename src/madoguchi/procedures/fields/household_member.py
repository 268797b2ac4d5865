"""`household_member`: members of the resident's household (from the registry), or names typed one per line.

The value is `{"id", "name"}` (a list with `multiple`); `id` is null for a typed name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from madoguchi.jp import kana
from madoguchi.jp.errors import is_english

from .base import (
    CleanContext,
    DemoSource,
    FieldType,
    OcrHints,
    PrintLayout,
    as_list,
    as_text,
    check_characters,
    is_empty_scalar,
    selected_values,
)
from .messages import Message, invalid
from .registry import registry

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

MAX_NAME_LENGTH = 50
MAX_TYPED_MEMBERS = 20


@registry.register
class HouseholdMemberType(FieldType):
    name = "household_member"
    keys = ("multiple", "prefill")
    prefill_keys = ("household.members",)
    household_choices = True
    template = "household_member"
    json_value_types = (list, str)

    def is_group(self, f: Field) -> bool:
        return True

    def is_list(self, f: Field) -> bool:
        return f.multiple

    def required_texts(self, f: Field, context: CleanContext | None = None) -> tuple[str, str]:
        if context is None or context.household is None:
            # Not linked to the registry: a text area where names are typed, nothing to choose from.
            if f.multiple:
                return (
                    "必須項目です。氏名を1行に1人ずつ入力してください。",
                    "This field is required. Please enter the names, one per line.",
                )
            return "必須項目です。氏名を入力してください。", "This field is required. Please enter the name."
        if f.multiple:
            return (
                "必須項目です。1人以上選んでください。",
                "This field is required. Please choose at least one person.",
            )
        return "必須項目です。1人選んでください。", "This field is required. Please choose one person."

    def clean(self, f: Field, raw: Any, context: CleanContext) -> Any:
        values = as_list(raw)
        if context.household is not None:
            members = {str(m["id"]): m for m in context.household}
            chosen: list[dict[str, Any]] = []
            for value in values:
                if is_empty_scalar(value):
                    continue
                member_id = str(value.get("id") if isinstance(value, Mapping) else value).strip()
                if member_id not in members:
                    raise invalid(
                        "not_a_household_member",
                        "世帯の方の一覧から選んでください。",
                        "Please choose from the members of your household shown.",
                    )
                if all(c["id"] != member_id for c in chosen):
                    chosen.append({"id": member_id, "name": str(members[member_id]["name"])})
        else:
            # Not linked to the registry: the resident types the names, one per line.
            chosen = []
            for value in values:
                text = str(value.get("name", "")) if isinstance(value, Mapping) else as_text(value)
                check_characters(text, multiline=True)
                for line in text.splitlines():
                    name = line.strip().strip("\u3000").strip()
                    if not name:
                        continue
                    if len(name) > MAX_NAME_LENGTH:
                        raise invalid(
                            "too_long",
                            "氏名は1行に1人ずつ、50文字以内で入力してください。",
                            "Please enter one name per line, at most 50 characters each.",
                        )
                    chosen.append({"id": None, "name": name})
            if len(chosen) > MAX_TYPED_MEMBERS:
                raise invalid("too_many", "20人以内で入力してください。", "Please enter at most 20 people.")
        if not f.multiple and len(chosen) > 1:
            raise invalid("choose_one", "1人だけ選んでください。", "Please choose only one person.")
        if not chosen:
            raise invalid("required", *self.required_texts(f, context))
        return chosen if f.multiple else chosen[0]

    def format_non_empty(self, f: Field, value: Any, lang: str, separator: str) -> str:
        members = value if isinstance(value, list) else [value]
        return separator.join(str(m["name"]) if isinstance(m, Mapping) else str(m) for m in members)

    def widget_context(
        self,
        f: Field,
        value: Any,
        ctx: dict[str, Any],
        *,
        errors: Sequence[Message],
        lang: str,
        spec: ProcedureSpec | None,
        household: Sequence[Mapping[str, Any]] | None,
        autofill_url: str,
        prefix: str,
        described: list[str],
    ) -> None:
        en = is_english(lang)
        input_id = ctx["input_id"]
        if household is None:
            names = []
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, Mapping):
                    names.append(str(item.get("name", "")))
                elif item:
                    names.append(str(item))
            ctx.update(
                {
                    "members": None,
                    "value": "\n".join(names),
                    "names_hint": "Enter one name per line."
                    if en
                    else "1行に1人ずつ氏名を入力してください。",
                }
            )
            return
        selected = set(selected_values(value))
        ctx.update(
            {
                "members": [
                    {
                        "value": str(m["id"]),
                        "label": str(m["name"])
                        + (f"（{m['relationship']}）" if m.get("relationship") and not en else ""),
                        "id": f"{input_id}-{index}",
                        "checked": str(m["id"]) in selected,
                    }
                    for index, m in enumerate(household)
                ],
                "input_kind": "checkbox" if f.multiple else "radio",
                "no_members_text": "No household members are registered."
                if en
                else "世帯員の情報がありません。",
            }
        )

    def json_item_types(self, f: Field) -> tuple[type, ...]:
        return (str, dict)

    def demo_answer(self, f: Field, demo: DemoSource) -> Any:
        names = list(demo.household_names)
        return ["\n".join(names)] if f.multiple else [names[0]]

    def print_layout(self, f: Field) -> PrintLayout:
        """A ruled line per name: four for several members, one for one."""
        return PrintLayout.text_area(4 if f.multiple else 1)

    def ocr_hints(self, f: Field) -> OcrHints:
        return OcrHints("kanji_kana", multiline=f.multiple)

    def normalise_ocr(self, f: Field, text: str) -> Any:
        """Names one per line, as typed by a resident who is not linked to the registry."""
        lines = (" ".join(kana.normalise_width(line).split()) for line in text.splitlines())
        return "\n".join(line for line in lines if line)

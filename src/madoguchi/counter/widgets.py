"""The procedure form widgets as the counter's pages show them (the phone's combined form and the clerk's
screen): `procedures/field.html` contexts and the error summary's items, from one list of fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from madoguchi.procedures import schema
from madoguchi.procedures.spec import Field, ProcedureSpec


def anchor_of(context: dict) -> str:
    """The element an error-summary link jumps to: the input, or the first choice of a group."""
    options = context.get("options") or context.get("members") or context.get("parts")
    if context.get("is_group") and options:
        return options[0]["id"]
    return context["input_id"]


def render_fields(
    fields: Iterable[Field],
    values: Mapping[str, Any],
    errors: Mapping[str, Sequence[schema.Message]],
    lang: str,
    *,
    spec: ProcedureSpec | None,
    prefix: str = "f-",
) -> tuple[list[dict], list[dict]]:
    """(field contexts, error summary items) for `fields`; household members are typed (no register link)."""
    contexts, items = [], []
    for f in fields:
        messages = errors.get(f.id, [])
        context = schema.field_context(f, values.get(f.id), messages, lang, spec=spec, prefix=prefix)
        contexts.append(context)
        for message in messages:
            target = anchor_of(context)
            if message.part:
                target = f"{context['input_id']}-{message.part.replace('_', '-')}"
            items.append({"target": target, "label": context["label"], "message": message.text(lang)})
    return contexts, items

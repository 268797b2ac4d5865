"""One schema drives everything: read, validate, pre-fill and display the form of a procedure.

Pure Python, no Django. The portal, the counter and the office all go through these functions:

- `raw_from_post` turns HTML form data into raw values,
- `validate` checks them (the whole form or one step) and returns normalised, JSON-ready values and
  bilingual messages per field,
- `prefill_values` maps registry data (住民記録) onto the fields that ask for it,
- `field_context` / `step_context` build the view-model of `procedures/field.html`,
- `display_rows` lays the values out for review pages, the office case detail and PDFs,
- `form_json_schema` describes the form's values as the API takes them.

This module is the generic machinery; what differs between field types (how a date is read, how a bank account
is shown …) is asked of each field's type, `field.kind` (procedures/fields/).

A `my_number` (個人番号) value is validated here and never shown: `field_context` never puts a value into its
input, and `format_value` shows only MY_NUMBER_MASK. Where it goes after validation is the callers' business
(`cases.services` hands it to the My Number vault).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.jp.errors import is_english

from .fields.bank_account import ACCOUNT_TYPES, BANK_PARTS
from .fields.base import CleanContext
from .fields.file import FILE_TYPE_NAMES, UploadedFileInfo, detect_file_type
from .fields.messages import Invalid, Message
from .fields.my_number import MY_NUMBER_MASK
from .fields.number import parse_int
from .spec import Condition, Field, ProcedureSpec, Step

__all__ = [
    "ACCOUNT_TYPES",
    "BANK_PARTS",
    "FILE_TYPE_NAMES",
    "MY_NUMBER_MASK",
    "POSTAL_CODE_API",
    "DisplaySection",
    "Message",
    "Result",
    "UploadedFileInfo",
    "condition_met",
    "condition_texts",
    "detect_file_type",
    "display_rows",
    "field_context",
    "form_json_schema",
    "format_value",
    "household_members",
    "prefill_values",
    "raw_from_post",
    "step_context",
    "validate",
]

# --------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    """`cleaned`: normalised values (JSON-serialisable); `errors`: messages per field id. Save only when ok.

    `suggestions` holds values to show when the form is rendered again: an empty address whose postal
    code is known gets the prefecture, city and town filled in (the address autofill without JavaScript).
    """

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[Message]] = field(default_factory=dict)
    suggestions: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self, lang: str) -> dict[str, list[str]]:
        return {field_id: [m.text(lang) for m in messages] for field_id, messages in self.errors.items()}


# --------------------------------------------------------------------------------------------------------------
# Reading HTML form data


def raw_from_post(fields: Iterable[Field], getlist: Callable[[str], list[str]]) -> dict[str, Any]:
    """Raw values of `fields` from POST data (`request.POST.getlist`). File fields are not read here.

    A bank_account posts `<id>.bank_code`, `<id>.branch_code`, `<id>.account_type`, `<id>.account_number`
    and `<id>.holder`; a list-valued field (checkboxes, household members) posts `<id>` several times; a
    single checkbox posts "on" when ticked; every other field posts one text `<id>`.
    """
    raw: dict[str, Any] = {}
    for f in fields:
        if f.kind.is_upload:
            continue
        raw[f.id] = f.kind.raw_from_post(f, getlist)
    return raw


# --------------------------------------------------------------------------------------------------------------
# Validation


def validate(
    spec: ProcedureSpec,
    data: Mapping[str, Any],
    *,
    step_id: str | None = None,
    files: Mapping[str, Any] | None = None,
    household: Sequence[Mapping[str, Any]] | None = None,
    today: dt.date | None = None,
) -> Result:
    """Check `data` against the form of `spec`: every field, or only the fields of step `step_id`.

    `data` holds raw values (`raw_from_post`, merged by the caller with earlier steps' values and with
    registry values for read-only fields); `required_if` may look at any field in it. `files` maps a
    file field id to an UploadedFileInfo (or a list of them); a file field without a new upload keeps
    the metadata the server put in `data` at an earlier step. `household` lists the resident's household
    members ({"id", "name"}, from the registry) that household_member fields choose from; without it, the
    field takes names typed one per line. `today` defaults to the local date.
    """
    fields = spec.step(step_id).fields if step_id is not None else spec.fields
    context = CleanContext(
        spec=spec, data=data, files=files or {}, household=household, today=today or dt.date.today()
    )
    result = Result()
    for f in fields:
        kind = f.kind
        if not field_shown(spec, f, data, files=context.files):
            # Not asked while its condition does not hold: neither required nor kept (a stale answer
            # typed before the choice changed is dropped, not submitted).
            result.cleaned[f.id] = kind.empty_value(f)
            continue
        raw = context.raw(f)
        if kind.is_empty(f, raw):
            result.cleaned[f.id] = kind.empty_value(f)
            message = _required_message(f, context)
            suggestion = kind.suggest(f, context)
            if suggestion:
                result.suggestions[f.id] = suggestion
                if message is not None:
                    message = Message(
                        "address_autofilled",
                        f"郵便番号から「{suggestion}」を入力しました。番地・建物名などの続きを入力してください。",
                        f'We filled in "{suggestion}" from the postal code. Please add the block number and building.',
                    )
            if message is not None:
                result.errors[f.id] = [message]
            continue
        try:
            result.cleaned[f.id] = kind.clean(f, raw, context)
        except Invalid as exc:
            result.errors[f.id] = exc.messages
            result.cleaned[f.id] = kind.empty_value(f)
    return result


def _required_message(f: Field, context: CleanContext) -> Message | None:
    if f.required:
        ja, en = f.kind.required_texts(f, context)
        return Message("required", ja, en)
    if (
        f.required_if is not None
        and context.spec is not None
        and condition_met(context.spec, f.required_if, context.data, files=context.files)
    ):
        ja, en = f.kind.required_texts(f, context)
        when_ja, when_en = condition_texts(context.spec, f.required_if)
        return Message(
            "required_if",
            f"{when_ja}は必須です。{ja.removeprefix('必須項目です。')}",
            f"{when_en}, {en[0].lower()}{en[1:]}",
        )
    return None


def field_shown(
    spec: ProcedureSpec | None,
    f: Field,
    data: Mapping[str, Any],
    *,
    files: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the form asks `f` given the answers in `data`: a conditional field (`required_if`) only while
    its condition holds (「その他」 chosen → 「その他の内容」). A field required when another is left empty
    (`filled: false`) is always asked: it may be answered either way."""
    condition = f.required_if
    if condition is None or spec is None or (condition.operator == "filled" and condition.value is False):
        return True
    return condition_met(spec, condition, data, files=files)


def condition_json(f: Field) -> str:
    """The condition of a conditional field for the page's script (data-show-when), or ""."""
    condition = f.required_if
    if condition is None or (condition.operator == "filled" and condition.value is False):
        return ""
    return json.dumps(condition.to_json(), ensure_ascii=False)


def condition_met(
    spec: ProcedureSpec,
    condition: Condition,
    data: Mapping[str, Any],
    *,
    files: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a `required_if` condition holds for `data` (raw or cleaned values)."""
    try:
        target = spec.field(condition.field)
    except KeyError:
        return False
    raw = data.get(target.id)
    if target.kind.is_upload and files and files.get(target.id):
        raw = files[target.id]
    if condition.operator == "filled":
        return (not target.kind.is_empty(target, raw)) is condition.value
    values = target.kind.comparable(target, raw)
    wanted = condition.value if condition.operator == "in" else (condition.value,)
    return any(_same(value, want) for value in values for want in wanted)


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(wanted, int) and isinstance(value, str):
        try:
            return parse_int(value) == wanted
        except ValueError:
            return False
    return value == wanted


def condition_texts(spec: ProcedureSpec, condition: Condition) -> tuple[str, str]:
    """「使用目的」で「その他」を選んだ場合 / If "Purpose" is "Other": when a required_if applies, in words."""
    try:
        target = spec.field(condition.field)
    except KeyError:
        return "条件により", "In this case"
    label_ja, label_en = target.label.ja, target.label.en
    if condition.operator == "filled":
        if condition.value:
            return f"「{label_ja}」を入力した場合", f'If "{label_en}" is filled in'
        return f"「{label_ja}」が空欄の場合", f'If "{label_en}" is left empty'
    wanted = condition.value if condition.operator == "in" else (condition.value,)
    if target.kind.is_yes_no(target):
        if wanted == (True,):
            return f"「{label_ja}」にチェックを入れた場合", f'If "{label_en}" is ticked'
        return f"「{label_ja}」にチェックを入れていない場合", f'If "{label_en}" is not ticked'
    names_ja, names_en = [], []
    for value in wanted:
        option = target.option(str(value)) if isinstance(value, str) else None
        names_ja.append(f"「{option.label.ja}」" if option else f"「{value}」")
        names_en.append(f'"{option.label.en}"' if option else f'"{value}"')
    verb_ja = "を選んだ場合" if target.options else "の場合"
    return (
        f"「{label_ja}」で{'または'.join(names_ja)}{verb_ja}",
        f'If "{label_en}" is {" or ".join(names_en)}',
    )


# --------------------------------------------------------------------------------------------------------------
# Pre-fill from the registry


def prefill_values(spec: ProcedureSpec, registry: Mapping[str, Any]) -> dict[str, Any]:
    """Values for the fields with a `prefill` key, from a plain dict the caller builds from the registry.

    `registry` may be flat ({"person.name": ...}) or nested ({"person": {"name": ...}}). Dates become ISO
    text. household_member fields take their choices from `household_members(registry)`, not from here.
    """
    values: dict[str, Any] = {}
    for f in spec.fields:
        if f.prefill is None or f.kind.household_choices:
            continue
        value = _registry_value(registry, f.prefill)
        if value is None or value == "":
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        values[f.id] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def household_members(registry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The household members ({"id", "name", ...}) in a registry dict, for `household=` arguments."""
    members = _registry_value(registry, "household.members") or []
    return [dict(m) for m in members]


def _registry_value(registry: Mapping[str, Any], key: str) -> Any:
    if key in registry:
        return registry[key]
    node: Any = registry
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --------------------------------------------------------------------------------------------------------------
# Display


@dataclass(frozen=True)
class DisplaySection:
    """One step of a filled-in form for review pages, the office and PDFs: rows of (label, text)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    step_id: str = ""


def display_rows(spec: ProcedureSpec, cleaned: Mapping[str, Any], lang: str) -> list[DisplaySection]:
    """The cleaned values of every step, formatted for people in `lang`."""
    sections = []
    for step in spec.steps:
        rows = tuple((f.label.get(lang), format_value(f, cleaned.get(f.id), lang)) for f in step.fields)
        sections.append(DisplaySection(title=step.title.get(lang), rows=rows, step_id=step.id))
    return sections


def format_value(f: Field, value: Any, lang: str) -> str:
    """One cleaned value as text: 和暦 dates, option labels, ¥ amounts, summarised bank accounts."""
    return f.kind.format(f, value, lang)


# --------------------------------------------------------------------------------------------------------------
# The API


def form_json_schema(spec: ProcedureSpec) -> dict[str, Any]:
    """The JSON Schema of a case's `data` for this form: each field's value as `cases.api` accepts it.

    Whether a field is required is not part of it: that depends on the other answers (required_if) and on
    the registry (a value the register holds is taken from the register).
    """
    return {
        "type": "object",
        "properties": {f.id: f.kind.json_schema(f) for f in spec.fields},
        "additionalProperties": False,
    }


# --------------------------------------------------------------------------------------------------------------
# Template view-model

POSTAL_CODE_API = "/api/v1/postal-codes/"


def field_context(
    f: Field,
    value: Any,
    errors: Sequence[Message] | None,
    lang: str,
    *,
    spec: ProcedureSpec | None = None,
    readonly: bool = False,
    household: Sequence[Mapping[str, Any]] | None = None,
    autofill_url: str = POSTAL_CODE_API,
    prefix: str = "f-",
) -> dict[str, Any]:
    """The view-model `procedures/field.html` renders for one field.

    `value` is what to show: a raw value from POST, a cleaned value from an earlier step, a registry value,
    or None for a fresh form (then the field's `default` is used). `readonly` shows the value as text
    marked 「住民記録より」 with no input (the server re-reads the registry instead); an empty value is shown
    as a normal input, since there is nothing to show. Pass `spec` so that
    conditional requirements can be worded and a postal code can find the address it fills.
    """
    kind = f.kind
    en = is_english(lang)
    errors = list(errors or [])
    input_id = f"{prefix}{f.id}"
    if not kind.shows_value:  # never pre-filled, never echoed back into the page (not even after an error)
        value, readonly = None, False
    readonly = readonly and not kind.is_empty(f, value)  # nothing in the register: let the resident type it
    if value is None and f.default is not None:
        value = list(f.default) if isinstance(f.default, tuple) else f.default
    ctx: dict[str, Any] = {
        "id": f.id,
        "name": f.id,
        "type": f.type,
        "lang": lang,
        "input_id": input_id,
        "label": f.label.get(lang),
        "help": f.help.get(lang) if f.help else "",
        "help_id": f"{input_id}-help",
        "example": kind.example[1 if en else 0] if kind.example else "",
        "example_id": f"{input_id}-example",
        "error_id": f"{input_id}-error",
        "errors": [m.text(lang) for m in errors if not m.part],
        "invalid": bool(errors),
        "required": f.required,
        "required_text": "Required" if en else "必須",
        "optional_text": "Optional" if en else "任意",
        "required_if_text": "",
        "readonly": readonly,
        "source_text": "From the resident register" if en else "住民記録より",
        "error_prefix": "Error: " if en else "エラー：",
        "is_group": f.is_group,
        "multiple": f.multiple,
        "template": kind.template_name(f),
    }
    if f.required_if is not None and spec is not None:
        when_ja, when_en = condition_texts(spec, f.required_if)
        ctx["required_if_text"] = f"{when_en}, this is required." if en else f"{when_ja}は必須"
    if readonly:
        ctx["template"] = "procedures/fields/readonly.html"
        ctx["display"] = _readonly_display(f, value, lang, household)
        return ctx

    described = [ctx["help_id"]] if ctx["help"] else []
    if ctx["example"]:
        described.append(ctx["example_id"])
    if ctx["errors"]:
        described.append(ctx["error_id"])
    ctx["describedby"] = " ".join(described)

    input_type, inputmode, _autocomplete = kind.input_attributes
    ctx["input_type"] = input_type
    ctx["inputmode"] = inputmode
    ctx["autocomplete"] = kind.autocomplete(f)
    ctx["maxlength"] = kind.input_maxlength(f)
    ctx["unit"] = kind.unit_text(f, lang)
    ctx["value"] = _text_value(value)
    kind.widget_context(
        f,
        value,
        ctx,
        errors=errors,
        lang=lang,
        spec=spec,
        household=household,
        autofill_url=autofill_url,
        prefix=prefix,
        described=described,
    )
    return ctx


def _text_value(value: Any) -> str:
    if value is None or isinstance(value, list | tuple | Mapping | bool):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _readonly_display(f: Field, value: Any, lang: str, household: Sequence[Mapping[str, Any]] | None) -> str:
    kind = f.kind
    try:
        cleaned = (
            kind.clean(f, value, CleanContext(None, {}, {}, household, dt.date.today()))
            if not kind.is_empty(f, value)
            else kind.empty_value(f)
        )
    except Invalid:
        return _text_value(value) or format_value(f, None, lang)
    return format_value(f, cleaned, lang)


def step_context(
    spec: ProcedureSpec,
    step_id: str,
    values: Mapping[str, Any],
    errors: Mapping[str, Sequence[Message]],
    lang: str,
    *,
    readonly: Iterable[str] = (),
    household: Sequence[Mapping[str, Any]] | None = None,
    autofill_url: str = POSTAL_CODE_API,
) -> dict[str, Any]:
    """The view-model of one step: its title, description and the `field_context` of each field."""
    step: Step = spec.step(step_id)
    readonly = set(readonly)
    return {
        "id": step.id,
        "title": step.title.get(lang),
        "description": step.description.get(lang) if step.description else "",
        "has_files": any(f.kind.is_upload for f in step.fields),
        "fields": [
            field_context(
                f,
                values.get(f.id),
                errors.get(f.id),
                lang,
                spec=spec,
                readonly=f.id in readonly,
                household=household,
                autofill_url=autofill_url,
            )
            for f in step.fields
        ],
    }

"""Procedure files (手続き定義): parse and strictly validate one YAML file per procedure.

Pure Python, no Django. `load_procedure_file` reads `procedures/<id>.yaml`, checks every key and value and
reports *all* problems of the file with their line numbers, so that `madoguchi procedures sync` can refuse a
bad file before anything is published. `ProcedureSpec.to_json()` is what a `ProcedureVersion` stores;
`ProcedureSpec.from_json()` turns it back into objects. The format is documented in docs/procedures.md.

The reading itself is `core.yamlfile`'s, shared with the life-event guide files: YAML with line numbers,
`Problem`, and the generic checks of `StrictYamlBuilder`. This module has the procedure format: its objects,
its vocabularies and `_Builder`, which reads the procedure, its form and its fields.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from madoguchi.core.yamlfile import (
    SLUG_RE,
    LinedDict,
    Problem,
    StrictYamlBuilder,
    UnreadableFile,
    describe,
    did_you_mean,
    item_line,
    key_line,
    line_of,
    load_lined_yaml,
    read_text,
)

from .fields import registry
from .fields.base import FieldType, UnknownType, YamlField
from .fields.file import FILE_TYPES

DEPARTMENTS = ("shimin", "kosodate", "hoken-nenkin", "kaigo", "fukushi", "zeimu", "kankyo")
LIFE_EVENTS = (
    "moving",
    "birth",
    "childcare",
    "marriage",
    "death",
    "elderly",
    "disaster",
    "waste",
    "tax",
    "health",
    "certificates",
)
IDENTITY_LEVELS = ("none", "email", "verified")
# The field types (each a class in procedures/fields/, registered in `fields.registry`), in registration order.
# Files are read against the registry itself, so a type registered later is known too.
FIELD_TYPES = registry.names()
# Fields asked only on the page that submits the form and never kept in a draft: a 個人番号 goes from that one
# request to the My Number vault (docs/architecture.md, "Personal data and security"). Their procedure needs identity_level: verified.
SUBMIT_ONLY_TYPES = registry.names_where("submit_only")
# Registry pre-fill keys and the field types each may fill (each type lists the keys it takes).
PREFILL_KEYS: Mapping[str, tuple[str, ...]] = registry.prefill_keys()
AUTOCOMPLETE_TOKENS = (
    "off",
    "name",
    "family-name",
    "given-name",
    "bday",
    "postal-code",
    "street-address",
    "address-level1",
    "address-level2",
    "tel",
    "email",
    "organization",
)

_OPTION_VALUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

# Keys allowed at each level. Field keys beyond the common ones depend on the field type.
_TOP_KEYS_REQUIRED = (
    "id",
    "name",
    "department",
    "description",
    "eligibility",
    "bring",
    "fee",
    "online",
    "identity_level",
    "sla_business_days",
    "form",
)
_TOP_KEYS_OPTIONAL = ("fee_yen", "deadline", "life_events", "visit", "next_steps")
# What happens next (next_steps): per case status, what the applicant is told to do or expect. The statuses are
# cases.models.Status values (a test keeps the two in step; this module imports nothing from Django).
NEXT_STEP_STATUSES = (
    "submitted",
    "in_review",
    "waiting_for_applicant",
    "ready_for_decision",
    "approved",
    "rejected",
    "completed",
    "withdrawn",
)
_NEXT_STEP_KEYS = ("what", "bring", "fee", "collect", "takes")
_STEP_KEYS = ("id", "title", "description", "fields")
_FIELD_COMMON_KEYS = ("id", "type", "label", "help", "required", "required_if", "autocomplete")
# The keys beyond these depend on the field type: `FieldType.keys`.
_CONDITION_OPERATORS = ("equals", "in", "filled")


# --------------------------------------------------------------------------------------------------------------
# The objects


@dataclass(frozen=True)
class Localized:
    """A text in Japanese and English."""

    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja

    def to_json(self) -> dict[str, str]:
        return {"ja": self.ja, "en": self.en}


@dataclass(frozen=True)
class Option:
    value: str
    label: Localized


@dataclass(frozen=True)
class Condition:
    """`required_if`: the field is required when `field` equals / is in / is filled. Data only, never code."""

    field: str
    operator: str  # "equals" | "in" | "filled"
    value: Any  # str | bool | int, a tuple of those for "in", a bool for "filled"

    def to_json(self) -> dict[str, Any]:
        value = list(self.value) if self.operator == "in" else self.value
        return {"field": self.field, self.operator: value}


@dataclass(frozen=True)
class Field:
    id: str
    type: str
    label: Localized
    help: Localized | None = None
    required: bool = False
    required_if: Condition | None = None
    autocomplete: str | None = None
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    unit: Localized | None = None
    pattern: str | None = None
    pattern_message: Localized | None = None
    options: tuple[Option, ...] = ()
    multiple: bool = False
    prefill: str | None = None
    default: Any = None
    accept: tuple[str, ...] = ()
    max_bytes: int | None = None
    max_files: int | None = None
    autofill_from: str | None = None
    min_date: str | None = None  # "today" or an ISO date
    max_date: str | None = None

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.value == value), None)

    @property
    def kind(self) -> FieldType:
        """The field type (procedures/fields/) that parses, validates, formats and renders this field."""
        return registry.get(self.type)

    @property
    def is_group(self) -> bool:
        """Rendered as a fieldset with a legend rather than one labelled input."""
        return self.kind.is_group(self)

    @property
    def is_list(self) -> bool:
        """Its value is a list (several checkboxes, household members, or files)."""
        return self.kind.is_list(self)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label.to_json()}
        if self.help is not None:
            data["help"] = self.help.to_json()
        if self.required:
            data["required"] = True
        if self.required_if is not None:
            data["required_if"] = self.required_if.to_json()
        for key in (
            "autocomplete",
            "max_length",
            "min",
            "max",
            "pattern",
            "prefill",
            "default",
            "max_bytes",
            "max_files",
            "autofill_from",
            "min_date",
            "max_date",
        ):
            value = getattr(self, key)
            if value is not None:
                data[key] = list(value) if isinstance(value, tuple) else value
        if self.unit is not None:
            data["unit"] = self.unit.to_json()
        if self.pattern_message is not None:
            data["pattern_message"] = self.pattern_message.to_json()
        if self.options:
            data["options"] = [{"value": o.value, "label": o.label.to_json()} for o in self.options]
        if self.multiple:
            data["multiple"] = True
        if self.accept:
            data["accept"] = list(self.accept)
        return data


@dataclass(frozen=True)
class Step:
    id: str
    title: Localized
    fields: tuple[Field, ...]
    description: Localized | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title.to_json()}
        if self.description is not None:
            data["description"] = self.description.to_json()
        data["fields"] = [f.to_json() for f in self.fields]
        return data


@dataclass(frozen=True)
class Visit:
    """A procedure finished at the counter books a visit (`visit: {appointment_type: tennyu}`): the resident
    picks a real slot of that appointment type (the booking room) instead of typing a date."""

    appointment_type: str

    def to_json(self) -> dict[str, Any]:
        return {"appointment_type": self.appointment_type}


@dataclass(frozen=True)
class NextStep:
    """What happens after a status (次の手続き): what happens or what to do, what to bring, the fee, where and
    when to collect, how long it takes. Only `what` is required."""

    what: Localized
    bring: tuple[Localized, ...] = ()
    fee: Localized | None = None
    collect: Localized | None = None
    takes: Localized | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"what": self.what.to_json()}
        if self.bring:
            data["bring"] = {"ja": [b.ja for b in self.bring], "en": [b.en for b in self.bring]}
        for key in ("fee", "collect", "takes"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value.to_json()
        return data

    def lines(self, lang: str) -> list[tuple[str, str]]:
        """(key, text) in the reader's language, in the file's order of keys; bring as one line per item."""
        rows = [("what", self.what.get(lang))]
        rows += [("bring", item.get(lang)) for item in self.bring]
        rows += [
            (key, getattr(self, key).get(lang)) for key in ("fee", "collect", "takes") if getattr(self, key)
        ]
        return rows


@dataclass(frozen=True)
class ProcedureSpec:
    id: str
    name: Localized
    department: str
    description: Localized
    eligibility: Localized
    bring: tuple[Localized, ...]
    fee: Localized
    online: bool
    identity_level: str
    sla_business_days: int
    steps: tuple[Step, ...]
    fee_yen: int | None = None
    deadline: Localized | None = None
    life_events: tuple[str, ...] = ()
    visit: Visit | None = None
    next_steps: tuple[
        tuple[str, NextStep], ...
    ] = ()  # (status, what happens next), in NEXT_STEP_STATUSES order
    # Line of each top-level key in the source file (for error messages); not part of the content.
    source_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def next_step(self, status: str) -> NextStep | None:
        """What happens after `status` for this procedure, or None when the file does not say."""
        return dict(self.next_steps).get(status)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for step in self.steps for f in step.fields)

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def step_of(self, field_id: str) -> Step:
        for step in self.steps:
            if any(f.id == field_id for f in step.fields):
                return step
        raise KeyError(field_id)

    @property
    def submit_only_fields(self) -> tuple[Field, ...]:
        """The fields asked on the page that submits the form, never in a draft (`FieldType.submit_only`)."""
        return tuple(f for f in self.fields if f.kind.submit_only)

    def draft_form(self) -> ProcedureSpec:
        """The steps a draft goes through: the form without its submit-only fields (a 個人番号)."""
        return self.without_field_types(SUBMIT_ONLY_TYPES)

    def without_field_types(self, field_types: Sequence[str]) -> ProcedureSpec:
        """This spec without the fields of `field_types`; a step left with no field is left out. `self` when
        there is nothing to leave out."""
        if not any(f.type in field_types for f in self.fields):
            return self
        steps = []
        for step in self.steps:
            kept = tuple(f for f in step.fields if f.type not in field_types)
            if kept:
                steps.append(replace(step, fields=kept))
        return replace(self, steps=tuple(steps))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name.to_json(),
            "department": self.department,
            "description": self.description.to_json(),
            "eligibility": self.eligibility.to_json(),
            "bring": {"ja": [b.ja for b in self.bring], "en": [b.en for b in self.bring]},
            "fee": self.fee.to_json(),
        }
        if self.fee_yen is not None:
            data["fee_yen"] = self.fee_yen
        if self.deadline is not None:
            data["deadline"] = self.deadline.to_json()
        data["life_events"] = list(self.life_events)
        if self.visit is not None:
            data["visit"] = self.visit.to_json()
        if self.next_steps:  # only when given: the canonical JSON of files without it stays the same
            data["next_steps"] = {status: step.to_json() for status, step in self.next_steps}
        data["online"] = self.online
        data["identity_level"] = self.identity_level
        data["sla_business_days"] = self.sla_business_days
        data["form"] = {"steps": [s.to_json() for s in self.steps]}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcedureSpec:
        """Rebuild a stored spec. Lenient about vocabularies that may have changed since it was published."""
        builder = _Builder(path="<stored>", expected_id=None, strict=False)
        spec = builder.build(data)
        if builder.problems or spec is None:
            raise ValueError(
                "stored procedure spec is invalid: " + "; ".join(p.reason for p in builder.problems)
            )
        return spec


def canonical_sha256(spec: ProcedureSpec) -> str:
    """SHA-256 of the canonical JSON of a spec: comments and layout of the YAML file do not count."""
    text = json.dumps(spec.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------------------
# Errors
# `Problem` (path, line, reason) is core.yamlfile's, imported above: `spec.Problem` is the same class.


class ProcedureFileError(Exception):
    """A procedure file is malformed. `problems` lists every problem found, each with its line."""

    def __init__(self, path: str | Path, line: int, reason: str, problems: Sequence[Problem] = ()) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem(self.path, line, reason),)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def from_problems(cls, problems: Sequence[Problem]) -> ProcedureFileError:
        first = problems[0]
        return cls(first.path, first.line, first.reason, problems)


# --------------------------------------------------------------------------------------------------------------
# Loading and validation


def load_procedure_file(path: str | Path) -> ProcedureSpec:
    """Read and validate one procedure file; raise ProcedureFileError listing every problem with its line."""
    path = Path(path)
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise ProcedureFileError.from_problems([exc.problem]) from exc
    return parse_procedure_text(text, path=path)


def parse_procedure_text(text: str, *, path: str | Path) -> ProcedureSpec:
    """Validate procedure YAML given as text; `path` names the file in messages and gives the expected id."""
    path = Path(path)
    try:
        data, key_problems = load_lined_yaml(text, path=path)
    except UnreadableFile as exc:
        raise ProcedureFileError.from_problems([exc.problem]) from exc

    builder = _Builder(path=str(path), expected_id=path.stem, strict=True)
    builder.problems.extend(key_problems)
    spec = builder.build(data)
    if builder.problems:
        raise ProcedureFileError.from_problems(sorted(builder.problems, key=lambda p: p.line))
    assert spec is not None
    return spec


def _filtered(data: Mapping, allowed: Sequence[str]) -> LinedDict:
    kept = LinedDict({k: v for k, v in data.items() if k in allowed})
    kept.line = getattr(data, "line", 0)
    kept.key_lines = {k: v for k, v in getattr(data, "key_lines", {}).items() if k in allowed}
    return kept


class _Builder(StrictYamlBuilder):
    """Turns loaded YAML (or stored JSON) into a ProcedureSpec, collecting every problem on the way.

    The generic checks (keys, mapping, text, boolean, integer, identifier, choice, localized, options) are
    `StrictYamlBuilder`'s; the field types read their keys through them (`fields.base.SpecBuilder`).
    """

    localized_type = Localized
    option_type = Option
    option_value_re = _OPTION_VALUE_RE
    option_value_rule = "a short code of letters, digits, _ . - (quote words such as 'yes' and 'no')"

    def __init__(self, *, path: str, expected_id: str | None, strict: bool) -> None:
        super().__init__(path=path, expected_id=expected_id, strict=strict)
        # References between fields, checked once the whole form is read.
        self.conditions: list[tuple[str, int, str, Condition]] = []
        self.autofills: list[tuple[str, int, str]] = []
        # The fields of each type, (where, line of `type`), for the types' checks of the whole procedure.
        self.fields_of_type: dict[FieldType, list[tuple[str, int]]] = {}

    def unknown_key_reason(
        self, key: str, allowed: Sequence[str], *, field_type: str | None = None, **context: Any
    ) -> str:
        """A key of another field type says which types use it."""
        users = registry.names_with_key(key)
        if field_type is not None and users:
            return f"'{key}' is not used by type {field_type} (only by {', '.join(users)}); remove it"
        return super().unknown_key_reason(key, allowed)

    def optional_localized(self, data: Mapping, key: str, where: str) -> Localized | None:
        if key not in data or (data[key] is None and not self.strict):
            return None
        return self.localized(data[key], key_line(data, key, 0), f"{where}.{key}")

    # -- the procedure ----------------------------------------------------------------------------------------

    def build(self, data: Any) -> ProcedureSpec | None:
        if not isinstance(data, dict):
            self.problem(getattr(data, "line", 1), "the file must be a YAML mapping starting with 'id: ...'")
            return None
        self.check_keys(
            data,
            where="procedure",
            allowed=_TOP_KEYS_REQUIRED + _TOP_KEYS_OPTIONAL,
            required=_TOP_KEYS_REQUIRED,
        )

        def line(key: str) -> int:
            return key_line(data, key, 1)

        proc_id = self.procedure_id(data)
        name = self.localized(data["name"], line("name"), "name") if "name" in data else None
        department = (
            self.choice(data["department"], line("department"), "department", DEPARTMENTS)
            if "department" in data
            else None
        )
        description = (
            self.localized(data["description"], line("description"), "description")
            if "description" in data
            else None
        )
        eligibility = (
            self.localized(data["eligibility"], line("eligibility"), "eligibility")
            if "eligibility" in data
            else None
        )
        bring = self.bring(data["bring"], line("bring")) if "bring" in data else None
        fee = self.localized(data["fee"], line("fee"), "fee") if "fee" in data else None
        fee_yen = (
            self.integer(data["fee_yen"], line("fee_yen"), "fee_yen", minimum=0)
            if "fee_yen" in data
            else None
        )
        deadline = self.optional_localized(data, "deadline", "procedure")
        life_events = self.life_events(data.get("life_events", []), line("life_events"))
        visit = self.visit(data["visit"], line("visit")) if "visit" in data else None
        next_steps = self.next_steps(data["next_steps"], line("next_steps")) if "next_steps" in data else ()
        online = self.boolean(data["online"], line("online"), "online") if "online" in data else None
        identity_level = (
            self.choice(data["identity_level"], line("identity_level"), "identity_level", IDENTITY_LEVELS)
            if "identity_level" in data
            else None
        )
        sla = (
            self.integer(data["sla_business_days"], line("sla_business_days"), "sla_business_days", minimum=1)
            if "sla_business_days" in data
            else None
        )
        steps = self.form(data["form"], line("form")) if "form" in data else None
        self.check_field_types(identity_level, line("identity_level"))

        parts = (
            proc_id,
            name,
            department,
            description,
            eligibility,
            bring,
            fee,
            online,
            identity_level,
            sla,
            steps,
        )
        if self.problems or any(part is None for part in parts):
            return None
        return ProcedureSpec(
            id=proc_id,
            name=name,
            department=department,
            description=description,
            eligibility=eligibility,
            bring=bring,
            fee=fee,
            fee_yen=fee_yen,
            deadline=deadline,
            life_events=life_events,
            visit=visit,
            next_steps=next_steps,
            online=online,
            identity_level=identity_level,
            sla_business_days=sla,
            steps=steps,
            source_lines=dict(getattr(data, "key_lines", {})),
        )

    def check_field_types(self, identity_level: str | None, identity_line: int) -> None:
        """Each field type's checks of the whole procedure (a my_number field needs identity_level: verified)."""
        for kind, fields in self.fields_of_type.items():
            kind.check_form(self, fields, identity_level, identity_line)

    def procedure_id(self, data: Mapping) -> str | None:
        if "id" not in data:
            return None
        return self.file_id(data["id"], key_line(data, "id", 1))

    def bring(self, value: Any, line: int) -> tuple[Localized, ...] | None:
        return self.bilingual_list(value, line, key="bring")

    def next_steps(self, value: Any, line: int) -> tuple[tuple[str, NextStep], ...]:
        """`next_steps: {<status>: {what: {ja, en}, bring: {ja: [...], en: [...]}, fee, collect, takes}}`."""
        data = self.mapping(value, line, "next_steps")
        if data is None:
            return ()
        line = line_of(data, line)
        self.check_keys(data, where="next_steps", allowed=NEXT_STEP_STATUSES)
        steps = []
        for status in NEXT_STEP_STATUSES:
            if status not in data:
                continue
            where = f"next_steps.{status}"
            status_line = key_line(data, status, line)
            item = self.mapping(data[status], status_line, where)
            if item is None:
                continue
            item_line_ = line_of(item, status_line)
            self.check_keys(item, where=where, allowed=_NEXT_STEP_KEYS, required=("what",))
            what = (
                self.localized(item["what"], key_line(item, "what", item_line_), f"{where}.what")
                if ("what" in item)
                else None
            )
            bring = (
                self.bilingual_list(
                    item["bring"], key_line(item, "bring", item_line_), key="bring", where=where
                )
                if "bring" in item
                else ()
            )
            optional = {key: self.optional_localized(item, key, where) for key in ("fee", "collect", "takes")}
            if what is not None and bring is not None:
                steps.append((status, NextStep(what=what, bring=bring, **optional)))
        return tuple(steps)

    def life_events(self, value: Any, line: int) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.problem(line, f"life_events must be a list such as [moving, birth], not {describe(value)}")
            return ()
        events: list[str] = []
        for index, item in enumerate(value):
            event_line = item_line(value, index, line)
            event = self.choice(item, event_line, "life_events", LIFE_EVENTS)
            if event is None:
                continue
            if event in events:
                self.problem(event_line, f"life_events: '{event}' is listed twice")
                continue
            events.append(event)
        return tuple(events)

    def visit(self, value: Any, line: int) -> Visit | None:
        data = self.mapping(value, line, "visit")
        if data is None:
            return None
        self.check_keys(data, where="visit", allowed=("appointment_type",), required=("appointment_type",))
        code = data.get("appointment_type")
        if not isinstance(code, str) or not SLUG_RE.match(code):
            self.problem(
                key_line(data, "appointment_type", line),
                f"visit.appointment_type must be the code of an appointment type (a slug such as tennyu), "
                f"not {describe(code)}",
            )
            return None
        return Visit(appointment_type=code)

    # -- the form ---------------------------------------------------------------------------------------------

    def form(self, value: Any, line: int) -> tuple[Step, ...] | None:
        data = self.mapping(value, line, "form")
        if data is None:
            return None
        self.check_keys(data, where="form", allowed=("steps",), required=("steps",))
        raw_steps = data.get("steps")
        steps_line = key_line(data, "steps", line)
        if "steps" not in data:
            return None
        if not isinstance(raw_steps, list) or not raw_steps:
            self.problem(steps_line, "form.steps must be a non-empty list of steps")
            return None

        steps: list[Step] = []
        step_lines: dict[str, int] = {}
        field_lines: dict[str, int] = {}
        raw_fields: list[tuple[Mapping, int, Field]] = []
        for index, raw_step in enumerate(raw_steps):
            step_line = item_line(raw_steps, index, steps_line)
            step = self.step(raw_step, step_line, index, step_lines, field_lines, raw_fields)
            if step is not None:
                steps.append(step)
        self.cross_check({f.id: f for _, _, f in raw_fields}, known_ids=set(field_lines))
        if len(steps) != len(raw_steps):
            return None
        return tuple(steps)

    def step(
        self,
        value: Any,
        line: int,
        index: int,
        step_lines: dict[str, int],
        field_lines: dict[str, int],
        raw_fields: list[tuple[Mapping, int, Field]],
    ) -> Step | None:
        where = f"step {index + 1}"
        data = self.mapping(value, line, where)
        if data is None:
            return None
        line = getattr(data, "line", line)
        self.check_keys(data, where=where, allowed=_STEP_KEYS, required=("id", "title", "fields"))
        step_id = None
        if "id" in data:
            id_line = key_line(data, "id", line)
            step_id = self.identifier(data["id"], id_line, f"{where} id")
            if step_id is not None:
                where = f"step '{step_id}'"
                if step_id in step_lines:
                    self.problem(id_line, f"{where}: duplicate step id (first on line {step_lines[step_id]})")
                    step_id = None
                else:
                    step_lines[step_id] = id_line
        title = (
            self.localized(data["title"], key_line(data, "title", line), f"{where} title")
            if "title" in data
            else None
        )
        description = self.optional_localized(data, "description", where)
        raw = data.get("fields")
        fields_line = key_line(data, "fields", line)
        if "fields" in data and (not isinstance(raw, list) or not raw):
            self.problem(fields_line, f"{where}: fields must be a non-empty list of fields")
            return None
        fields: list[Field] = []
        ok = True
        for field_index, raw_field in enumerate(raw or []):
            field_line = item_line(raw, field_index, fields_line)
            built = self.field(raw_field, field_line, field_lines)
            if built is None:
                ok = False
            else:
                fields.append(built)
                raw_fields.append((raw_field, getattr(raw_field, "line", field_line), built))
        if step_id is None or title is None or not ok or "fields" not in data:
            return None
        return Step(id=step_id, title=title, description=description, fields=tuple(fields))

    def field(self, value: Any, line: int, field_lines: dict[str, int]) -> Field | None:
        data = self.mapping(value, line, "field")
        if data is None:
            return None
        line = getattr(data, "line", line)
        problems_before = len(self.problems)

        def kline(key: str) -> int:
            return key_line(data, key, line)

        field_id = None
        where = "field"
        if "id" in data:
            field_id = self.identifier(data["id"], kline("id"), "field id")
            if field_id is not None:
                where = f"field '{field_id}'"
                if field_id in field_lines:
                    self.problem(
                        kline("id"),
                        f"{where}: duplicate field id (first on line {field_lines[field_id]}); "
                        "field ids must be unique across the whole form",
                    )
                else:
                    field_lines[field_id] = kline("id")
        field_type = None
        if "type" in data:
            field_type = self.choice(data["type"], kline("type"), f"{where} type", registry.names())
        # An unknown type was reported (or, in a stored spec, is read leniently): read every key any type
        # allows, without adding noise about them.
        kind = registry.get(field_type) if field_type in registry else UnknownType(field_type)
        allowed = _FIELD_COMMON_KEYS + kind.keys
        self.check_keys(
            data, where=where, allowed=allowed, required=("id", "type", "label"), field_type=field_type
        )

        if self.strict:  # keys not used by this type were reported above; do not look at them again
            data = _filtered(data, allowed)
        label = self.localized(data["label"], kline("label"), f"{where} label") if "label" in data else None
        help_text = self.optional_localized(data, "help", where)
        required = (
            self.boolean(data["required"], kline("required"), f"{where} required")
            if "required" in data
            else False
        )
        required_if = None
        if "required_if" in data:
            required_if = self.condition(data["required_if"], kline("required_if"), where)
            if required_if is not None and field_id is not None:
                self.conditions.append((where, kline("required_if"), field_id, required_if))
            if required:
                self.problem(
                    kline("required_if"), f"{where}: use either required: true or required_if, not both"
                )

        kwargs: dict[str, Any] = {}
        if "autocomplete" in data:
            kwargs["autocomplete"] = self.choice(
                data["autocomplete"], kline("autocomplete"), f"{where} autocomplete", AUTOCOMPLETE_TOKENS
            )
            kind.check_autocomplete(self, kwargs["autocomplete"], kline("autocomplete"), where)
        if field_type in registry:
            self.fields_of_type.setdefault(kind, []).append((where, kline("type")))
        # The keys of the type: read by the type, with its own checks.
        kwargs.update(kind.parse(self, YamlField(data=data, where=where, line=line, key_line=kline)))

        if len(self.problems) > problems_before or field_id is None or field_type is None or label is None:
            return None
        return Field(
            id=field_id,
            type=field_type,
            label=label,
            help=help_text,
            required=bool(required),
            required_if=required_if,
            **kwargs,
        )

    def condition(self, value: Any, line: int, where: str) -> Condition | None:
        data = self.mapping(value, line, f"{where} required_if ({{field: ..., equals: ...}})")
        if data is None:
            return None
        line = getattr(data, "line", line)
        self.check_keys(
            data, where=f"{where} required_if", allowed=("field", *_CONDITION_OPERATORS), required=("field",)
        )
        operators = [op for op in _CONDITION_OPERATORS if op in data]
        if len(operators) != 1:
            self.problem(line, f"{where} required_if needs exactly one of equals, in, filled")
            return None
        target = self.identifier(
            data.get("field"), key_line(data, "field", line), f"{where} required_if field"
        )
        operator = operators[0]
        raw = data[operator]
        op_line = key_line(data, operator, line)
        if operator == "filled":
            value_ok = self.boolean(raw, op_line, f"{where} required_if filled")
            cond_value: Any = value_ok
        elif operator == "in":
            if not isinstance(raw, list) or not raw or not all(self.condition_scalar(v) for v in raw):
                self.problem(op_line, f"{where} required_if in: must be a non-empty list of values")
                return None
            cond_value = tuple(raw)
        else:
            if not self.condition_scalar(raw):
                self.problem(op_line, f"{where} required_if equals: must be a text, number or true/false")
                return None
            cond_value = raw
        if target is None or cond_value is None:
            return None
        return Condition(field=target, operator=operator, value=cond_value)

    @staticmethod
    def condition_scalar(value: Any) -> bool:
        return isinstance(value, str | int | bool)

    def pattern(self, value: Any, line: int, where: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.problem(line, f"{where} pattern must be a regular expression in quotes")
            return None
        try:
            re.compile(value)
        except re.error as exc:
            self.problem(line, f"{where}: pattern is not a valid regular expression ({exc})")
            return None
        return value

    def accept(self, value: Any, line: int, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problem(line, f"{where}: accept must be a list such as [application/pdf, image/jpeg]")
            return ()
        types: list[str] = []
        for index, item in enumerate(value):
            item_type = self.choice(item, item_line(value, index, line), f"{where} accept", FILE_TYPES)
            if item_type is not None and item_type not in types:
                types.append(item_type)
        return tuple(types)

    def date_bound(self, value: Any, line: int, where: str) -> str | None:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if value == "today":
            return "today"
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.problem(line, f"{where} must be 'today' or a date such as 2020-04-01, not {value!r}")
        return None

    def cross_check(self, fields: Mapping[str, Field], *, known_ids: set[str]) -> None:
        """Checks that need the whole form: required_if and autofill_from name real fields."""
        for where, line, field_id, cond in self.conditions:
            target = fields.get(cond.field)
            if cond.field == field_id:
                self.problem(line, f"{where}: required_if cannot refer to the field itself")
            elif cond.field not in known_ids:
                hint = did_you_mean(cond.field, sorted(known_ids))
                self.problem(line, f"{where}: required_if names unknown field '{cond.field}'{hint}")
            elif target is None:
                pass  # the target field has problems of its own, already reported
            elif target.options and cond.operator in ("equals", "in"):
                wanted = cond.value if cond.operator == "in" else (cond.value,)
                values = {o.value for o in target.options}
                for item in wanted:
                    if item not in values:
                        self.problem(
                            line,
                            f"{where}: required_if value {item!r} is not an option of '{target.id}' "
                            f"({', '.join(sorted(values))})",
                        )
            elif (
                target.kind.is_yes_no(target)
                and cond.operator == "equals"
                and not isinstance(cond.value, bool)
            ):
                self.problem(line, f"{where}: '{target.id}' is a yes/no box; use equals: true or false")
        for where, line, source_id in self.autofills:
            source = fields.get(source_id)
            if source_id not in known_ids:
                self.problem(line, f"{where}: autofill_from names unknown field '{source_id}'")
            elif source is not None and not source.kind.address_source:
                self.problem(
                    line, f"{where}: autofill_from must name a postal_code field, not a {source.type}"
                )

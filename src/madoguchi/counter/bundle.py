"""The combined form of a pre-fill bundle (まとめて入力): several procedures' forms in one pass.

Pure Python, no Django (import-linter contract). `build_plan` takes the forms a resident chose and lays them
out as pages: first one page of the fields that several forms share, each asked **once**, then each form's
own fields, step by step. Two fields are the same question when they have the same `prefill` key
(`person.name`, `person.birth_date`, `person.address`, `person.phone` …), or, without one, the same id, type
and Japanese label (so that two different consent boxes that are both called `agree` stay apart).

Every value is validated with the procedure's own form (`procedures.schema.validate`): a shared answer is
checked against every form that asks it. File fields are not asked (the documents are shown at the counter)
and fields asked only on submission (a 個人番号) are never part of a bundle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from madoguchi.procedures import schema
from madoguchi.procedures.fields import registry
from madoguchi.procedures.spec import Field, Localized, ProcedureSpec, Step

SHARED_PAGE = "shared"
FORM_PAGE = "form"
UPLOAD_TYPES = registry.names_where("is_upload")
SUBMIT_ONLY_TYPES = registry.names_where("submit_only")


def counter_form(spec: ProcedureSpec) -> ProcedureSpec:
    """The form as a bundle and the counter ask it: no file fields (the documents are shown at the counter)
    and no field asked only on submission (a 個人番号 is never kept)."""
    return spec.without_field_types((*UPLOAD_TYPES, *SUBMIT_ONLY_TYPES))


def share_key(f: Field) -> str | None:
    """What makes two fields of different forms one question, or None for a field never shared."""
    if f.kind.is_upload or f.kind.submit_only:
        return None
    if f.prefill:
        return f"prefill:{f.prefill}"
    return f"field:{f.id}:{f.type}:{f.label.ja}"


@dataclass(frozen=True)
class Target:
    slug: str
    field_id: str


@dataclass(frozen=True)
class SharedField:
    """One question asked once for several forms; `field` is the first form's field, renamed `name`."""

    name: str
    key: str
    field: Field
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Page:
    kind: str  # SHARED_PAGE or FORM_PAGE
    slug: str = ""  # the form of a FORM_PAGE
    step_id: str = ""
    fields: tuple[Field, ...] = ()  # FORM_PAGE: the form's own fields of the step (shared ones left out)


@dataclass(frozen=True)
class Plan:
    slugs: tuple[str, ...]
    specs: Mapping[str, ProcedureSpec]  # counter_form of each
    shared: tuple[SharedField, ...]
    pages: tuple[Page, ...]
    not_asked: Mapping[str, tuple[Field, ...]]  # per form: the file fields (documents to bring)

    def shared_spec(self) -> ProcedureSpec | None:
        """A form of the shared questions only (their renamed fields), to render and autofill that page."""
        if not self.shared:
            return None
        title = Localized(ja="共通の項目", en="Common details")
        step = Step(id=SHARED_PAGE, title=title, fields=tuple(s.field for s in self.shared))
        return replace(self.specs[self.slugs[0]], steps=(step,))

    def shared_of(self, slug: str) -> dict[str, SharedField]:
        """field id → the shared question that answers it, for one form."""
        return {t.field_id: s for s in self.shared for t in s.targets if t.slug == slug}

    def form_values(self, values: Mapping[str, Any], slug: str) -> dict[str, Any]:
        """The raw values of one form: its own answers and the shared answers under its field ids.

        `values` is {"shared": {key: raw}, "forms": {slug: {field id: raw}}}.
        """
        own = dict((values.get("forms") or {}).get(slug) or {})
        shared = values.get("shared") or {}
        for field_id, question in self.shared_of(slug).items():
            if question.key in shared:
                own[field_id] = shared[question.key]
        return own


def build_plan(forms: Sequence[tuple[str, ProcedureSpec]]) -> Plan:
    """Lay out the forms (slug, full spec), in the order given, as the pages of one pass."""
    specs = {slug: counter_form(spec) for slug, spec in forms}
    owners: dict[str, list[Target]] = {}
    first: dict[str, Field] = {}
    for slug, spec in specs.items():
        for f in spec.fields:
            key = share_key(f)
            if key is None or any(t.slug == slug for t in owners.get(key, ())):
                continue
            owners.setdefault(key, []).append(Target(slug, f.id))
            first.setdefault(key, f)
    shared_keys = [key for key, targets in owners.items() if len(targets) > 1]
    names = {key: f"shared_{index + 1}" for index, key in enumerate(shared_keys)}
    by_target = {(t.slug, t.field_id): names[key] for key in shared_keys for t in owners[key]}
    shared = []
    for key in shared_keys:
        f = first[key]
        owner = owners[key][0].slug
        required = any(specs[t.slug].field(t.field_id).required for t in owners[key])
        autofill = by_target.get((owner, f.autofill_from)) if f.autofill_from else None
        renamed = replace(f, id=names[key], required=required, required_if=None, autofill_from=autofill)
        shared.append(SharedField(name=names[key], key=key, field=renamed, targets=tuple(owners[key])))
    pages: list[Page] = [Page(SHARED_PAGE)] if shared else []
    for slug, spec in specs.items():
        for step in spec.steps:
            own = tuple(f for f in step.fields if (slug, f.id) not in by_target)
            if own:
                pages.append(Page(FORM_PAGE, slug=slug, step_id=step.id, fields=own))
    not_asked = {slug: tuple(f for f in spec.fields if f.kind.is_upload) for slug, spec in forms}
    return Plan(
        slugs=tuple(specs), specs=specs, shared=tuple(shared), pages=tuple(pages), not_asked=not_asked
    )


@dataclass
class PageResult:
    """What one page's answers give: the values to keep, and messages/suggestions by input name."""

    values: dict[str, Any]
    errors: dict[str, list[schema.Message]]
    suggestions: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _merge_messages(into: list[schema.Message], messages: Sequence[schema.Message]) -> None:
    seen = {(m.ja, m.en) for m in into}
    for message in messages:
        if (message.ja, message.en) not in seen:
            into.append(message)
            seen.add((message.ja, message.en))


def apply_page(
    plan: Plan, values: Mapping[str, Any], page: Page, raw: Mapping[str, Any], *, today: dt.date
) -> PageResult:
    """Keep a page's raw answers in `values` (whatever they are, so nothing typed is lost) and validate
    them with each form that asks them. Errors and suggestions are keyed by the page's input names."""
    new_values = {
        "shared": dict(values.get("shared") or {}),
        "forms": {slug: dict(v) for slug, v in (values.get("forms") or {}).items()},
    }
    errors: dict[str, list[schema.Message]] = {}
    suggestions: dict[str, str] = {}
    if page.kind == SHARED_PAGE:
        for question in plan.shared:
            if question.name in raw:
                new_values["shared"][question.key] = raw[question.name]
        for question in plan.shared:
            for target in question.targets:
                result = schema.validate(
                    plan.specs[target.slug], plan.form_values(new_values, target.slug), today=today
                )
                if target.field_id in result.errors:
                    _merge_messages(errors.setdefault(question.name, []), result.errors[target.field_id])
                if target.field_id in result.suggestions:
                    suggestions.setdefault(question.name, result.suggestions[target.field_id])
        return PageResult(new_values, errors, suggestions)
    form = new_values["forms"].setdefault(page.slug, {})
    for f in page.fields:
        if f.id in raw:
            form[f.id] = raw[f.id]
    result = schema.validate(
        plan.specs[page.slug], plan.form_values(new_values, page.slug), step_id=page.step_id, today=today
    )
    own = {f.id for f in page.fields}
    errors = {key: list(messages) for key, messages in result.errors.items() if key in own}
    suggestions = {key: text for key, text in result.suggestions.items() if key in own}
    return PageResult(new_values, errors, suggestions)


def validate_all(plan: Plan, values: Mapping[str, Any], *, today: dt.date) -> dict[str, schema.Result]:
    """Every form validated whole with its own rules: slug → Result."""
    return {
        slug: schema.validate(plan.specs[slug], plan.form_values(values, slug), today=today)
        for slug in plan.slugs
    }


def first_page_with_errors(plan: Plan, results: Mapping[str, schema.Result]) -> int | None:
    """The index of the first page that holds a field with an error, or None when every form is valid."""
    for index, page in enumerate(plan.pages):
        if page.kind == SHARED_PAGE:
            if any(t.field_id in results[t.slug].errors for s in plan.shared for t in s.targets):
                return index
        elif any(f.id in results[page.slug].errors for f in page.fields):
            return index
    return None


def version_changes(old: ProcedureSpec, new: ProcedureSpec) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """What changed between two versions of a form: (fields added, fields removed), by field id."""
    old_ids = {f.id for f in old.fields}
    new_ids = {f.id for f in new.fields}
    return (
        tuple(f for f in new.fields if f.id not in old_ids),
        tuple(f for f in old.fields if f.id not in new_ids),
    )


def carry_over(
    values: Mapping[str, Any], target: ProcedureSpec, sources: Mapping[str, Any]
) -> dict[str, Any]:
    """Fill a form's empty fields from the answers of other forms of the same visit (a follow-on
    procedure): `sources` maps share_key → value. Fields already answered keep their value."""
    filled = dict(values)
    for f in target.fields:
        key = share_key(f)
        if key is not None and key in sources and f.kind.is_empty(f, filled.get(f.id)):
            filled[f.id] = sources[key]
    return filled


def share_sources(forms: Mapping[str, tuple[ProcedureSpec, Mapping[str, Any]]]) -> dict[str, Any]:
    """share_key → the first non-empty answer among forms {slug: (spec, values)}."""
    sources: dict[str, Any] = {}
    for spec, values in forms.values():
        for f in spec.fields:
            key = share_key(f)
            value = values.get(f.id)
            if key is not None and key not in sources and not f.kind.is_empty(f, value):
                sources[key] = value
    return sources

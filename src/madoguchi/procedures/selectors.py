"""Reading the procedure catalog: search and filters for the portal, one procedure, its parsed spec."""

from __future__ import annotations

import unicodedata
from threading import Lock
from typing import Any

import jaconv
from django.conf import settings

from .fields import registry
from .forms.layout import FormLayout, layout_form
from .models import Procedure, ProcedureVersion
from .spec import ProcedureSpec


def _fold(text: str) -> str:
    """Search form of a text: NFKC (width), case-folded, katakana as hiragana (ジュウミン = じゅうみん)."""
    return jaconv.kata2hira(unicodedata.normalize("NFKC", text).casefold())


def catalog(
    *, query: str = "", department: str | None = None, life_event: str | None = None, lang: str = "ja"
) -> list[Procedure]:
    """Active procedures matching every word of `query` in their name or description (ja or en).

    Filters by department code and life-event tag. Procedures whose name in `lang` matches come first,
    then those whose name in the other language matches, then those matched by their description only;
    within each group, in catalog order (department, then slug).
    """
    procedures = (
        Procedure.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("department", "current_version")
        .defer("current_version__print_layout")
        .order_by("department__code", "slug")
    )
    if department:
        procedures = procedures.filter(department__code=department)
    candidates = list(procedures)
    if life_event:
        candidates = [p for p in candidates if life_event in (p.life_events or [])]
    terms = _fold(query).split()
    if not terms:
        return candidates

    other_lang = "ja" if lang == "en" else "en"
    groups: tuple[list[Procedure], list[Procedure], list[Procedure]] = ([], [], [])
    for procedure in candidates:
        description = procedure.current_version.spec.get("description", {})
        texts = (
            _fold(procedure.name_for(lang)),
            _fold(procedure.name_for(other_lang)),
            _fold(" ".join([procedure.name_ja, procedure.name_en, *description.values()])),
        )
        for group, text in zip(groups, texts, strict=True):
            if all(term in text for term in terms):
                group.append(procedure)
                break
    return [procedure for group in groups for procedure in group]


def get_procedure(slug: str) -> Procedure | None:
    """The active procedure `slug` with its department and current version, or None.

    The version's stored definition is not loaded: `spec_of` reads it once per version and process and
    caches the parsed spec, so decoding the JSON on every request would be wasted.
    """
    return (
        Procedure.objects.filter(slug=slug, is_active=True, current_version__isnull=False)
        .select_related("department", "current_version")
        .defer("current_version__spec", "current_version__print_layout")
        .first()
    )


# The field types (my_number) asked only while MADOGUCHI_MY_NUMBER_ENABLED is on.
MY_NUMBER_TYPES = registry.names_where("holds_my_number")
_spec_cache: dict[tuple[int, str, bool], ProcedureSpec] = {}
_spec_cache_lock = Lock()


def my_number_enabled() -> bool:
    """MADOGUCHI_MY_NUMBER_ENABLED: whether forms ask for a 個人番号 at all (off by default)."""
    return bool(getattr(settings, "MY_NUMBER_ENABLED", False))


def spec_of(version: ProcedureVersion) -> ProcedureSpec:
    """The parsed spec of a version as this installation asks it, cached per version id (versions never change).

    While MADOGUCHI_MY_NUMBER_ENABLED is off, its `my_number` fields are left out: every form, validation,
    display and API schema built from this spec then neither asks for a 個人番号 nor accepts one.
    """
    enabled = my_number_enabled()
    key = (version.pk, version.sha256, enabled)
    cached = _spec_cache.get(key)
    if cached is not None:
        return cached
    spec = ProcedureSpec.from_json(version.spec)
    if not enabled:
        spec = spec.without_field_types(MY_NUMBER_TYPES)
    with _spec_cache_lock:
        _spec_cache[key] = spec
    return spec


def published_spec(version: ProcedureVersion) -> dict[str, Any]:
    """The stored definition of a version for API clients, as `spec_of` asks it (no my_number field while
    My Number handling is switched off)."""
    stored = version.spec
    asks_my_number = any(
        field.get("type") in MY_NUMBER_TYPES
        for step in stored.get("form", {}).get("steps", [])
        for field in step.get("fields", [])
    )
    return spec_of(version).to_json() if asks_my_number and not my_number_enabled() else stored


_layout_cache: dict[tuple[int, str, bool], FormLayout] = {}


def form_layout(procedure_or_version: Procedure | ProcedureVersion) -> FormLayout:
    """The printed form's layout of a version (of a procedure's current version), as this installation prints it.

    That is the layout stored with the version (`print_layout`, laid out when it was published; a version
    without one is laid out now and the result stored, once). While MADOGUCHI_MY_NUMBER_ENABLED is off, a
    version with a `my_number` field is printed without it, as `spec_of` asks it: that layout is laid out from
    that spec (and cached), not stored. The paper intake reads scans with the same function.
    """
    version = (
        procedure_or_version.current_version
        if isinstance(procedure_or_version, Procedure)
        else procedure_or_version
    )
    if version is None:
        raise ValueError(f"{procedure_or_version} has no published version")
    enabled = my_number_enabled()
    key = (version.pk, version.sha256, enabled)
    cached = _layout_cache.get(key)
    if cached is not None:
        return cached
    spec = spec_of(version)
    stored_fields = sum(len(step.get("fields", [])) for step in version.spec.get("form", {}).get("steps", []))
    if len(spec.fields) != stored_fields:
        layout = layout_form(spec)  # printed without the fields this installation does not ask
    else:
        layout = FormLayout.from_json(stored_layout(version))
    with _spec_cache_lock:
        _layout_cache[key] = layout
    return layout


def stored_layout(version: ProcedureVersion) -> dict[str, Any]:
    """The layout JSON stored with `version`; laid out from its stored spec and saved when it has none yet."""
    stored = (
        ProcedureVersion.objects.filter(pk=version.pk).values_list("print_layout", flat=True).first()
        if "print_layout" in version.get_deferred_fields()
        else version.print_layout
    )
    if stored is None:
        stored = layout_form(ProcedureSpec.from_json(version.spec)).to_json()
        # Derived data, written once: a published version's content (its spec) never changes.
        ProcedureVersion.objects.filter(pk=version.pk, print_layout__isnull=True).update(print_layout=stored)
    version.print_layout = stored
    return stored

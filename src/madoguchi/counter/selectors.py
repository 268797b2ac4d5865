"""Reads of the life-event guide: the guide files, the published procedures they name, department names, and
the answers the register (住民記録) gives for a verified resident.

Guide files are read from `guides_directory()` and parsed once per file and process; a changed file (its
modification time or size) is parsed again on the next request, so an edit needs no restart. A file with
problems is left out of the portal and logged; `madoguchi guides check` lists its problems.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from django.conf import settings

from madoguchi.accounts import selectors as account_selectors
from madoguchi.accounts.models import Department
from madoguchi.counter import guide as engine
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.residents import selectors as resident_selectors

logger = logging.getLogger(__name__)

_GUIDE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_cache: dict[Path, tuple[tuple[int, int], engine.Guide | None]] = {}
_cache_lock = Lock()


def guides_directory() -> Path:
    """settings.GUIDES_DIR when set, else `guides/` next to the procedures directory."""
    configured = getattr(settings, "GUIDES_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.PROCEDURES_DIR).parent / "guides"


def _load(path: Path) -> engine.Guide | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        guide: engine.Guide | None = engine.load_guide_file(path)
    except engine.GuideFileError as exc:
        logger.error("Guide file %s is not shown: it has problems (madoguchi guides check):\n%s", path, exc)
        guide = None
    with _cache_lock:
        _cache[path] = (key, guide)
    return guide


def guides() -> list[engine.Guide]:
    """Every valid guide, by `order` then id."""
    directory = guides_directory()
    if not directory.is_dir():
        return []
    loaded = [_load(path) for path in sorted(directory.glob("*.yaml"))]
    return sorted((g for g in loaded if g is not None), key=lambda g: (g.order, g.id))


def get_guide(guide_id: str) -> engine.Guide | None:
    """The guide `guide_id` (the file name without .yaml), or None when there is no valid one."""
    if not _GUIDE_ID_RE.match(guide_id or ""):
        return None
    return _load(guides_directory() / f"{guide_id}.yaml")


def procedure_refs() -> dict[str, engine.ProcedureRef]:
    """The active procedures of the catalog as the guide uses them (online only while the catalog says so)."""
    refs = {}
    for procedure in procedure_selectors.catalog():
        spec = procedure_selectors.spec_of(procedure.current_version)
        refs[procedure.slug] = engine.ProcedureRef.from_spec(
            spec, online=bool(procedure.online and spec.online)
        )
    return refs


def department_names(lang: str) -> dict[str, str]:
    """Department code → its name in `lang`, as the installation calls it (accounts.Department)."""
    return {d.code: d.name_for(lang) for d in Department.objects.all()}


@dataclass(frozen=True)
class RegistryAnswers:
    """What the register answers for one guide: question id → yes/no, and an event date (or None)."""

    answers: dict[str, str]
    event_date: dt.date | None

    def __bool__(self) -> bool:
        return bool(self.answers) or self.event_date is not None


def registry_answers_for(
    user, guide: engine.Guide, *, today: dt.date, event_date: dt.date | None = None
) -> RegistryAnswers | None:
    """The guide's `prefill` answers for a resident whose account is linked to the register (verified).

    Only birth dates are read: the resident's own (accounts.selectors.active_link_of, as form pre-fill does)
    and those of the household on the day (residents.selectors.household_members_as_of). Nothing is shown
    but yes/no answers and the date the resident reaches an age. Like form pre-fill, a resident's read of
    their own register record is not an audited staff access; no address is read, so no 支援措置 refusal.
    None for everyone else, and when the guide pre-fills nothing.
    """
    wants_household = any(q.prefill and q.prefill.startswith("household.") for q in guide.questions)
    wants_person = any(q.prefill and q.prefill.startswith("person.") for q in guide.questions) or bool(
        guide.event_date is not None and guide.event_date.prefill
    )
    if not (wants_household or wants_person):
        return None
    link = account_selectors.active_link_of(user)
    if link is None or link.assurance_level not in account_selectors.ASSURANCE_FOR_IDENTITY_LEVEL["verified"]:
        return None
    person = link.person
    birth_date = None if person.birth_date_text else person.birth_date
    household: list[engine.HouseholdMember] = []
    if wants_household:
        members = resident_selectors.household_members_as_of(person.household.number, event_date or today)
        household = [engine.HouseholdMember(m.birth_date, is_self=m.person_id == person.pk) for m in members]
    answers, prefilled_date = engine.registry_answers(
        guide, birth_date=birth_date, household=household, today=today, event_date=event_date
    )
    return RegistryAnswers(answers=answers, event_date=prefilled_date)


def online_procedures_for(
    guide: engine.Guide, answers: dict[str, str], *, event_date: dt.date | None = None
) -> list[engine.ProcedureRef]:
    """The online procedures a guide's answers certainly call for, in the guide's order: what a resident can
    fill in at once for the counter (a pre-fill bundle)."""
    refs = procedure_refs()
    return [
        refs[item.procedure]
        for item in engine.evaluate(guide, answers, procedures=refs, event_date=event_date)
        if item.procedure and item.certain and item.where.kind == "online"
    ]


@dataclass(frozen=True)
class Suggestion:
    """A procedure of procedures/ that a guide names for the answers: certain, or depending on a question."""

    ref: engine.ProcedureRef
    certain: bool


def procedures_for(
    guide: engine.Guide, answers: dict[str, str], *, event_date: dt.date | None = None
) -> list[Suggestion]:
    """Every procedure of procedures/ (online or done at a window) the guide names for the answers: the forms
    a clerk can fill in at the counter, in the guide's order."""
    refs = procedure_refs()
    return [
        Suggestion(refs[item.procedure], item.certain)
        for item in engine.evaluate(guide, answers, procedures=refs, event_date=event_date)
        if item.procedure
    ]

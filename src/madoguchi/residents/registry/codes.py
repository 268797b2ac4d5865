"""The registry's code lists (residents/codes/*.yaml): 続柄, 異動事由, 住民状態, 住民種別, 在留資格.

Each file names its source and version; this module reads them once and checks their shape, so a broken
edit fails at start-up rather than in the middle of an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CODES_DIR = Path(__file__).resolve().parent.parent / "codes"
FORMAT = "madoguchi-codes/1"
EFFECTS = frozenset({"register", "remove", "update", "sync"})
EVENTS = frozenset(
    {
        "resident.moved_in",
        "resident.moved_out",
        "resident.moved_within",
        "resident.born",
        "resident.died",
        "resident.household_changed",
        "resident.record_changed",
    }
)


class CodeListError(Exception):
    """A code list file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a simple code list (住民状態, 住民種別)."""

    code: str
    name: str
    en: str
    flag: bool  # 住民状態: active (住登内); 住民種別: foreign


@dataclass(frozen=True, slots=True)
class ChangeReason:  # 異動事由
    code: str
    name: str
    en: str
    effect: str  # register, remove, update or sync
    requires_active: bool  # update reasons: only for a person who is a resident now
    statuses: tuple[str, ...]  # remove reasons: the 住民状態 the person may have afterwards
    event: str  # "" for sync reasons
    moved_on_is_birth_date: bool
    madoguchi: bool  # a Madoguchi code, not a 異動 of the standard


@dataclass(frozen=True, slots=True)
class ResidenceStatus:  # 在留資格 or another 第30条の45 category
    name: str
    expiry: str  # required, none or optional


@dataclass(frozen=True, slots=True)
class RelationshipTerms:
    standalone: frozenset[str]
    chainable: frozenset[str]
    max_chain_terms: int
    not_standard: dict[str, str]  # common word → the standard form to write instead
    english: dict[str, str]


@dataclass(frozen=True, slots=True)
class CodeList:
    """Codes by code, and a lookup that also takes the Japanese name or an alias."""

    name: str
    version: str
    source: str
    by_code: dict[str, Any]
    lookup: dict[str, str]  # code, name or alias → code

    def resolve(self, text: str) -> str | None:
        return self.lookup.get(text)


def _load(file_name: str) -> dict[str, Any]:
    path = CODES_DIR / file_name
    with path.open(encoding="utf-8") as handle:
        import yaml  # here: PyYAML is not needed at every start of a command

        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CodeListError(f"{path}: expected a mapping with format: {FORMAT}")
    for key in ("name", "version", "source"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise CodeListError(f"{path}: `{key}` is missing")
    return data


def _code_list(file_name: str, build) -> CodeList:
    data = _load(file_name)
    by_code: dict[str, Any] = {}
    lookup: dict[str, str] = {}
    for index, entry in enumerate(data.get("codes") or []):
        where = f"{CODES_DIR / file_name}: entry {index + 1}"
        if not isinstance(entry, dict) or not entry.get("name"):
            raise CodeListError(f"{where}: needs at least a name")
        item = build(entry, where)
        code = str(entry.get("code", entry["name"]))
        if code in by_code:
            raise CodeListError(f"{where}: code {code} appears twice")
        by_code[code] = item
        for key in (code, entry["name"], *(entry.get("aliases") or [])):
            if lookup.setdefault(str(key), code) != code:
                raise CodeListError(f"{where}: {key} already names code {lookup[str(key)]}")
    if not by_code:
        raise CodeListError(f"{CODES_DIR / file_name}: no codes")
    return CodeList(data["name"], data["version"], data["source"], by_code, lookup)


def _simple(flag_key: str):
    def build(entry: dict[str, Any], where: str) -> Code:
        if not isinstance(entry.get(flag_key), bool):
            raise CodeListError(f"{where}: `{flag_key}` must be true or false")
        return Code(str(entry["code"]), entry["name"], entry.get("en", ""), entry[flag_key])

    return build


def _reason(entry: dict[str, Any], where: str) -> ChangeReason:
    effect = entry.get("effect")
    if effect not in EFFECTS:
        raise CodeListError(f"{where}: effect must be one of {sorted(EFFECTS)}")
    event = entry.get("event", "")
    if (effect == "sync") != (not event) or (event and event not in EVENTS):
        raise CodeListError(f"{where}: every reason but a sync one has an event from {sorted(EVENTS)}")
    requires = entry.get("requires", "active" if effect == "update" else "any")
    if requires not in ("active", "any"):
        raise CodeListError(f"{where}: requires must be active or any")
    statuses = tuple(entry.get("statuses") or ())
    if (effect == "remove") != bool(statuses):
        raise CodeListError(f"{where}: a remove reason lists the statuses it leads to, and only it")
    return ChangeReason(
        code=str(entry["code"]),
        name=entry["name"],
        en=entry.get("en", ""),
        effect=effect,
        requires_active=effect == "update" and requires == "active",
        statuses=statuses,
        event=event,
        moved_on_is_birth_date=bool(entry.get("moved_on_is_birth_date")),
        madoguchi=bool(entry.get("madoguchi")),
    )


def _residence(entry: dict[str, Any], where: str) -> ResidenceStatus:
    if entry.get("expiry") not in ("required", "none", "optional"):
        raise CodeListError(f"{where}: expiry must be required, none or optional")
    return ResidenceStatus(entry["name"], entry["expiry"])


@cache
def change_reasons() -> CodeList:
    """異動事由 by code (values: ChangeReason)."""
    return _code_list("change_reasons.yaml", _reason)


@cache
def resident_statuses() -> CodeList:
    """住民状態 by code (values: Code with flag = active)."""
    return _code_list("resident_statuses.yaml", _simple("active"))


@cache
def resident_types() -> CodeList:
    """住民種別 by code (values: Code with flag = foreign)."""
    return _code_list("resident_types.yaml", _simple("foreign"))


@cache
def residence_statuses() -> CodeList:
    """在留資格 by name (values: ResidenceStatus)."""
    return _code_list("residence_statuses.yaml", _residence)


@cache
def relationship_terms() -> RelationshipTerms:
    data = _load("relationships.yaml")
    english: dict[str, str] = {}
    groups: dict[str, frozenset[str]] = {}
    for group in ("standalone", "chainable"):
        terms = []
        for entry in data.get(group) or []:
            if not isinstance(entry, dict) or not entry.get("term") or "の" in entry["term"]:
                raise CodeListError(f"relationships.yaml: {group}: each entry needs a term without の")
            terms.append(entry["term"])
            english[entry["term"]] = entry.get("en", "")
        groups[group] = frozenset(terms)
    max_terms = data.get("max_chain_terms")
    if not isinstance(max_terms, int) or max_terms < 1:
        raise CodeListError("relationships.yaml: max_chain_terms must be a positive number")
    not_standard = {str(k): str(v) for k, v in (data.get("not_standard") or {}).items()}
    return RelationshipTerms(groups["standalone"], groups["chainable"], max_terms, not_standard, english)


ACTIVE_STATUS = "1"  # 住民状態 住民 (住登内)
JAPANESE = "1"  # 住民種別 日本人住民
INITIAL_LOAD = "00"  # 異動事由 初期登録 (Madoguchi)
FULL_FILE_UPDATE = "90"  # 異動事由 全件ファイルによる更新 (Madoguchi)


def is_active_status(code: str) -> bool:
    return resident_statuses().by_code[code].flag

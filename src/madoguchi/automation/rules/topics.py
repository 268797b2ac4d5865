"""The events rules listen to, and the fields of each event's payload (what a condition may name).

An event topic is declared here once, with every field its payload carries (as the emitting room writes it:
`residents.importer._emit`, `cases.services`, the benefits room's tax import, the automation room's daily
65th-birthday job) and the fields the engine derives from them (`age`). A condition or a text placeholder
naming a field that is not declared is refused when the rule is checked, with the list of fields it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One field of a payload: its CEL type (int, string, bool, list, date — an ISO date string) and meaning."""

    type: str
    help: str
    derived: bool = False  # computed by the engine from other fields, not sent by the emitter

    def default(self) -> Any:
        return {"int": 0, "string": "", "bool": False, "list": [], "date": ""}.get(self.type)


@dataclass(frozen=True)
class Topic:
    name: str
    help: str
    fields: Mapping[str, Field]
    # Topics whose events also fire this one's rules when `when` holds: case.approved is a case.status_changed.
    source: str = ""
    source_when: tuple[str, str] | None = None  # (field, value) of the source payload


def _resident_fields() -> dict[str, Field]:
    return {
        "person_id": Field("int", "the person (residents.Person id)"),
        "atena_number": Field("string", "宛名番号"),
        "household_number": Field("string", "世帯番号 after the change"),
        "previous_household_number": Field("string", "世帯番号 before the change (household changes only)"),
        "reason": Field("string", "異動事由 code (residents/codes/change_reasons.yaml)"),
        "reason_name": Field("string", "異動事由 name, e.g. 国内転入"),
        "moved_on": Field("date", "異動日"),
        "notified_on": Field("date", "届出日 (empty when unknown)"),
        "birth_date": Field("date", "生年月日"),
        "is_active": Field("bool", "a resident after the change"),
        "changed": Field("list", "the registry items that changed"),
        "registry_import_id": Field("int", "the registry file that brought the change"),
        "source_row": Field("int", "its row in that file"),
        "age": Field("int", "age in full years on 異動日 (from birth_date and moved_on)", derived=True),
    }


def _case_fields(*extra: tuple[str, Field]) -> dict[str, Field]:
    return {
        "case_id": Field("int", "the case"),
        "reference": Field("string", "the case reference shown to the applicant"),
        "applicant_id": Field("int", "the applicant's account (0 when none)"),
        **dict(extra),
    }


_STATUS_FIELDS = (
    ("action", Field("string", "the workflow action (approve, reject, request_info, …)")),
    ("from", Field("string", "status before")),
    ("to", Field("string", "status after")),
    ("visible_to_applicant", Field("bool", "the applicant is told")),
    ("note", Field("string", "the note shown to the applicant")),
)

TOPICS: dict[str, Topic] = {
    topic.name: topic
    for topic in (
        Topic("resident.moved_in", "転入 and other registrations (difference file)", _resident_fields()),
        Topic("resident.moved_out", "転出 and 職権消除 (difference file)", _resident_fields()),
        Topic("resident.born", "出生 (difference file)", _resident_fields()),
        Topic("resident.died", "死亡 and 失踪宣告 (difference file)", _resident_fields()),
        Topic(
            "resident.turned_65",
            "a resident's 65th birthday (daily job, once per person)",
            {
                "person_id": Field("int", "the person"),
                "atena_number": Field("string", "宛名番号"),
                "household_number": Field("string", "世帯番号"),
                "birth_date": Field("date", "生年月日"),
                "turned_65_on": Field("date", "the birthday"),
                "age": Field("int", "65", derived=True),
            },
        ),
        Topic(
            "case.submitted",
            "a case was submitted (any channel)",
            _case_fields(
                ("procedure", Field("string", "procedure slug")),
                ("department", Field("int", "the owning department's id")),
                ("channel", Field("string", "online, counter, paper, national_portal or api")),
            ),
        ),
        Topic("case.status_changed", "a case moved in its workflow", _case_fields(*_STATUS_FIELDS)),
        Topic(
            "case.approved",
            "a case was approved (a case.status_changed to approved)",
            _case_fields(*_STATUS_FIELDS),
            source="case.status_changed",
            source_when=("to", "approved"),
        ),
        Topic(
            "tax.record_corrected",
            "a 課税異動 correction imported by the benefits room",
            {
                "person_id": Field("int", "the person the tax record is of"),
                "household_number": Field("string", "世帯番号"),
                "fiscal_year": Field("int", "年度 of the tax record"),
                "changed": Field("list", "the tax record's fields that changed"),
                "programs": Field("list", "slugs of the benefit programs that used this record"),
            },
        ),
    )
}


def topics_fed_by(topic: str, payload: Mapping[str, Any]) -> list[str]:
    """The rule topics an emitted event fires: its own, plus derived ones (case.approved)."""
    names = [topic] if topic in TOPICS else []
    for derived in TOPICS.values():
        if derived.source == topic and derived.source_when is not None:
            field, value = derived.source_when
            if payload.get(field) == value:
                names.append(derived.name)
    return names


def _age_on(birth: str, day: str) -> int | None:
    try:
        born, on = dt.date.fromisoformat(birth), dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def complete_payload(topic: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as rules see it: every declared field (a missing one takes its type's empty value, a null
    becomes that empty value too), the derived fields computed, undeclared fields dropped."""
    fields = TOPICS[topic].fields
    out: dict[str, Any] = {}
    for name, field in fields.items():
        if field.derived:
            continue
        value = payload.get(name)
        out[name] = field.default() if value is None else value
    if "age" in fields:
        day = out.get("moved_on") or out.get("turned_65_on") or ""
        out["age"] = _age_on(out.get("birth_date", ""), day) or 0
    return out

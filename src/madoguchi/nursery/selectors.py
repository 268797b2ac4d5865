"""Reads for the nursery office pages: rounds, their summary and one row per child (no personal data:
children are shown by id and, when imported from a case, by its 受付番号)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from madoguchi.nursery.models import Round
from madoguchi.nursery.services import explanation_index, plain_explanation

FILTERS = ("all", "placed", "unplaced", "blocking", "overridden")


def rounds():
    return Round.objects.select_related("created_by").all()


def round_by_id(round_id: str) -> Round:
    return get_object_or_404(Round, round_id=round_id)


@dataclass
class ChildRow:
    child_id: str
    household_id: str
    age_class: int
    score: int
    choices: list[str]
    facility: str | None = None
    facility_name: str = ""
    kind: str = ""  # offered | stays | on_hold, empty before allocation
    headline: str = ""
    lines: list[str] = field(default_factory=list)
    blocking: bool = False
    overridden: bool = False
    case_reference: str = ""


# The engine's words for staff (the round summary showed 「stable（optimal）」).
OBJECTIVE_LABELS = {"stable": _("安定マッチング"), "municipal_sd": _("従来の手順（指数順）")}
SOLVER_STATUS_LABELS = {
    "optimal": _("最適解（証明済み）"),
    "feasible": _("実行可能解（最適性は未証明）"),
    "infeasible": _("条件を満たす割り当てなし"),
    "unknown": _("時間内に解が見つからず"),
}


def summary(rnd: Round) -> dict[str, Any]:
    doc = rnd.input
    children = sum(len(h["children"]) for h in doc["households"])
    out = {"households": len(doc["households"]), "children": children, "facilities": len(doc["facilities"])}
    if rnd.result:
        placed = sum(1 for v in rnd.result["assignments"].values() if v is not None)
        out.update(
            placed=placed, unplaced=children - placed, blocking_pairs=len(rnd.result["blocking_pairs"])
        )
        out["solver_status"] = rnd.result.get("status", "")
        out["solver_status_label"] = SOLVER_STATUS_LABELS.get(out["solver_status"], out["solver_status"])
    out["objective_label"] = OBJECTIVE_LABELS.get(rnd.objective, rnd.objective)
    return out


def child_rows(rnd: Round, *, lang: str, show: str = "all", query: str = "") -> list[ChildRow]:
    doc, result = rnd.input, rnd.result
    names = {f["id"]: f.get("name") or f["id"] for f in doc["facilities"]}
    blocking = {p["household"] for p in (result or {}).get("blocking_pairs", [])}
    overridden = set(rnd.overrides.values_list("child_id", flat=True))
    references = dict(rnd.case_links.values_list("child_id", "case__reference"))
    index = explanation_index(doc)
    rows = []
    for household in doc["households"]:
        for j, child in enumerate(household["children"]):
            row = ChildRow(
                child_id=child["id"],
                household_id=household["id"],
                age_class=child["age_class"],
                score=household["score"],
                choices=[names.get(t[j], t[j]) if t[j] else "—" for t in household["preferences"]],
                blocking=household["id"] in blocking,
                overridden=child["id"] in overridden,
                case_reference=references.get(child["id"], ""),
            )
            if result:
                row.facility = result["assignments"].get(child["id"])
                row.facility_name = names.get(row.facility, "") if row.facility else ""
                row.kind, row.headline, row.lines = plain_explanation(
                    doc, result, child["id"], lang, index=index
                )
            rows.append(row)
    query = query.strip().lower()
    if query:
        rows = [
            r
            for r in rows
            if query in r.child_id.lower()
            or query in r.household_id.lower()
            or query in r.case_reference.lower()
        ]
    if show == "placed":
        rows = [r for r in rows if r.facility]
    elif show == "unplaced":
        rows = [r for r in rows if result and not r.facility]
    elif show == "blocking":
        rows = [r for r in rows if r.blocking]
    elif show == "overridden":
        rows = [r for r in rows if r.overridden]
    return rows


def child_choices(rnd: Round, child_id: str) -> list[tuple[str, str]] | None:
    """(facility id, label) the child's household listed for it, or None if the child is not in the round."""
    names = {f["id"]: f.get("name") or f["id"] for f in rnd.input["facilities"]}
    for household in rnd.input["households"]:
        for j, child in enumerate(household["children"]):
            if child["id"] == child_id:
                seen: list[str] = []
                for t in household["preferences"]:
                    if t[j] and t[j] not in seen:
                        seen.append(t[j])
                return [(fid, f"{names.get(fid, fid)}（{fid}）") for fid in seen]
    return None

"""Why each child did not get a tuple its household ranked higher (for the resident and for staff).

For every tuple ranked above the household's result and every child it would have placed somewhere new:
* `full`: that facility and age class had no room above the child (with the cut-off: the priority of
  the last child admitted there), or, for siblings in one class, not enough room for all of them;
* `sibling`: this child's place was available, but a sibling's place in the same tuple was not;
* `blocking`: everything the tuple needs was available: a blocking pair, listed for staff.
The verifier recomputes all of this independently and fails on any disagreement.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from madoguchi.nursery.engine.market import NONE, Market, assignment_of
from madoguchi.nursery.engine.model import AGE_CLASSES


def cutoffs(market: Market, assigned: list[int]) -> dict[str, list[list[int] | None]]:
    """Priority of the last admitted child per facility and age class (transfer applicants at their own seat
    excluded, since they do not compete); None where nobody was admitted."""
    lowest: dict[int, tuple[int, int]] = {}
    for c, d in enumerate(assigned):
        if d == NONE or market.child_enrolled[c] == d:
            continue
        k = d * AGE_CLASSES + market.child_age[c]
        r = market.rank[c][d]
        if k not in lowest or r < lowest[k][0]:
            lowest[k] = (r, c)
    table: dict[str, list[list[int] | None]] = {}
    for d, fid in enumerate(market.facility_ids):
        row: list[list[int] | None] = []
        for g in range(AGE_CLASSES):
            found = lowest.get(d * AGE_CLASSES + g)
            row.append(None if found is None else market.public_priority(found[1], d))
        table[fid] = row
    return table


def _priority_text(value: list[int] | None) -> str:
    if value is None:
        return "なし"
    text = f"指数 {value[0]}"
    if len(value) > 2:
        text += "、同点時のキー " + ", ".join(str(v) for v in value[1:-1])
    return text


def explanations(market: Market, outcome: list[int | None]) -> tuple[dict[str, list[dict[str, Any]]], dict]:
    """(explanations per child id, cut-offs per facility)."""
    assigned = assignment_of(market, outcome)
    table = cutoffs(market, assigned)
    ranks_at: dict[int, list[int]] = {}
    for c, d in enumerate(assigned):
        if d != NONE:
            ranks_at.setdefault(d * AGE_CLASSES + market.child_age[c], []).append(market.rank[c][d])
    for lst in ranks_at.values():
        lst.sort()
    names = [f.name or f.id for f in market.problem.facilities]
    result: dict[str, list[dict[str, Any]]] = {cid: [] for cid in market.child_ids}
    for h, o in enumerate(outcome):
        members = market.household_children[h]
        limit = len(market.outcomes[h]) if o is None else o
        for p in range(limit):
            checks = []
            for k, kids in market.parts[h][p]:
                d = k // AGE_CLASSES
                lowest = market.rank[kids[0]][d]
                lst = ranks_at.get(k, [])
                above = len(lst) - bisect_right(lst, lowest)
                for c in members:
                    if (
                        assigned[c] == d
                        and market.child_age[c] == k % AGE_CLASSES
                        and market.rank[c][d] > lowest
                    ):
                        above -= 1
                checks.append((k, len(kids), above, above + len(kids) <= market.capacity[k]))
            first_full = next((check for check in checks if not check[3]), None)
            by_class = {check[0]: check for check in checks}
            eff = market.outcomes[h][p]
            for c, d in zip(members, eff, strict=True):
                if d == NONE or d == market.child_enrolled[c]:
                    continue
                g = market.child_age[c]
                k, needed, above, fits = by_class[d * AGE_CLASSES + g]
                capacity = market.capacity[k]
                entry: dict[str, Any] = {
                    "tuple_index": p,
                    "facility": market.facility_ids[d],
                    "age_class": g,
                    "capacity": capacity,
                    "admitted_above": above,
                    "needed": needed,
                }
                if first_full is None:
                    entry["reason"] = "blocking"
                    entry["message"] = (
                        f"希望 {p + 1}（{names[d]}の{g}歳児クラス）は受け入れ可能でした"
                        "（ブロッキングペア）。担当者が確認します"
                    )
                elif not fits:
                    entry["reason"] = "full"
                    cutoff = table[market.facility_ids[d]][g]
                    entry["cutoff"] = cutoff
                    if needed == 1:
                        entry["message"] = (
                            f"希望 {p + 1}: {names[d]}の{g}歳児クラスは満員でした（受入枠 {capacity} 人、"
                            f"優先順位が上の入所者 {above} 人、最後に入所した児童の優先順位: {_priority_text(cutoff)}）"
                        )
                    else:
                        left = max(capacity - above, 0)
                        entry["message"] = (
                            f"希望 {p + 1}: この組み合わせは{names[d]}の{g}歳児クラスに {needed} 人分の枠が"
                            f"必要でしたが、残りは {left} 人分でした"
                        )
                else:
                    fk = first_full[0]
                    fd, fg = fk // AGE_CLASSES, fk % AGE_CLASSES
                    entry["reason"] = "sibling"
                    entry["blocked_by"] = {"facility": market.facility_ids[fd], "age_class": fg}
                    entry["message"] = (
                        f"希望 {p + 1}: {names[d]}の{g}歳児クラスには入れましたが、きょうだいの希望先"
                        f"（{names[fd]}の{fg}歳児クラス）に空きがなかったため、この組み合わせは成立しませんでした"
                    )
                result[market.child_ids[c]].append(entry)
    return result, table

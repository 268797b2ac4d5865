"""Deterministic synthetic FAQ collections (e.g. 10,000 entries) for latency measurements.

Each synthetic entry is a plausible variant of a real demo entry: another (fictional) city,
reordered answer sentences, a different subset of keywords and a reworded question opening.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from madoguchi.faq.engine import FaqEntry

CITIES = (
    "あおば市",
    "さくら市",
    "ひかり町",
    "かえで市",
    "あさひ市",
    "わかば町",
    "つばき市",
    "みなと区",
    "やまぶき市",
    "しらかば村",
    "こすもす市",
    "はなみずき町",
)
OPENINGS = (
    "",
    "すみません、",
    "質問です。",
    "教えてください。",
    "急ぎで確認したいのですが、",
    "初めて利用します。",
)
DEPARTMENTS = ("市民課", "総合窓口課", "くらし窓口", "市民サービス課", "住民課")
_SENTENCE = re.compile(r"[^。]+。")


def synthesise_entries(base: list[FaqEntry], total: int, *, seed: int = 20260501) -> list[FaqEntry]:
    """`total` entries: the base entries first, then numbered variants of them."""
    rng = random.Random(seed)
    out = list(base[:total])
    japanese = [e for e in base if e.lang == "ja"]
    k = 0
    while len(out) < total:
        entry = japanese[k % len(japanese)]
        k += 1
        city = rng.choice(CITIES)
        sentences = _SENTENCE.findall(entry.answer) or [entry.answer]
        rng.shuffle(sentences)
        answer = "".join(sentences).replace("みどり市", city).replace("市民課", rng.choice(DEPARTMENTS))
        keywords = list(entry.keywords)
        rng.shuffle(keywords)
        keywords = keywords[: max(1, len(keywords) - rng.randint(0, 2))]
        question = rng.choice(OPENINGS) + entry.question.replace("みどり市", city)
        out.append(
            replace(
                entry,
                id=f"{entry.id}-S{k:05d}",
                question=question,
                answer=answer,
                keywords=tuple(keywords),
                procedure=entry.procedure,
            )
        )
    return out

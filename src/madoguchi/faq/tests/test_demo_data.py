"""The demo FAQ speaks of the demo town as it is: every department an answer sends residents to exists."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from madoguchi.faq import services

DEPARTMENTS_CSV = Path(__file__).resolve().parents[2] / "demo" / "data" / "departments.csv"

# A department name in a Japanese answer: kanji/katakana ending in 課 (not 課税, 非課税, 放課後, 担当課, 各課).
JA_DEPARTMENT = re.compile(r"([\u3040-\u309f\u4e00-\u9fff\u30a0-\u30ff]{2,})課(?![税程])")
NOT_DEPARTMENTS = (
    "担当",
    "各",
    "放",
    "非",
    "教育委員会学務",
)  # generic words, and the school board (not city hall)
EN_DEPARTMENT = re.compile(r"((?:[A-Z][a-z-]+ )+(?:and (?:[A-Z][a-z-]+ )+)?)Division")


def _departments() -> tuple[set[str], set[str]]:
    with DEPARTMENTS_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["name_ja"] for r in rows}, {r["name_en"] for r in rows}


def _answers(lang: str) -> list[tuple[str, str]]:
    with (services.DEMO_DATA / f"midori_faq_{lang}.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["id"], row["answer"]) for row in csv.DictReader(handle)]


def test_japanese_answers_name_only_departments_of_the_demo_town():
    names_ja, _ = _departments()
    wrong = []
    for faq_id, answer in _answers("ja"):
        for match in JA_DEPARTMENT.finditer(answer):
            stem = match.group(1)
            if stem.endswith(NOT_DEPARTMENTS) or stem.startswith("非"):
                continue
            # "本庁舎2階の子育て支援課" → the longest tail that is a department
            if not any((stem + "課").endswith(name) for name in names_ja):
                wrong.append((faq_id, stem + "課"))
    assert wrong == []


def test_english_answers_name_only_departments_of_the_demo_town():
    _, names_en = _departments()
    wrong = []
    for faq_id, answer in _answers("en"):
        for match in EN_DEPARTMENT.finditer(answer):
            phrase = match.group(0)
            if not any(phrase.endswith(name) for name in names_en):
                wrong.append((faq_id, phrase))
    assert wrong == []


@pytest.mark.parametrize("name", ["子ども家庭課", "高齢福祉課", "危機管理課", "保育課", "障害福祉課"])
def test_departments_that_the_demo_town_does_not_have_are_gone(name):
    assert all(name not in answer for _faq_id, answer in _answers("ja"))

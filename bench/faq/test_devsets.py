"""The FAQ dev sets are well formed, and `python -m bench.faq.run --devset PATH` evaluates any such file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.faq import run
from bench.faq.devset_tools import (
    DEVSET,
    DEVSET_BLIND,
    DEVSET_PARAPHRASE,
    DEVSET_TRAIN2,
    DEVSET_TRAPS,
    STYLES,
    load_devset,
)

DEMO_IDS = {row["id"] for row in csv.DictReader((run.DEMO_DATA / "midori_faq_ja.csv").open(encoding="utf-8"))}


@pytest.mark.parametrize("path", [DEVSET, DEVSET_PARAPHRASE, DEVSET_BLIND, DEVSET_TRAIN2, DEVSET_TRAPS])
def test_dev_sets_name_existing_entries_and_known_styles(path):
    questions = load_devset(path)
    assert len({q.q for q in questions}) == len(questions)
    for q in questions:
        assert q.style in STYLES and q.lang in {"ja", "en"}
        assert set(q.expected) <= DEMO_IDS
        assert q.split in {"dev", "heldout"}
        assert q.answerable == (q.style != "unanswerable")


def test_second_dev_set_has_every_style_in_both_splits():
    questions = load_devset(DEVSET_PARAPHRASE)
    styles = {"elderly", "long_story", "paraphrase", "colloquial", "easy_japanese", "english", "keywords"}
    styles |= {"typo", "unanswerable"}
    for split in ("dev", "heldout"):
        assert styles == {q.style for q in questions if q.split == split}
    assert 240 <= len(questions) <= 300


def test_loader_accepts_both_formats(tmp_path: Path):
    path = tmp_path / "mine.jsonl"
    rows = [
        {
            "q": "住民票がほしい",
            "expected": ["FAQ-001"],
            "style": "keywords",
            "lang": "ja",
            "split": "heldout",
        },
        {"q": "粗大ごみ", "expected": "FAQ-086", "style": "keywords", "lang": "ja"},  # no split: by hash
        {"q": "sushi", "expected": [], "style": "unanswerable", "lang": "en", "split": "test"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    questions = load_devset(path)
    assert [q.expected for q in questions] == [("FAQ-001",), ("FAQ-086",), ()]
    assert questions[0].split == "heldout" and questions[2].split == "heldout"
    assert questions[1].split in {"dev", "heldout"}


def test_bench_evaluates_any_jsonl_file(tmp_path: Path, capsys):
    path = tmp_path / "mine.jsonl"
    rows = [
        {"q": "住民票がほしい", "expected": ["FAQ-001"], "style": "keywords", "lang": "ja", "split": "dev"},
        {"q": "明日の天気は", "expected": [], "style": "unanswerable", "lang": "ja", "split": "heldout"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert run.main(["--devset", str(path), "--skip-large", "--encoder", "hashing"]) == 0
    out = capsys.readouterr().out
    assert "### mine.jsonl — dev (1 questions)" in out and "### mine.jsonl — heldout (1 questions)" in out
    assert "| keywords | 1 | 100.0% |" in out


def test_the_blind_set_has_400_questions_in_every_style_and_a_held_out_part():
    questions = load_devset(DEVSET_BLIND)
    assert len(questions) == 400
    assert {q.style for q in questions} == {
        "paraphrase",
        "colloquial",
        "elderly",
        "long_story",
        "easy_japanese",
        "english",
        "keywords",
        "typo",
        "unanswerable",
    }
    assert {q.split for q in questions} == {"dev", "heldout"}
    assert sum(not q.answerable for q in questions) == 40


def test_train2_holds_out_a_fixed_30_percent_with_unanswerable_questions_on_both_sides():
    questions = load_devset(DEVSET_TRAIN2)
    assert len(questions) == 600 and sum(not q.answerable for q in questions) == 120
    heldout = [q for q in questions if q.split == "heldout"]
    assert 0.25 <= len(heldout) / len(questions) <= 0.35
    assert sum(not q.answerable for q in heldout) >= 30
    assert {q.split for q in questions} == {"dev", "heldout"}


def test_the_training_only_set_is_all_dev_and_shares_no_question_with_the_other_sets():
    """devset_traps.jsonl is fitted on only; a question also in a held-out part would leak into training."""
    traps = load_devset(DEVSET_TRAPS)
    assert {q.split for q in traps} == {"dev"}
    assert sum(not q.answerable for q in traps) >= 100 and sum(q.answerable for q in traps) >= 100
    others = {q.q for path in (DEVSET, DEVSET_PARAPHRASE, DEVSET_TRAIN2) for q in load_devset(path)}
    assert not others & {q.q for q in traps}

"""Loading the labelled development set and splitting it into tuning and held-out halves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DEVSET = Path(__file__).with_name("devset.jsonl")
STYLES = (
    "paraphrase",
    "colloquial",
    "typo_kana",
    "keywords",
    "long_story",
    "english",
    "easy_japanese",
    "unanswerable",
)


@dataclass(frozen=True)
class Question:
    q: str
    lang: str
    style: str
    expected: tuple[str, ...]
    pinned_split: str = ""  # "tune" for questions looked at while developing the engine

    @property
    def answerable(self) -> bool:
        return bool(self.expected)

    @property
    def split(self) -> str:
        """'tune' or 'test', fixed by a hash of the text so the halves never change."""
        if self.pinned_split:
            return self.pinned_split
        digest = hashlib.sha256(self.q.encode("utf-8")).digest()
        return "tune" if digest[0] % 2 == 0 else "test"


def load_devset(path: Path = DEVSET) -> list[Question]:
    questions = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["style"] not in STYLES:
            raise ValueError(f"{path}:{line_number}: unknown style {row['style']!r}")
        split = row.get("split", "")
        if split not in ("", "tune", "test"):
            raise ValueError(f"{path}:{line_number}: unknown split {split!r}")
        questions.append(Question(row["q"], row["lang"], row["style"], tuple(row["expected"]), split))
    return questions

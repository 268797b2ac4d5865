"""Synonyms and the English→Japanese glossary, kept as YAML data files next to this module."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jaconv
import yaml

DATA_PACKAGE = "madoguchi.faq.engine"


def fold_kana(text: str) -> str:
    """Hiragana → katakana, so that はんこ and ハンコ meet (one character for one character)."""
    return jaconv.hira2kata(text)


def read_data_yaml(name_or_path: str | Path) -> dict:
    if isinstance(name_or_path, Path) or "/" in str(name_or_path):
        text = Path(name_or_path).read_text(encoding="utf-8")
    else:
        text = resources.files(DATA_PACKAGE).joinpath("data", str(name_or_path)).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader) or {}  # noqa: S506 - a safe loader


@dataclass(frozen=True)
class SynonymMatch:
    start: int
    end: int
    canonical: str


class SynonymTable:
    """Variant phrases → canonical phrase, matched as substrings of the normalised text.

    Matching is leftmost-longest on kana-folded text, so a table entry is found whatever the
    mix of hiragana and katakana, and both documents and questions gain the canonical phrase.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]]):
        variant_to_canonical: dict[str, str] = {}
        for canonical, variants in groups.items():
            canonical_text = str(canonical).strip().lower()
            for variant in (canonical_text, *variants):
                key = fold_kana(str(variant).strip().lower())
                if len(key) >= 2:
                    variant_to_canonical.setdefault(key, canonical_text)
        self._canonical = variant_to_canonical
        keys = sorted(variant_to_canonical, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    def __len__(self) -> int:
        return len(self._canonical)

    def find(self, text: str) -> list[SynonymMatch]:
        if self._pattern is None or not text:
            return []
        folded = fold_kana(text)
        return [
            SynonymMatch(m.start(), m.end(), self._canonical[m.group(0)])
            for m in self._pattern.finditer(folded)
        ]

    @classmethod
    def from_yaml(cls, name_or_path: str | Path = "synonyms.yaml") -> SynonymTable:
        data = read_data_yaml(name_or_path)
        groups: dict[str, list[str]] = {}
        for group in data.get("groups", []):
            groups.setdefault(str(group["canonical"]), []).extend(str(v) for v in group.get("variants", []))
        return cls(groups)


class Glossary:
    """English phrase → Japanese phrases, used to bridge English questions to Japanese entries."""

    def __init__(self, terms: Mapping[str, Iterable[str]]):
        self.terms = {str(k).strip().lower(): tuple(str(v) for v in vs) for k, vs in terms.items()}

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def from_yaml(cls, name_or_path: str | Path = "glossary_en_ja.yaml") -> Glossary:
        data = read_data_yaml(name_or_path)
        terms: dict[str, list[str]] = {}
        for english, japanese in (data.get("terms") or {}).items():
            values = [japanese] if isinstance(japanese, str) else list(japanese)
            terms.setdefault(str(english), []).extend(values)
        return cls(terms)

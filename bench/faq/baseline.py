"""The naive peer of the FAQ engine: character-bigram TF-IDF cosine over question + keywords."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from madoguchi.faq.engine import FaqEntry
from madoguchi.faq.engine.normalise import detect_language

_SPACES = re.compile(r"\s+")


def char_bigrams(text: str) -> list[str]:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", text).lower())
    return [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


class _BigramIndex:
    def __init__(self, entries: list[FaqEntry]):
        self.ids = [e.id for e in entries]
        docs = [Counter(char_bigrams(" ".join((e.question, *e.keywords)))) for e in entries]
        df = Counter(g for d in docs for g in d)
        n = len(docs)
        self.idf = {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in df.items()}
        self.vectors = []
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, doc in enumerate(docs):
            vector = {g: tf * self.idf[g] for g, tf in doc.items()}
            norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            for g, v in vector.items():
                self.postings.setdefault(g, []).append((i, v / norm))

    def search(self, question: str, limit: int) -> list[tuple[str, float]]:
        query = Counter(char_bigrams(question))
        vector = {g: tf * self.idf[g] for g, tf in query.items() if g in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        scores: dict[int, float] = {}
        for g, v in vector.items():
            for doc, weight in self.postings[g]:
                scores[doc] = scores.get(doc, 0.0) + weight * v / norm
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(self.ids[i], s) for i, s in ranked]


class CharBigramBaseline:
    """Japanese questions search Japanese entries, others search English ones; no synonyms."""

    def __init__(self, entries: Iterable[FaqEntry], *, threshold: float = 0.0):
        entries = list(entries)
        self.threshold = threshold
        self.by_lang = {
            lang: _BigramIndex([e for e in entries if e.lang == lang])
            for lang in sorted({e.lang for e in entries})
        }

    def search(self, question: str, limit: int = 5) -> list[tuple[str, float]]:
        lang = detect_language(question)
        index = self.by_lang.get(lang) or self.by_lang.get("ja")
        return index.search(question, limit) if index else []

    def ask(self, question: str, limit: int = 5) -> tuple[list[tuple[str, float]], bool]:
        ranked = self.search(question, limit)
        return ranked, (not ranked or ranked[0][1] < self.threshold)

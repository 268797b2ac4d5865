"""When to say "I don't know": two explainable thresholds on features of the best entry."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Features:
    """What the decision looks at, for the best-ranked entry.

    score: its relevance as a share of the best score each question word reaches anywhere (0–1).
    margin: how far ahead of the second entry it is, relative to its own score (0–1).
    coverage: IDF-weighted share of the question's words found in it (a word found only in the
        answer text counts half; verbs and adjectives weigh half as much as nouns).
    unknown_share: IDF-weighted share of the question's words that no entry contains at all.
    For a long story (3+ sentences) coverage and unknown share are taken from the sentence that
    asks the question when that is more favourable than the whole message.
    """

    score: float
    margin: float
    coverage: float
    unknown_share: float
    n_concepts: int
    lang: str

    @classmethod
    def empty(cls, *, n_concepts: int = 0, lang: str = "") -> Features:
        return cls(0.0, 0.0, 0.0, 1.0 if n_concepts else 0.0, n_concepts, lang)

    def as_dict(self) -> dict[str, float]:
        data = asdict(self)
        data.pop("lang")
        return {k: float(v) for k, v in data.items()}


@dataclass(frozen=True)
class Decision:
    abstain: bool
    reason: str


@dataclass(frozen=True)
class AbstentionRule:
    """Answer only when the best entry covers enough of the question and little of it is unknown.

    The two thresholds were chosen on the tuning half of bench/faq/devset.jsonl (most correct
    abstentions with at most 4% false abstentions) and checked on the held-out half; see
    docs/faq-engine.md. `bench.faq.run` prints what the same tuning would choose today.
    """

    min_coverage: float = 0.15
    max_unknown_share: float = 0.5

    def decide(self, features: Features) -> Decision:
        if features.n_concepts == 0:
            return Decision(True, "no_matching_terms")
        if features.unknown_share > self.max_unknown_share:
            return Decision(True, "unknown_words")
        if features.coverage < self.min_coverage:
            return Decision(True, "low_coverage")
        return Decision(False, "confident")

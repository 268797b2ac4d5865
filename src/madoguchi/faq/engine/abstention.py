"""When to say "I don't know": a logistic model (or the first version's decision list) over features of the best entry."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Features:
    """What the decision looks at, for the best-ranked entry.

    Lexical (BM25) features:
    score: its lexical relevance as a share of the best score each question word reaches anywhere.
    margin: how far ahead of the lexical second entry it is, relative to its own score (0–1).
    coverage: IDF-weighted share of the question's words found in the entry shown first (a word
        found only in the answer text counts half; verbs and adjectives weigh half as much as nouns).
    unknown_share: IDF-weighted share of the question's words that no entry contains at all.
    For a long story (3+ sentences) coverage and unknown share are taken from the sentence that
    asks the question when that is more favourable than the whole message.

    Dense and fusion features (has_dense = 1 when a dense retriever took part):
    fused_margin: fused score of the first entry minus that of the second.
    dense_top: the best cosine any entry reaches; dense_z: the same as a z-score over all entries;
    dense_margin: best minus second-best cosine; dense_of_best: cosine of the entry shown first.
    agree: 1 when the lexical and the dense retrievers put the same entry first.
    dense_top_in_lex / lex_top_in_dense: rank (0 = first) of one retriever's best entry in the
    other's ranking (the number of entries when the lexical retriever found nothing).

    Round three ("does the entry shown cover the question?", also only with a dense retriever):
    char_cover: share of the question's content-character bigrams (runs of kanji, katakana, Latin
        letters and digits; a lone kanji counts as itself) found anywhere in the text of the entry
        shown first (question, keywords, procedure, category, answer; every language version).
        Independent of word segmentation: 除票 is found in 住民票の除票 whatever Sudachi makes of it.
    char_known: share of those bigrams found in the text of any entry (the FAQ knows the words).
        For an English question, or one without kanji/katakana/Latin letters, both are the lexical
        values (coverage, 1 − unknown share).
    dense_z_best: z-score of the cosine of the entry shown first (dense_z is the best entry's).
    lex_rank_best: rank (0 = first) of the entry shown first in the lexical ranking.
    kana: 1 for a question written mostly in hiragana (the dense retriever is not used for it).
    n_sentences: sentences in the question (a long story).

    Round four ("does the entry shown cover what the question *asks*?", computed only when the model
    reads them; a word is *missing* from the entry unless found whole in its question, keywords,
    procedure or category):
    sem_cover: coverage where a missing word counts as found to the extent the encoder puts it next to
        a word of the entry: its cosine s to the closest one gives (s − 0.4) / 0.5, clipped to 0–1
        (援助 for 補助 counts; 火葬場 for 保育料 does not).
    focus_self: cosine between the question and the question read without its missing words (the
        interrogatives どこ/いつ/いくら stay): how little of its meaning the missing words carry (1 when
        none is missing).
    focus_gain: the entry's cosine with that reduced question minus its cosine with the whole one.
    english: 1 for a question searched the English way (no Japanese script). For it the focus features
        come from English words (glossary matches, cosines to the entry's Japanese words) and run lower
        for answerable questions than a Japanese question's, so the model gives them their own slopes.
    """

    score: float
    margin: float
    coverage: float
    unknown_share: float
    n_concepts: int
    lang: str
    has_dense: bool = False
    fused_margin: float = 0.0
    dense_top: float = 0.0
    dense_z: float = 0.0
    dense_margin: float = 0.0
    dense_of_best: float = 0.0
    agree: float = 0.0
    dense_top_in_lex: float = 0.0
    lex_top_in_dense: float = 0.0
    char_cover: float = 0.0
    char_known: float = 0.0
    dense_z_best: float = 0.0
    lex_rank_best: float = 0.0
    kana: float = 0.0
    n_sentences: float = 1.0
    sem_cover: float = 0.0
    focus_self: float = 1.0
    focus_gain: float = 0.0
    english: float = 0.0

    @classmethod
    def empty(cls, *, n_concepts: int = 0, lang: str = "") -> Features:
        return cls(0.0, 0.0, 0.0, 1.0 if n_concepts else 0.0, n_concepts, lang)

    def as_dict(self) -> dict[str, float]:
        data = asdict(self)
        data.pop("lang")
        if not self.has_dense:
            for name in _DENSE_FIELDS:
                data.pop(name)
        return {k: float(v) for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, float], *, lang: str = "") -> Features:
        known = {k: v for k, v in data.items() if k in _ALL_FIELDS and k != "lang"}
        known.setdefault("score", 0.0)
        known.setdefault("margin", 0.0)
        known.setdefault("coverage", 0.0)
        known.setdefault("unknown_share", 1.0)
        known["n_concepts"] = int(known.get("n_concepts", 0))
        known["has_dense"] = bool(known.get("has_dense", False))
        return cls(lang=lang, **known)


_DENSE_FIELDS = (
    "has_dense",
    "fused_margin",
    "dense_top",
    "dense_z",
    "dense_margin",
    "dense_of_best",
    "agree",
    "dense_top_in_lex",
    "lex_top_in_dense",
    "char_cover",
    "char_known",
    "dense_z_best",
    "lex_rank_best",
    "kana",
    "n_sentences",
    "sem_cover",
    "focus_self",
    "focus_gain",
    "english",
)
_ALL_FIELDS = set(Features.__dataclass_fields__)


@dataclass(frozen=True)
class Decision:
    abstain: bool
    reason: str


@dataclass(frozen=True)
class AbstentionRule:
    """Answer only when the retrievers back the first entry; otherwise offer an inquiry.

    Lexical only (no encoder): abstain when unknown share > max_unknown_share or coverage <
    min_coverage (the rule of the first version).

    With a dense retriever, in this order:
    0. answer when both retrievers put the same entry first and it is clearly ahead of the second
       (agree and fused margin ≥ agreed_margin), whatever the words;
    1. `unknown_words`: most of the question is words no entry contains (unknown share >
       max_unknown_share) and the dense retriever is not sure either (dense_z < strong_dense_z);
    2. `retrievers_disagree`: neither retriever's best entry is among the other's first
       `agree_depth` entries, and the words of the question are not well covered by the entry
       shown (coverage < disagree_coverage);
    3. `low_margin`: the first entry is barely ahead of the second (fused margin <
       min_fused_margin) and the retrievers do not agree on it;
    4. `low_coverage`: few of the question's words are in the entry shown (coverage <
       min_coverage) and its cosine is low (dense_of_best < min_dense).

    The thresholds were calibrated on the dev halves of the two dev sets only (docs/faq-engine.md);
    `bench.faq.run` re-runs the calibration and prints what it would choose.
    """

    min_coverage: float = 0.15
    max_unknown_share: float = 0.5
    strong_dense_z: float = 99.0
    agree_depth: int = 10
    disagree_coverage: float = 0.3
    min_fused_margin: float = 0.0
    min_dense: float = 0.0
    agreed_margin: float = 99.0

    @classmethod
    def for_encoder(cls, encoder: object | None) -> AbstentionRule | LogisticAbstention:
        """The rule calibrated for an encoder (its `abstention` attribute), or the lexical rule."""
        if encoder is None:
            return cls()
        return getattr(encoder, "abstention", None) or cls()

    def decide(self, features: Features) -> Decision:
        if not features.has_dense:
            return self._lexical(features)
        f = features
        if f.agree and f.fused_margin >= self.agreed_margin:
            return Decision(False, "confident")
        if f.n_concepts and f.unknown_share > self.max_unknown_share and f.dense_z < self.strong_dense_z:
            return Decision(True, "unknown_words")
        disagree = f.dense_top_in_lex >= self.agree_depth and f.lex_top_in_dense >= self.agree_depth
        if disagree and f.coverage < self.disagree_coverage:
            return Decision(True, "retrievers_disagree")
        if f.fused_margin < self.min_fused_margin and not f.agree:
            return Decision(True, "low_margin")
        if f.coverage < self.min_coverage and f.dense_of_best < self.min_dense:
            return Decision(True, "low_coverage")
        return Decision(False, "confident")

    def _lexical(self, features: Features) -> Decision:
        if features.n_concepts == 0:
            return Decision(True, "no_matching_terms")
        if features.unknown_share > self.max_unknown_share:
            return Decision(True, "unknown_words")
        if features.coverage < self.min_coverage:
            return Decision(True, "low_coverage")
        return Decision(False, "confident")


# --- rounds two and three: a logistic model over these features -----------------------------------

# The model's possible inputs by name: ranks and counts on a log scale.
FEATURE_FUNCTIONS: dict[str, Callable[[Features], float]] = {
    "coverage": lambda f: f.coverage,
    "unknown_share": lambda f: f.unknown_share,
    "score": lambda f: f.score,
    "margin": lambda f: f.margin,
    "fused_margin": lambda f: f.fused_margin,
    "dense_z": lambda f: f.dense_z,
    "dense_margin": lambda f: f.dense_margin,
    "dense_of_best": lambda f: f.dense_of_best,
    "dense_top": lambda f: f.dense_top,
    "agree": lambda f: f.agree,
    "log1p(dense_top_in_lex)": lambda f: math.log1p(f.dense_top_in_lex),
    "log1p(lex_top_in_dense)": lambda f: math.log1p(f.lex_top_in_dense),
    "log1p(n_concepts)": lambda f: math.log1p(f.n_concepts),
    "char_cover": lambda f: f.char_cover,
    "char_known": lambda f: f.char_known,
    "dense_z_best": lambda f: f.dense_z_best,
    "log1p(lex_rank_best)": lambda f: math.log1p(f.lex_rank_best),
    "kana": lambda f: f.kana,
    "log1p(n_sentences)": lambda f: math.log1p(f.n_sentences),
    "sem_cover": lambda f: f.sem_cover,
    "focus_self": lambda f: f.focus_self,
    "focus_gain": lambda f: f.focus_gain,
    "english": lambda f: f.english,
    "english*sem_cover": lambda f: f.english * f.sem_cover,
    "english*focus_self": lambda f: f.english * f.focus_self,
    "english*focus_gain": lambda f: f.english * f.focus_gain,
}

# The 13 inputs of the round-two model (the default of LogisticAbstention.features).
LOGISTIC_FEATURES = (
    "coverage",
    "unknown_share",
    "score",
    "margin",
    "fused_margin",
    "dense_z",
    "dense_margin",
    "dense_of_best",
    "dense_top",
    "agree",
    "log1p(dense_top_in_lex)",
    "log1p(lex_top_in_dense)",
    "log1p(n_concepts)",
)

# The 19 inputs of the round-three model (issue 14): the 13 above and "does the entry shown cover the
# question?" (char_cover, char_known, dense_z_best, lex_rank_best) plus the kind of question (kana, sentences).
ROUND_THREE_FEATURES = (
    *LOGISTIC_FEATURES,
    "char_cover",
    "char_known",
    "dense_z_best",
    "log1p(lex_rank_best)",
    "kana",
    "log1p(n_sentences)",
)


# The 26 inputs of the round-four model: round three's 19, whether the entry shown covers what the question
# asks (sem_cover, focus_self, focus_gain; they cost one more encoder call per question), and their own
# slopes for a question searched the English way.
FOCUS_FEATURES = ("sem_cover", "focus_self", "focus_gain")
ROUND_FOUR_FEATURES = (
    *ROUND_THREE_FEATURES,
    *FOCUS_FEATURES,
    "english",
    *(f"english*{name}" for name in FOCUS_FEATURES),
)


def feature_vector(features: Features, names: Sequence[str] = LOGISTIC_FEATURES) -> tuple[float, ...]:
    """The model's inputs, in the order of `names` (keys of FEATURE_FUNCTIONS)."""
    return tuple(float(FEATURE_FUNCTIONS[name](features)) for name in names)


@dataclass(frozen=True)
class LogisticAbstention:
    """Abstain when the estimated probability that the question is answerable is below `threshold`.

    P = sigmoid(intercept + Σ coefficient_i · (x_i − mean_i) / sd_i) over the inputs named in
    `features` (keys of FEATURE_FUNCTIONS; default LOGISTIC_FEATURES, the round-two model). With
    `clip`, each standardised input is first clipped to ±clip (round four: 3), so that an input far
    outside the range the model was fitted on (a FAQ of a handful of entries, where margins are 1 and
    z-scores collapse) cannot outvote the rest; the model is fitted with the same clipping. The
    constants are fitted offline on the dev parts of the bench's dev sets (`python -m
    bench.faq.fit_abstention`, numpy only; docs/faq-engine.md) and shipped with the encoder they were
    fitted for: they are only meaningful for that encoder and fusion weight. Without a dense
    retriever (`has_dense` false) the lexical rule of the first version applies.

    The reason given for an abstention names the most telling symptom (unknown words, retrievers
    disagreeing, low coverage), else `low_confidence`.
    """

    means: tuple[float, ...]
    sds: tuple[float, ...]
    intercept: float
    coefficients: tuple[float, ...]
    threshold: float
    lexical: AbstentionRule = AbstentionRule()
    features: tuple[str, ...] = LOGISTIC_FEATURES
    clip: float | None = None

    def __post_init__(self) -> None:
        unknown = [name for name in self.features if name not in FEATURE_FUNCTIONS]
        if unknown:
            raise ValueError(f"unknown inputs of a logistic abstention model: {', '.join(unknown)}")
        n = len(self.features)
        if not (len(self.means) == len(self.sds) == len(self.coefficients) == n):
            raise ValueError(f"a logistic abstention model needs {n} means, sds and coefficients")

    def probability(self, features: Features) -> float:
        """Estimated probability that the question has an answer in the FAQ (0–1)."""
        z = self.intercept
        for x, mean, sd, coefficient in zip(
            feature_vector(features, self.features), self.means, self.sds, self.coefficients, strict=True
        ):
            standardised = (x - mean) / (sd or 1.0)
            if self.clip is not None:
                standardised = max(-self.clip, min(self.clip, standardised))
            z += coefficient * standardised
        z = max(-50.0, min(50.0, z))
        return 1.0 / (1.0 + math.exp(-z))

    def decide(self, features: Features) -> Decision:
        if not features.has_dense:
            return self.lexical.decide(features)
        if self.probability(features) >= self.threshold:
            return Decision(False, "confident")
        f = features
        if f.n_concepts and f.unknown_share > 0.5:
            return Decision(True, "unknown_words")
        if f.dense_top_in_lex >= 10 and f.lex_top_in_dense >= 10:
            return Decision(True, "retrievers_disagree")
        if f.coverage < 0.2:
            return Decision(True, "low_coverage")
        return Decision(True, "low_confidence")

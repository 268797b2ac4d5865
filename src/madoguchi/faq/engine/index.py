"""FaqIndex: BM25 over several fields of the FAQ fused with a dense retriever, with an explicit abstention."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import bm25s
import numpy as np

from .abstention import FOCUS_FEATURES, AbstentionRule, Features, LogisticAbstention
from .analysis import INTERROGATIVES, Concept, EnglishAnalyser, JapaneseAnalyser, QueryAnalysis, english_words
from .dense import DenseIndex, focus_texts, vector_cache
from .encoders import registry as encoders
from .encoders.base import Encoder
from .entries import FaqEntry
from .lexicon import Glossary, SynonymTable
from .normalise import (
    MY_NUMBER_MASK,
    contains_japanese,
    looks_like_easy_japanese,
    normalise_question,
    resolve_language,
    split_sentences,
    strip_request,
)

MAX_LIMIT = 50
_EMPTY = "\x00"  # placeholder so that bm25s never sees an empty document

# Field weights: where a word is found says how much it tells about the entry.
JA_FIELD_WEIGHTS = {"question": 1.0, "keywords": 0.9, "procedure": 0.6, "answer": 0.35}
EN_FIELD_WEIGHTS = {"question": 1.0, "keywords": 0.9, "procedure": 0.6, "answer": 0.35}
READING_WEIGHT = 0.15  # per reading bigram, relative to a term
LONG_MESSAGE_SENTENCES = 3
PREDICATE_RANK_WEIGHT = 0.5  # verbs, adjectives and 〜方 nouns in ranking
MINOR_WEIGHT = 0.5  # verbs, adjectives, time nouns, numbers: half weight in coverage and unknown share
KEYWORD_BONUS = 0.5
CHAR_WEIGHT = 0.1  # × IDF sum of a keyword phrase of the entry found whole in the question
WEAK_FIELDS = ("answer",)  # a word found only here counts half for coverage
WEAK_MATCH = 0.5
BM25_K1 = 1.2
BM25_B = 0.75
DENSE_Z_CAP = 3.5  # a cosine's z-score counts up to this: near-duplicate wording must not outvote the words
KANA_DENSE_FACTOR = 0.0  # dense weight × this for questions written mostly in hiragana (unreliable vectors)
EN_DENSE_FACTOR = 1.0  # dense weight × this for questions searched the English way
SCORE_SCALE_Z = 5.0  # Hit.score = fused / (1 + dense_weight × this), clipped to 0–1
# Focus features (does the entry shown cover what the question asks?): a question word whose match degree
# in the entry is below FOCUS_MATCH counts as missing from it (1.0: anything not found whole in the entry's
# question, keywords, procedure or category; a word found only in its answer counts 0.5); a word's cosine s to
# the closest word of the entry counts as the match degree (s − SEM_FLOOR) / SEM_SPAN, clipped to 0–1, when
# that is higher.
FOCUS_MATCH = 1.0
SEM_FLOOR = 0.4
SEM_SPAN = 0.5


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class Answer:
    """Ranked entry ids, and whether the engine prefers not to answer (`abstain`)."""

    results: list[Hit]
    abstain: bool
    reason: str
    lang: str
    prefer_easy_japanese: bool = False
    features: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def best(self) -> Hit | None:
        return None if self.abstain or not self.results else self.results[0]

    def to_dict(self, *, details: bool = False) -> dict:
        data: dict = {
            "results": [{"id": h.id, "score": round(h.score, 4)} for h in self.results],
            "abstain": self.abstain,
        }
        if details:
            data.update(
                reason=self.reason,
                lang=self.lang,
                prefer_easy_japanese=self.prefer_easy_japanese,
                features={k: round(v, 4) for k, v in self.features.items()},
            )
        return data

    def to_json(self, *, details: bool = False) -> str:
        return json.dumps(self.to_dict(details=details), ensure_ascii=False)


_NOT_CHARS = re.compile(r"[\s\W_]+")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANA_KANJI = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff]")


def _mostly_hiragana(text: str) -> bool:
    letters = _KANA_KANJI.findall(text)
    return len(letters) >= 4 and len(_HIRAGANA.findall(text)) / len(letters) >= 0.8


_WORD = re.compile(r"[^\W_]")  # a letter, digit or kana/kanji: anything else is not a question


def char_bigrams(text: str) -> list[str]:
    text = _NOT_CHARS.sub("", unicodedata.normalize("NFKC", text).lower())
    return [text[i : i + 2] for i in range(len(text) - 1)]


_CONTENT_RUN = re.compile(r"[\u3005\u4e00-\u9fff\u30a1-\u30fa\u30fca-z0-9]+")  # kanji, katakana, a-z, 0-9
_KANJI = re.compile(r"[\u3005\u4e00-\u9fff]")


def content_bigrams(text: str) -> set[str]:
    """Character bigrams inside runs of kanji, katakana, Latin letters or digits; a lone kanji as itself.

    Hiragana (particles, endings) is left out: what remains is what a question is about, whatever
    the word segmentation makes of it. Used to judge whether the entry shown covers the question.
    """
    grams: set[str] = set()
    for run in _CONTENT_RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        if len(run) == 1:
            if _KANJI.match(run):
                grams.add(run)
        else:
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True)
class _QueryWords:
    """The question's concepts with their weights, to judge one entry word by word (focus features)."""

    weights: list[float]
    labels: list[str]  # each concept as a text for the encoder (its indexed form, or the English words)
    interrogative: list[bool]  # どこ, いつ, いくら: the form of the question, never left out
    degree: Callable[[int, int], float]  # (concept, global entry position) → lexical match degree 0–1
    without: Callable[[list[int]], str]  # the question without the words of these concepts


def entry_text(entry: FaqEntry) -> str:
    """Every field of one language version of an entry, as one text."""
    return " ".join((entry.question, *entry.keywords, entry.procedure, entry.category, entry.answer))


class _Field:
    """One bm25s index over one field of every document."""

    def __init__(self, docs: list[list[str]]):
        self.size = len(docs)
        self.bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        self.bm25.index([d or [_EMPTY] for d in docs], show_progress=False)
        self.vocab: dict[str, int] = self.bm25.vocab_dict

    def scores(self, term: str) -> np.ndarray | None:
        token_id = self.vocab.get(term)
        if token_id is None:
            return None
        return self.bm25.get_scores_from_ids([token_id])


class _Collection:
    """The documents of one language: weighted fields, term sets and document frequencies."""

    def __init__(self, ids: list[str], fields: Mapping[str, list[list[str]]], weights: Mapping[str, float]):
        self.ids = ids
        self.position = {entry_id: i for i, entry_id in enumerate(ids)}
        self.global_positions = np.arange(len(ids), dtype=np.int64)
        self.weights = dict(weights)
        self.fields = {name: _Field(docs) for name, docs in fields.items()}
        n = len(ids)
        self.strong_terms: list[set[str]] = [set() for _ in range(n)]
        self.weak_terms: list[set[str]] = [set() for _ in range(n)]
        for name, docs in fields.items():
            target = self.weak_terms if name in WEAK_FIELDS else self.strong_terms
            for i, terms in enumerate(docs):
                target[i].update(terms)
        df: dict[str, int] = {}
        for i in range(n):
            for term in self.strong_terms[i] | self.weak_terms[i]:
                df[term] = df.get(term, 0) + 1
        self.df = df
        self.idf_max = self._idf(0)

    def _idf(self, df: int) -> float:
        n = len(self.ids)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        return self._idf(self.df.get(term, 0))

    def knows(self, term: str) -> bool:
        return term in self.df

    def term_scores(self, term: str, cache: dict[str, np.ndarray | None]) -> np.ndarray | None:
        if term in cache:
            return cache[term]
        total: np.ndarray | None = None
        for name, index in self.fields.items():
            scores = index.scores(term)
            if scores is None:
                continue
            weighted = scores * self.weights[name]
            total = weighted if total is None else total + weighted
        cache[term] = total
        return total

    def concept_scores(self, concept: Concept, cache: dict[str, np.ndarray | None]) -> np.ndarray | None:
        """Best form per document; a phrase found only in part is discounted by the share found."""
        best: np.ndarray | None = None
        for phrase, factor in concept.forms():
            parts = [s for s in (self.term_scores(t, cache) for t in phrase) if s is not None]
            if not parts:
                continue
            if len(phrase) == 1:
                scores = parts[0]
            else:
                scores = np.sum(parts, axis=0)
                if factor == 1.0:  # a synonym or glossary phrase, not the parts of a compound
                    found = np.sum([p > 0 for p in parts], axis=0) / len(phrase)
                    scores = scores * found * found
            if factor != 1.0:
                scores = scores * factor
            best = scores if best is None else np.maximum(best, scores)
        return best

    def concept_idf(self, concept: Concept) -> float | None:
        """IDF of the best-known form of a concept; None when no form is in the vocabulary."""
        best = None
        for phrase, factor in concept.forms():
            known = [self.idf(t) for t in phrase if self.knows(t)]
            if len(known) == len(phrase) and known:
                value = max(known) * (1.0 if factor == 1.0 else 0.8)
                best = value if best is None else max(best, value)
        return best

    def match_degree(self, concept: Concept, doc: int) -> float:
        """1 when a form of the concept is in the document's question/keywords/procedure, less elsewhere."""
        best = 0.0
        strong, weak = self.strong_terms[doc], self.weak_terms[doc]
        for phrase, factor in concept.forms():
            total = sum(self.idf(t) for t in phrase) or 1.0
            found = sum(
                self.idf(t) * (1.0 if t in strong else WEAK_MATCH if t in weak else 0.0) for t in phrase
            )
            best = max(best, factor * found / total if factor == 1.0 else min(1.0, 0.8 * found / total))
        return best


class FaqIndex:
    """Search FAQ entries in Japanese and English; build once, then `ask` many times."""

    def __init__(
        self,
        entries: list[FaqEntry],
        *,
        synonyms: SynonymTable,
        glossary: Glossary,
        rule: AbstentionRule | LogisticAbstention,
        encoder: Encoder | None = None,
        dense_weight: float | None = None,
    ):
        self.rule = rule
        self.japanese = JapaneseAnalyser(synonyms)
        self.english = EnglishAnalyser(glossary, self.japanese)
        self._entries: dict[str, dict[str, FaqEntry]] = {}
        for entry in entries:
            self._entries.setdefault(entry.id, {})[entry.lang] = entry
        self.ids = list(self._entries)
        self._position = {entry_id: i for i, entry_id in enumerate(self.ids)}
        ja_entries = [e for e in entries if e.lang == "ja"]
        en_entries = [e for e in entries if e.lang == "en"]
        self.ja = self._build_japanese(ja_entries) if ja_entries else None
        self.en = self._build_english(en_entries) if en_entries else None
        for collection in (self.ja, self.en):
            if collection is not None:
                collection.global_positions = np.array(
                    [self._position[i] for i in collection.ids], dtype=np.int64
                )
        self.encoder = encoder
        self.dense = (
            DenseIndex(encoder, self.ids, self._entries) if encoder is not None and self.ids else None
        )
        self.dense_weight = (
            dense_weight if dense_weight is not None else getattr(encoder, "fusion_weight", 0.1)
        )
        # Vectors of every indexed Japanese word, for the focus features (one short text each, encoded once).
        self._term_row: dict[str, int] = {}
        self._term_vectors = np.zeros((0, 0), dtype=np.float32)
        self._doc_term_rows: list[np.ndarray] = []
        if self.dense is not None and self.ja is not None and self._uses_focus():
            vocabulary = sorted(self.ja.df)
            self._term_row = {term: i for i, term in enumerate(vocabulary)}
            self._term_vectors = vector_cache.encode(self.dense.encoder, vocabulary)
            self._doc_term_rows = [
                np.array(sorted(self._term_row[t] for t in strong | weak), dtype=np.int64)
                for strong, weak in zip(self.ja.strong_terms, self.ja.weak_terms, strict=True)
            ]
        # Every content bigram of every entry: "does the FAQ know these characters at all?"
        self._content_vocab: frozenset[str] = (
            frozenset().union(*(content_bigrams(entry_text(e)) for e in entries))
            if self.dense is not None and entries
            else frozenset()
        )

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[FaqEntry],
        *,
        synonyms: SynonymTable | Mapping[str, Iterable[str]] | None = None,
        glossary: Glossary | Mapping[str, Iterable[str]] | None = None,
        rule: AbstentionRule | LogisticAbstention | None = None,
        encoder: Encoder | str | None = None,
        dense_weight: float | None = None,
    ) -> FaqIndex:
        """Index entries (all languages together); synonyms and glossary default to the shipped data.

        `encoder`: an `Encoder`, a registered name, or None for `encoders.DEFAULT`; "none" builds a
        lexical-only index. `dense_weight` overrides the encoder's `fusion_weight`.
        """
        if synonyms is None:
            synonyms = SynonymTable.from_yaml()
        elif not isinstance(synonyms, SynonymTable):
            synonyms = SynonymTable(synonyms)
        if glossary is None:
            glossary = Glossary.from_yaml()
        elif not isinstance(glossary, Glossary):
            glossary = Glossary(glossary)
        resolved = encoders.resolve(encoder)
        if rule is None:
            rule = AbstentionRule.for_encoder(resolved)
        return cls(
            list(entries),
            synonyms=synonyms,
            glossary=glossary,
            rule=rule,
            encoder=resolved,
            dense_weight=dense_weight,
        )

    def _build_japanese(self, entries: list[FaqEntry]) -> _Collection:
        analyse = self.japanese.analyse_document
        fields: dict[str, list[list[str]]] = {name: [] for name in JA_FIELD_WEIGHTS}
        readings: list[list[str]] = []
        spellings: dict[str, set[tuple[str, ...]]] = {}
        for e in entries:
            question = analyse(e.question)
            keywords = [analyse(k) for k in e.keywords]
            procedure = analyse(e.procedure)
            category = analyse(e.category)
            answer = analyse(e.answer)
            fields["question"].append(question.terms)
            fields["keywords"].append([t for k in keywords for t in k.terms])
            fields["procedure"].append(procedure.terms + category.terms)
            fields["answer"].append(answer.terms)
            readings.append(
                question.readings + [g for k in keywords for g in k.readings] + procedure.readings
            )
            for part in (question, *keywords, procedure, answer):
                for reading, terms in part.spellings:
                    spellings.setdefault(reading, set()).add(terms)
        collection = _Collection([e.id for e in entries], fields, JA_FIELD_WEIGHTS)
        self._ja_chars = _Field(
            [char_bigrams(" ".join((strip_request(e.question), *e.keywords))) for e in entries]
        )
        self._ja_readings = _Field(readings)
        self._ja_spellings = spellings
        self._keywords: list[tuple[int, int, float]] = []
        self._keyword_postings: dict[str, list[int]] = {}
        for doc, e in enumerate(entries):
            for keyword in e.keywords:
                terms = set(self.japanese.phrase_terms(keyword))
                if not terms:
                    continue
                self._keywords.append((doc, len(terms), sum(collection.idf(t) for t in terms)))
                for term in terms:
                    self._keyword_postings.setdefault(term, []).append(len(self._keywords) - 1)
        return collection

    def _build_english(self, entries: list[FaqEntry]) -> _Collection:
        analyse = self.english.document_terms
        fields = {
            "question": [analyse(e.question) for e in entries],
            "keywords": [[t for k in e.keywords for t in analyse(k)] for e in entries],
            "procedure": [analyse(f"{e.procedure} {e.category}") for e in entries],
            "answer": [analyse(e.answer) for e in entries],
        }
        return _Collection([e.id for e in entries], fields, EN_FIELD_WEIGHTS)

    # --- reading entries ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def versions(self, entry_id: str) -> dict[str, FaqEntry]:
        """All language versions of one logical entry, by language code."""
        return dict(self._entries.get(entry_id, {}))

    def entry(self, entry_id: str, lang: str = "ja") -> FaqEntry | None:
        """The entry in the wanted language, falling back to Japanese, then to any version."""
        versions = self._entries.get(entry_id)
        if not versions:
            return None
        return versions.get(lang) or versions.get("ja") or next(iter(versions.values()))

    # --- asking -----------------------------------------------------------------------------

    def ask(self, question: str, *, lang: str = "ja", limit: int = 5) -> Answer:
        """Rank entries for a resident's question and decide whether to abstain."""
        text = normalise_question(question if isinstance(question, str) else str(question or ""))
        text = text.replace(MY_NUMBER_MASK, " ")  # the mask is for storage, not a word to search
        answer_lang = resolve_language(lang if isinstance(lang, str) else None, text)
        try:
            limit = max(1, min(int(limit), MAX_LIMIT))
        except (TypeError, ValueError):
            limit = 5
        easy = looks_like_easy_japanese(text)
        if not _WORD.search(text):
            return Answer([], True, "empty_question", answer_lang, easy)
        if contains_japanese(text):
            lexical, features, coverage_of, words = self._ask_japanese(text)
        else:
            lexical, features, coverage_of, words = self._ask_english(text)
        dense, query_vectors = self._dense_scores(text) if self.dense is not None else (None, None)
        if dense is None:
            ranked = self._rank(lexical, self.ids) if lexical is not None else []
            if not ranked:
                return Answer([], True, "no_matching_terms", answer_lang, easy, features.as_dict())
        else:
            if _mostly_hiragana(text):
                weight = self.dense_weight * KANA_DENSE_FACTOR
            elif not contains_japanese(text):
                weight = self.dense_weight * EN_DENSE_FACTOR
            else:
                weight = self.dense_weight
            ranked, features = self._fuse(lexical, dense, features, coverage_of, weight)
            features = self._coverage_features(text, ranked[0][0], features)
            if words is not None and query_vectors is not None and self._uses_focus():
                features = self._focus_features(words, self._position[ranked[0][0]], query_vectors, features)
        decision = self.rule.decide(features)
        hits = [Hit(entry_id, score) for entry_id, score in ranked[:limit]]
        return Answer(hits, decision.abstain, decision.reason, answer_lang, easy, features.as_dict())

    # --- does the entry shown cover the question? ------------------------------------------------

    def _coverage_features(self, text: str, entry_id: str, features: Features) -> Features:
        """char_cover / char_known (Features), kana and the number of sentences, for the abstention model."""
        grams = content_bigrams(strip_request(text)) if contains_japanese(text) else set()
        if grams:
            shown: set[str] = set()
            for version in self._entries[entry_id].values():
                shown |= content_bigrams(entry_text(version))
            cover = len(grams & shown) / len(grams)
            known = len(grams & self._content_vocab) / len(grams)
        else:  # English, or nothing but hiragana: the lexical values stand in
            cover, known = features.coverage, 1.0 - features.unknown_share
        return replace(
            features,
            char_cover=cover,
            char_known=known,
            kana=float(_mostly_hiragana(text)),
            n_sentences=float(max(1, len(split_sentences(text)))),
            english=float(not contains_japanese(text)),
        )

    # --- dense retrieval and fusion -------------------------------------------------------------

    def _dense_scores(self, text: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Every entry's cosine, and the question's vectors (the whole message first)."""
        dense = self.dense
        if dense is None:
            return None, None
        vectors = dense.encode_question(text)
        return dense.search(vectors).scores, vectors

    # --- does the entry shown cover what the question asks? (focus features) --------------------

    def _uses_focus(self) -> bool:
        """Whether the abstention model reads the focus features (they cost an encoder call per question)."""
        return any(name.endswith(FOCUS_FEATURES) for name in getattr(self.rule, "features", ()))

    def _focus_features(
        self, words: _QueryWords, position: int, query_vectors: np.ndarray, features: Features
    ) -> Features:
        """sem_cover, focus_self and focus_gain (Features) for the entry at `position`.

        A question word the entry lacks lexically may still be there in other words (援助 for 補助):
        sem_cover lets the word's cosine to the closest word of the entry stand in for its match degree.
        Reading the question without the words the entry lacks tells how much of its meaning they carry
        (focus_self: cosine of the whole and the reduced question) and whether the entry matches the
        rest better than the whole (focus_gain: the entry's cosine with the reduced question minus with
        the whole one). A trap next to an entry (母子健康手帳 → 年金手帳, 戸籍謄本をコンビニで → 住民票の
        コンビニ交付) loses its point when the missing words go.
        """
        n = len(words.weights)
        total = sum(words.weights)
        if not n or total <= 0:
            return replace(features, sem_cover=features.coverage, focus_self=1.0, focus_gain=0.0)
        degrees = [words.degree(i, position) for i in range(n)]
        missing = [i for i in range(n) if degrees[i] < FOCUS_MATCH]
        left_out = [i for i in missing if not words.interrogative[i]]
        reduced = words.without(left_out).strip() if left_out else ""
        reduced_texts = [strip_request(t) for t in focus_texts(reduced)] if _WORD.search(reduced) else []
        rows = [self._term_row.get(label) for label in words.labels]
        to_encode = [i for i in missing if rows[i] is None and words.labels[i]]
        vectors = (
            self.dense.encoder.encode(reduced_texts + [words.labels[i] for i in to_encode], query=True)
            if self.dense is not None and (reduced_texts or to_encode)
            else np.zeros((0, 0), dtype=np.float32)
        )
        label_vectors = {i: vectors[len(reduced_texts) + k] for k, i in enumerate(to_encode)}
        doc = self.ja.position.get(self.ids[position]) if self.ja is not None else None
        entry_terms = (
            self._term_vectors[self._doc_term_rows[doc]]
            if doc is not None and self._doc_term_rows
            else np.zeros((0, 0), dtype=np.float32)
        )
        found = 0.0
        for i in range(n):
            degree = degrees[i]
            vector = self._term_vectors[rows[i]] if rows[i] is not None else label_vectors.get(i)
            if vector is not None and len(entry_terms):
                cosine = float((entry_terms @ vector).max())
                degree = max(degree, min(1.0, max(0.0, (cosine - SEM_FLOOR) / SEM_SPAN)))
            found += words.weights[i] * degree
        if reduced_texts and self.dense is not None:
            reduced_vectors = vectors[: len(reduced_texts)]
            focus_self = float(reduced_vectors[0] @ query_vectors[0])
            focus_gain = self.dense.entry_score(reduced_vectors, position) - features.dense_of_best
        else:
            focus_self, focus_gain = 1.0, 0.0
        return replace(features, sem_cover=found / total, focus_self=focus_self, focus_gain=focus_gain)

    def _fuse(
        self,
        lexical: np.ndarray | None,
        dense: np.ndarray,
        features: Features,
        coverage_of: Callable[[int], float] | None,
        weight: float,
    ) -> tuple[list[tuple[str, float]], Features]:
        """Lexical share-of-ideal score plus dense_weight × the standardised cosine (z-score).

        A z-score puts every encoder's cosines on one scale (E5's cosines sit in 0.7–0.9, USE's in
        0.2–0.8), so one weight per encoder suffices; it was chosen on the dev halves (docs). The
        z-score is capped (DENSE_Z_CAP) so that an entry worded almost like the question (ごみの出し方
        for 粗大ごみの出し方) cannot outvote the word that tells the entries apart.
        """
        n = len(self.ids)
        lex = lexical if lexical is not None else np.zeros(n, dtype=np.float32)
        spread = float(dense.std()) or 1.0
        dense_z = (dense - float(dense.mean())) / spread
        fused = lex + weight * np.minimum(dense_z, DENSE_Z_CAP)
        order = np.argsort(-fused, kind="stable")
        lex_order = np.argsort(-lex, kind="stable")
        dense_order = np.argsort(-dense, kind="stable")
        top, second = int(order[0]), int(order[1]) if n > 1 else int(order[0])
        lex_top, dense_top = int(lex_order[0]), int(dense_order[0])
        lex_rank = np.empty(n, dtype=np.int64)
        lex_rank[lex_order] = np.arange(n)
        dense_rank = np.empty(n, dtype=np.int64)
        dense_rank[dense_order] = np.arange(n)
        has_lexical = lexical is not None and float(lex[lex_top]) > 0
        features = replace(
            features,
            has_dense=True,
            fused_margin=float(fused[top] - fused[second]) if n > 1 else 1.0,
            dense_top=float(dense[dense_top]),
            dense_z=float(dense_z[dense_top]),
            dense_margin=float(dense[dense_order[0]] - dense[dense_order[1]]) if n > 1 else 1.0,
            dense_of_best=float(dense[top]),
            agree=float(has_lexical and lex_top == dense_top),
            dense_top_in_lex=float(lex_rank[dense_top]) if has_lexical else float(n),
            lex_top_in_dense=float(dense_rank[lex_top]) if has_lexical else float(n),
            dense_z_best=float(dense_z[top]),
            lex_rank_best=float(lex_rank[top]) if has_lexical else float(n),
            # coverage was computed for the lexical best entry; judge the entry actually shown
            coverage=features.coverage if lex_top == top or coverage_of is None else coverage_of(top),
        )
        scale = 1.0 + self.dense_weight * SCORE_SCALE_Z
        ranked = [(self.ids[i], min(1.0, max(0.0, float(fused[i]) / scale))) for i in order[:MAX_LIMIT]]
        return ranked, features

    def _rank(self, scores: np.ndarray, ids: list[str]) -> list[tuple[str, float]]:
        order = np.argsort(-scores, kind="stable")[:MAX_LIMIT]
        return [(ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def _ask_japanese(
        self, text: str
    ) -> tuple[np.ndarray | None, Features, Callable[[int], float] | None, _QueryWords | None]:
        """Scores over all entries (share of the ideal score, 0–1), features, coverage of any entry."""
        collection = self.ja
        if collection is None:
            return None, Features.empty(), None, None
        analysis: QueryAnalysis = self.japanese.analyse_question(
            text, respell=lambda reading: self._ja_spellings.get(reading, ()), is_known=collection.knows
        )
        concepts = [c for c in analysis.concepts if not self._is_noise(c, collection)]
        cache: dict[str, np.ndarray | None] = {}
        n = len(collection.ids)
        total = np.zeros(n, dtype=np.float32)
        ideal_total = 0.0
        weights: list[float] = []
        for concept in concepts:
            scores = collection.concept_scores(concept, cache)
            idf = collection.concept_idf(concept)
            weights.append(
                concept.weight
                * (MINOR_WEIGHT if concept.predicate or concept.minor else 1.0)
                * (idf if idf is not None else collection.idf_max)
            )
            if scores is not None:
                rank_weight = concept.weight * (PREDICATE_RANK_WEIGHT if concept.predicate else 1.0)
                total += rank_weight * scores
                ideal_total += rank_weight * float(scores.max())
        for gram, weight in analysis.readings.items():
            scores = self._ja_readings.scores(gram)
            if scores is not None:
                total += (READING_WEIGHT * weight) * scores
                ideal_total += READING_WEIGHT * weight * float(scores.max())
        if CHAR_WEIGHT:
            for gram in set(char_bigrams(strip_request(text))):
                scores = self._ja_chars.scores(gram)
                if scores is not None:
                    total += CHAR_WEIGHT * scores
                    ideal_total += CHAR_WEIGHT * float(scores.max())
        bonus = self._keyword_bonus(concepts)
        if bonus is not None:
            total += bonus
            ideal_total += float(bonus.max())
        if ideal_total <= 0 or not (total > 0).any():
            return None, Features.empty(n_concepts=len(concepts)), None, None
        top = int(np.argmax(total))
        second = float(np.partition(total, -2)[-2]) if n > 1 else 0.0
        # In a long story, judge by the sentence that asks the question when that is kinder.
        sentence_groups = []
        for sentence in analysis.question_sentences if analysis.n_sentences >= LONG_MESSAGE_SENTENCES else ():
            in_sentence = [(c, w) for c, w in zip(concepts, weights, strict=True) if sentence in c.sentences]
            if in_sentence:
                sentence_groups.append(tuple(list(x) for x in zip(*in_sentence, strict=True)))

        def coverage_of(position: int) -> float:
            doc = collection.position.get(self.ids[position])
            if doc is None:
                return 0.0
            value = self._coverage(collection, concepts, weights, doc)
            for concepts_s, weights_s in sentence_groups:
                value = max(value, self._coverage(collection, concepts_s, weights_s, doc))
            return value

        unknown_share = self._unknown_share(collection, concepts, weights)
        for concepts_s, weights_s in sentence_groups:
            unknown_share = min(unknown_share, self._unknown_share(collection, concepts_s, weights_s))
        features = Features(
            score=float(total[top]) / ideal_total,
            margin=(float(total[top]) - second) / float(total[top]),
            coverage=coverage_of(int(collection.global_positions[top])),
            unknown_share=unknown_share,
            n_concepts=len(concepts),
            lang="ja",
        )

        def degree(i: int, position: int) -> float:
            doc = collection.position.get(self.ids[position])
            return 0.0 if doc is None else collection.match_degree(concepts[i], doc)

        words = _QueryWords(
            weights=weights,
            labels=[c.main or "".join(min(c.alternatives, default=())) for c in concepts],
            interrogative=[c.main in INTERROGATIVES for c in concepts],
            degree=degree,
            without=lambda left_out: analysis.without(concepts[i] for i in left_out),
        )
        return self._to_global(total / ideal_total, collection), features, coverage_of, words

    @staticmethod
    def _is_noise(concept: Concept, collection: _Collection) -> bool:
        """A one- or two-letter hiragana word nobody indexed: mostly a mis-split of kana text."""
        return concept.kana_fragment and collection.concept_idf(concept) is None

    def _keyword_bonus(self, concepts: list[Concept]) -> np.ndarray | None:
        """Reward entries with a whole keyword phrase in the question (keywords are curated)."""
        terms = {t for c in concepts for phrase, factor in c.forms() if factor == 1.0 for t in phrase}
        counts: dict[int, int] = {}
        for term in terms:
            for keyword in self._keyword_postings.get(term, ()):
                counts[keyword] = counts.get(keyword, 0) + 1
        if not counts:
            return None
        bonus = np.zeros(len(self.ja.ids) if self.ja else 0, dtype=np.float32)
        for keyword, count in counts.items():
            doc, size, weight = self._keywords[keyword]
            if count == size:
                bonus[doc] = max(bonus[doc], KEYWORD_BONUS * weight)
        return bonus if bonus.any() else None

    @staticmethod
    def _unknown_share(collection: _Collection, concepts: list[Concept], weights: list[float]) -> float:
        total = sum(weights)
        unknown = sum(w for c, w in zip(concepts, weights, strict=True) if collection.concept_idf(c) is None)
        return unknown / total if total else 0.0

    @staticmethod
    def _coverage(collection: _Collection, concepts: list[Concept], weights: list[float], doc: int) -> float:
        total = sum(weights)
        if total <= 0:
            return 0.0
        found = sum(w * collection.match_degree(c, doc) for c, w in zip(concepts, weights, strict=True))
        return found / total

    def _ask_english(
        self, text: str
    ) -> tuple[np.ndarray | None, Features, Callable[[int], float] | None, _QueryWords | None]:
        """English entries and, through the glossary, Japanese ones; each word counts once.

        For every question word the English and the bridged Japanese BM25 scores are divided by
        the largest IDF of their own collection, which puts both on a comparable 0–1-ish scale;
        the better of the two counts.
        """
        english_concepts, bridge_concepts = self.english.analyse_question(text)
        if not english_concepts:
            return None, Features.empty(), None, None
        n = len(self.ids)
        if n == 0:  # no entries yet (a new site): nothing to rank, and numpy has no maximum of nothing
            return None, Features.empty(n_concepts=len(english_concepts)), None, None
        combined = np.zeros(n, dtype=np.float32)
        ideal = 0.0
        weights: list[float] = []
        unknown = 0.0
        en_cache: dict[str, np.ndarray | None] = {}
        ja_cache: dict[str, np.ndarray | None] = {}
        for en_concept, ja_concept in zip(english_concepts, bridge_concepts, strict=True):
            value = np.zeros(n, dtype=np.float32)
            idf_candidates = []
            for collection, concept, cache in (
                (self.en, en_concept, en_cache),
                (self.ja, ja_concept, ja_cache),
            ):
                if collection is None or not concept.forms():
                    continue
                scores = collection.concept_scores(concept, cache)
                if scores is not None:
                    value = np.maximum(value, self._to_global(scores / collection.idf_max, collection))
                idf = collection.concept_idf(concept)
                if idf is not None:
                    idf_candidates.append(idf / collection.idf_max)
            weight = max(idf_candidates) if idf_candidates else 1.0
            if not idf_candidates:
                unknown += weight
            weights.append(weight)
            combined += weight * value
            ideal += weight * float(value.max())
        if ideal <= 0 or not (combined > 0).any():
            return None, Features.empty(n_concepts=len(english_concepts)), None, None
        top = int(np.argmax(combined))
        second = float(np.partition(combined, -2)[-2]) if n > 1 else 0.0
        total_weight = sum(weights)

        def degree(i: int, position: int) -> float:
            entry_id = self.ids[position]
            value = 0.0
            for collection, concept in ((self.en, english_concepts[i]), (self.ja, bridge_concepts[i])):
                if collection is not None and concept.forms() and entry_id in collection.position:
                    value = max(value, collection.match_degree(concept, collection.position[entry_id]))
            return value

        def coverage_of(position: int) -> float:
            found = sum(weight * degree(i, position) for i, weight in enumerate(weights))
            return found / total_weight if total_weight else 0.0

        question_words = english_words(text)

        def without(left_out: list[int]) -> str:
            gone = {
                w for i in left_out for _, start, end in english_concepts[i].spans for w in range(start, end)
            }
            return " ".join(word for k, word in enumerate(question_words) if k not in gone)

        words = _QueryWords(
            weights=weights,
            labels=[
                " ".join(w for _, start, end in sorted(c.spans) for w in question_words[start:end])
                for c in english_concepts
            ],
            interrogative=[False] * len(weights),
            degree=degree,
            without=without,
        )

        features = Features(
            score=float(combined[top]) / ideal,
            margin=(float(combined[top]) - second) / float(combined[top]),
            coverage=coverage_of(top),
            unknown_share=unknown / total_weight if total_weight else 0.0,
            n_concepts=len(english_concepts),
            lang="en",
        )
        return combined / ideal, features, coverage_of, words

    def _to_global(self, scores: np.ndarray, collection: _Collection) -> np.ndarray:
        """Scores over one language's documents → scores over all logical entries."""
        if collection.ids == self.ids:
            return scores
        mapped = np.zeros(len(self.ids), dtype=np.float32)
        mapped[collection.global_positions] = scores
        return mapped

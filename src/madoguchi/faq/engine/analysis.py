"""Turning Japanese and English text into the terms the index scores.

A question becomes a list of *concepts*. A concept is one content word of the question together
with the equivalent forms that may match it: its Sudachi normalised form (表記ゆれ such as 引越し
→ 引っ越し), the canonical phrase of any synonym covering it, and the finer Sudachi split of a
compound (weighted less). Documents are indexed with all these forms, so a concept matches a
document when any of its forms does. Katakana readings give a second, spelling-independent
signal (住民表 and じゅうみんひょう both read ジュウミンヒョウ).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import jaconv
from sudachipy import dictionary, tokenizer

from .lexicon import Glossary, SynonymTable, read_data_yaml
from .normalise import QUESTION_MARKERS, split_sentences

_MODE_C = tokenizer.Tokenizer.SplitMode.C
_MODE_A = tokenizer.Tokenizer.SplitMode.A

# Content parts of speech; everything else (particles, auxiliaries, symbols...) is dropped.
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞"}
# Words that say what kind of answer is wanted; kept because FAQ questions use them too.
INTERROGATIVES = frozenset({"幾ら", "いつ", "何時", "どこ"})
# Normalised forms too general to tell entries apart (light verbs, formal nouns, politeness).
_KATAKANA_ONLY = re.compile(r"[^ァ-ヴー]")
_READING_FOLD = str.maketrans(
    {"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヴ": "ブ", "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ"}
)
_BREAK_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}
_NON_QUESTION_WEIGHT = 0.5
SUBWORD_WEIGHT = 0.5

_EN_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = read_data_yaml("stopwords.yaml")
_STOP_TERMS = frozenset(str(w) for w in _STOP_WORDS["japanese"])
_EN_STOP = frozenset(str(w).lower() for w in _STOP_WORDS["english"])


_dictionary_lock = threading.Lock()
_dictionary: dictionary.Dictionary | None = None
_local = threading.local()


def sudachi_tokenizer() -> tokenizer.Tokenizer:
    """One Sudachi dictionary per process (slow to load) and one tokenizer per thread."""
    global _dictionary
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = dictionary.Dictionary(dict="core")
        tok = _dictionary.create(mode=_MODE_C)
        _local.tokenizer = tok
    return tok


def fold_reading(reading: str) -> str:
    return _KATAKANA_ONLY.sub("", jaconv.hira2kata(reading)).translate(_READING_FOLD)


def reading_ngrams(run: str, n: int = 2) -> list[str]:
    if len(run) < n:
        return []
    return [run[i : i + n] for i in range(len(run) - n + 1)]


@dataclass
class Concept:
    """One content word of a question and the forms that count as matching it."""

    main: str
    weight: float
    alternatives: set[tuple[str, ...]] = field(default_factory=set)  # synonym / glossary / respelling
    subterms: tuple[str, ...] = ()  # finer split of a compound
    sentences: set[int] = field(default_factory=set)
    predicate: bool = False  # verb or adjective: says less about the topic than a noun
    minor: bool = False  # time noun (来月, 先日), number or 形状詞: context rather than topic
    kana_fragment: bool = False  # short all-hiragana surface: often a mis-split of kana text
    # Where the concept is written in the question: (sentence, start, end) character offsets in that
    # sentence (Japanese) or (0, first word, end word) word positions (English). Used to read the question
    # without the words an entry lacks (FaqIndex's focus features).
    spans: set[tuple[int, int, int]] = field(default_factory=set)

    def forms(self) -> list[tuple[tuple[str, ...], float]]:
        """(phrase, factor) pairs scored for this concept; the best one counts."""
        out: list[tuple[tuple[str, ...], float]] = []
        if self.main:
            out.append(((self.main,), 1.0))
        out.extend((alt, 1.0) for alt in sorted(self.alternatives) if alt != (self.main,))
        if self.subterms:
            out.append((self.subterms, SUBWORD_WEIGHT))
        return out


@dataclass
class QueryAnalysis:
    concepts: list[Concept]
    readings: dict[str, float]  # reading bigram → weight
    question_sentences: list[int]  # indexes of the sentences that look like the question
    n_sentences: int = 1
    sentences: list[str] = field(default_factory=list)  # the sentences the concepts' spans refer to

    def without(self, concepts: Iterable[Concept]) -> str:
        """The question with the words of `concepts` left out (sentences joined)."""
        cut: dict[int, list[tuple[int, int]]] = {}
        for concept in concepts:
            for sentence, start, end in concept.spans:
                cut.setdefault(sentence, []).append((start, end))
        parts = []
        for i, sentence in enumerate(self.sentences):
            spans = sorted(cut.get(i, ()))
            kept, position = [], 0
            for start, end in spans:
                if start > position:
                    kept.append(sentence[position:start])
                position = max(position, end)
            kept.append(sentence[position:])
            parts.append("".join(kept))
        return "".join(parts)

    @property
    def is_empty(self) -> bool:
        return not self.concepts and not self.readings


@dataclass(frozen=True)
class DocumentAnalysis:
    terms: list[str]  # with repetition, for term frequency
    readings: list[str]  # katakana reading bigrams within runs of words
    spellings: list[tuple[str, tuple[str, ...]]]  # (reading, terms) of words and short sequences


@dataclass(frozen=True)
class _Morph:
    terms: tuple[str, ...]  # content terms (normalised form, and 連用形 noun of a verb); () if none
    subterms: tuple[str, ...]
    reading: str
    begin: int
    end: int
    breaks_run: bool
    predicate: bool
    minor: bool
    kana_fragment: bool


_GODAN_RENYO = str.maketrans("うくぐすつぬぶむる", "いきぎしちにびみり")


def _renyo_noun(normalised: str, conjugation: str) -> str | None:
    """申し込む → 申し込み, 捨てる → 捨て: the noun form FAQ texts often use for a verb."""
    if len(normalised) < 2:
        return None
    if conjugation.startswith("五段"):
        return normalised[:-1] + normalised[-1].translate(_GODAN_RENYO)
    if conjugation.startswith(("上一段", "下一段")) and normalised.endswith("る"):
        return normalised[:-1]
    return None


class JapaneseAnalyser:
    """Sudachi (SplitMode.C with the SplitMode.A parts of compounds) plus the synonym table."""

    MAX_RESPELL_SPAN = 4
    MIN_RESPELL_READING = 3

    def __init__(self, synonyms: SynonymTable):
        self.synonyms = synonyms
        self._phrase_cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _terms(pos: tuple[str, ...], normalised: str) -> tuple[str, ...]:
        if normalised in INTERROGATIVES:
            return (normalised,)
        if pos[0] not in _CONTENT_POS:
            return ()
        if pos[1] == "数詞":
            return (normalised,) if any(ch.isdigit() for ch in normalised) else ()
        if normalised in _STOP_TERMS or (pos[0] == "名詞" and pos[1] == "非自立可能"):
            return ()
        if len(normalised) == 1 and pos[0] == "接頭辞":
            return ()
        if pos[0] == "動詞":
            noun = _renyo_noun(normalised, pos[4])
            if noun and noun not in _STOP_TERMS:
                return (normalised, noun)
        return (normalised,)

    def _morphs(self, text: str) -> list[_Morph]:
        out = []
        for morpheme in sudachi_tokenizer().tokenize(text, _MODE_C):
            pos = morpheme.part_of_speech()
            surface = morpheme.surface()
            reading = "" if surface.isascii() else fold_reading(morpheme.reading_form())
            if surface.isascii() and (surface.lower() in _EN_STOP or len(surface) < 2):
                terms: tuple[str, ...] = ()  # English filler in a mixed question ("How do I get 住民票?")
            else:
                terms = self._terms(pos, morpheme.normalized_form().lower())
            subterms: tuple[str, ...] = ()
            if terms and len(surface) >= 3:
                parts = morpheme.split(_MODE_A)
                if len(parts) > 1:
                    subterms = tuple(
                        t
                        for p in parts
                        for t in self._terms(p.part_of_speech(), p.normalized_form().lower())[:1]
                    )
            out.append(
                _Morph(
                    terms,
                    subterms,
                    reading,
                    morpheme.begin(),
                    morpheme.end(),
                    pos[0] in _BREAK_POS or not reading,
                    pos[0] in {"動詞", "形容詞"}
                    or (len(surface) >= 2 and surface.endswith("方") and bool(subterms)),
                    pos[2] == "副詞可能" or pos[1] == "数詞" or pos[0] == "形状詞",
                    len(surface) <= 3 and all("\u3041" <= ch <= "\u309f" for ch in surface),
                )
            )
        return out

    @staticmethod
    def _runs(morphs: list[_Morph]) -> list[list[_Morph]]:
        runs: list[list[_Morph]] = []
        current: list[_Morph] = []
        for morph in morphs:
            if morph.breaks_run:
                if current:
                    runs.append(current)
                current = []
            else:
                current.append(morph)
        if current:
            runs.append(current)
        return runs

    def phrase_terms(self, phrase: str) -> tuple[str, ...]:
        """Terms of a synonym or glossary phrase, as one alternative form of a concept."""
        cached = self._phrase_cache.get(phrase)
        if cached is None:
            terms = tuple(m.terms[0] for m in self._morphs(phrase.lower()) if m.terms)
            cached = terms or ((phrase.lower(),) if phrase.strip() else ())
            self._phrase_cache[phrase] = cached
        return cached

    def analyse_document(self, text: str) -> DocumentAnalysis:
        """Index terms, reading bigrams and spellings of one document field, tokenised once."""
        text = text.lower()
        morphs = self._morphs(text)
        terms: list[str] = []
        for morph in morphs:
            terms.extend(morph.terms)
            terms.extend(morph.subterms)
        for match in self.synonyms.find(text):
            terms.extend(self.phrase_terms(match.canonical))
        readings: list[str] = []
        spellings: list[tuple[str, tuple[str, ...]]] = []
        for run in self._runs(morphs):
            readings.extend(reading_ngrams("".join(m.reading for m in run)))
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + self.MAX_RESPELL_SPAN) + 1):
                    span = run[i:j]
                    span_terms = tuple(m.terms[0] for m in span if m.terms)
                    reading = "".join(m.reading for m in span)
                    if span_terms and len(reading) >= self.MIN_RESPELL_READING:
                        spellings.append((reading, span_terms))
        return DocumentAnalysis(terms, readings, spellings)

    def document_terms(self, text: str) -> list[str]:
        """All index terms of a document field (with repetition, for term frequency)."""
        return self.analyse_document(text).terms

    def analyse_question(
        self,
        text: str,
        *,
        respell: Callable[[str], Iterable[tuple[str, ...]]] | None = None,
        is_known: Callable[[str], bool] | None = None,
    ) -> QueryAnalysis:
        """Concepts with weights; sentences that do not look like the question weigh less.

        `respell(reading)` returns the index phrases read that way; it turns kana spellings and
        homophone typos (住民表, じゅうみんひょう) into the indexed words. `is_known(term)` says
        whether the index has a term; a lone known word is not respelled.
        """
        sentences = split_sentences(text) or [text]
        question_like = [any(m in s for m in QUESTION_MARKERS) for s in sentences]
        down_weight = len(sentences) > 1 and any(question_like)
        concepts: dict[str, Concept] = {}
        readings: dict[str, float] = {}

        def concept_for(key: str, main: str, weight: float, index: int) -> Concept:
            concept = concepts.get(key)
            if concept is None:
                concept = concepts[key] = Concept(main, weight)
            concept.weight = max(concept.weight, weight)
            concept.sentences.add(index)
            return concept

        for index, (sentence, is_question) in enumerate(zip(sentences, question_like, strict=True)):
            weight = 1.0 if (is_question or not down_weight) else _NON_QUESTION_WEIGHT
            morphs = self._morphs(sentence)
            matches = self.synonyms.find(sentence)
            used_matches: set[int] = set()
            respelled: dict[int, tuple[str, set[tuple[str, ...]]]] = {}
            for run in self._runs(morphs):
                for gram in reading_ngrams("".join(m.reading for m in run)):
                    readings[gram] = max(readings.get(gram, 0.0), weight)
                if respell is not None:
                    self._respell_run(run, respell, is_known, respelled)
            respelled_concept: Concept | None = None
            for morph in morphs:
                if morph.begin in respelled:
                    key, phrases = respelled[morph.begin]
                    if key:
                        respelled_concept = concept_for(key, "", weight, index)
                        respelled_concept.alternatives.update(phrases)
                    if respelled_concept is not None:  # the first word of the span, or a later one
                        respelled_concept.spans.add((index, morph.begin, morph.end))
                    continue
                if not morph.terms:
                    continue
                concept = concept_for(morph.terms[0], morph.terms[0], weight, index)
                concept.spans.add((index, morph.begin, morph.end))
                concept.alternatives.update((t,) for t in morph.terms[1:])
                concept.predicate = morph.predicate
                concept.minor = morph.minor
                concept.kana_fragment = morph.kana_fragment
                if morph.subterms:
                    concept.subterms = morph.subterms
                for i, match in enumerate(matches):
                    if match.start < morph.end and morph.begin < match.end:
                        concept.alternatives.add(self.phrase_terms(match.canonical))
                        used_matches.add(i)
            for i, match in enumerate(matches):
                if i not in used_matches:
                    # A synonym spanning only dropped words (e.g. a verb phrase): its own concept.
                    terms = self.phrase_terms(match.canonical)
                    concept = concept_for("+".join(terms), "", weight, index)
                    concept.alternatives.add(terms)
                    concept.spans.add((index, match.start, match.end))
        question_sentences = [i for i, q in enumerate(question_like) if q]
        return QueryAnalysis(list(concepts.values()), readings, question_sentences, len(sentences), sentences)

    def _respell_run(
        self,
        run: list[_Morph],
        respell: Callable[[str], Iterable[tuple[str, ...]]],
        is_known: Callable[[str], bool] | None,
        respelled: dict[int, tuple[str, set[tuple[str, ...]]]],
    ) -> None:
        """Longest spans first: a span whose reading is an indexed word becomes that word."""
        i = 0
        while i < len(run):
            matched = 0
            for j in range(min(len(run), i + self.MAX_RESPELL_SPAN), i, -1):
                span = run[i:j]
                reading = "".join(m.reading for m in span)
                if len(reading) < self.MIN_RESPELL_READING:
                    continue
                own = tuple(m.terms[0] for m in span if m.terms)
                if len(span) == 1 and (not own or is_known is None or is_known(own[0])):
                    continue
                phrases = {p for p in respell(reading) if p != own}
                if not phrases:
                    continue
                if own:
                    phrases.add(own)
                key = "~" + reading
                for offset in range(len(span)):
                    respelled[span[offset].begin] = (key, phrases) if offset == 0 else ("", set())
                matched = j - i
                break
            i += matched or 1


# --- English -----------------------------------------------------------------------------------


def english_stem(word: str) -> str:
    """A small suffix stripper: enough to make plurals and verb forms meet, no dictionary needed."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ied", "y", 5),
        ("ed", "", 5),
        ("es", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "xes", "zes", "sses")):
                continue
            stem = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            return stem
    return word


def english_words(text: str) -> list[str]:
    return _EN_WORD.findall(text.lower().replace("'s ", " ").replace("’", "'"))


class EnglishAnalyser:
    """Stemmed English words, and glossary phrases translated to Japanese for the bridge."""

    MAX_PHRASE = 5

    def __init__(self, glossary: Glossary, japanese: JapaneseAnalyser):
        self.japanese = japanese
        self._phrases: dict[tuple[str, ...], list[str]] = {}
        for english, japanese_terms in glossary.terms.items():
            key = tuple(english_stem(w) for w in english_words(english))
            if key:
                self._phrases.setdefault(key, []).extend(japanese_terms)

    def document_terms(self, text: str) -> list[str]:
        return [english_stem(w) for w in english_words(text) if w not in _EN_STOP]

    def analyse_question(self, text: str) -> tuple[list[Concept], list[Concept]]:
        """English concepts for English entries, and glossary concepts for Japanese entries.

        Both lists are aligned: concept i of each list stands for the same words of the question,
        so a word counts as matched when either its English or its Japanese form matches.
        """
        words = english_words(text)
        stems = [english_stem(w) for w in words]
        english: list[Concept] = []
        bridge: list[Concept] = []
        i = 0
        while i < len(words):
            match_len = 0
            for length in range(min(self.MAX_PHRASE, len(words) - i), 0, -1):
                if tuple(stems[i : i + length]) in self._phrases:
                    match_len = length
                    break
            if match_len:
                span = range(i, i + match_len)
                content = tuple(stems[j] for j in span if words[j] not in _EN_STOP)
                japanese = self._phrases[tuple(stems[i : i + match_len])]
                alternatives = {self.japanese.phrase_terms(j) for j in japanese}
                alternatives.discard(())
                spans = {(0, i, i + match_len)}
                english.append(Concept("", 1.0, alternatives={content} if content else set(), spans=spans))
                bridge.append(Concept("", 1.0, alternatives=alternatives, spans=set(spans)))
                i += match_len
                continue
            if words[i] not in _EN_STOP and len(words[i]) > 1:
                english.append(Concept(stems[i], 1.0, spans={(0, i, i + 1)}))
                bridge.append(Concept("", 1.0, spans={(0, i, i + 1)}))
            i += 1
        return english, bridge


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))

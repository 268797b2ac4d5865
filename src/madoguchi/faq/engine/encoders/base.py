"""The plug-in interface of the dense retriever: a sentence encoder that runs offline in this process."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class Encoder(ABC):
    """Turns texts into L2-normalised vectors of `dim` float32 numbers.

    An encoder must not download anything: its weights ship inside an installed package (or a file
    the municipality provides). `query=True` marks search questions, `False` FAQ texts; models
    trained with prefixes (E5: "query: " / "passage: ") use it, others ignore it. Implementations
    load their model lazily and must be safe to call from several threads.
    """

    name: str = ""
    dim: int = 0
    licence: str = ""  # of the code and the weights, for `encoders.describe()` and the docs

    @abstractmethod
    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """(len(texts), dim) float32 array, each row of length 1 (a zero row for an empty text)."""

    def warm_up(self) -> None:
        """Load the model now (the first `encode` would otherwise pay for it)."""
        self.encode(["warm up"], query=True)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms

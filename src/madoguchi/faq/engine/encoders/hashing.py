"""A tiny encoder without a model: hashed character n-grams (1–3), for tests and as an example.

It shows what a municipality's own encoder must provide; its vectors carry no meaning beyond shared
characters, so it is not meant for production.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

import numpy as np

from .base import Encoder, l2_normalise


class HashingEncoder(Encoder):
    name = "hashing"
    licence = "Apache-2.0 (part of Madoguchi)"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        text = unicodedata.normalize("NFKC", text).lower()
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                digest = hashlib.blake2b(text[i : i + n].encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                vector[value % self.dim] += 1.0 if (value >> 63) else -1.0
        return vector

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(np.stack([self._vector(t or "") for t in texts]))

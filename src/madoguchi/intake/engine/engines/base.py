"""What an OCR engine is to the intake: recognise crops (a line or a single character) with an optional
character whitelist (pure: no Django). A municipality adds its own engine by registering a factory:

    from madoguchi.intake.engine.engines import register_engine

    @register_engine("mine")
    def make_mine(**options) -> OcrEngine:
        return MyEngine(**options)

and naming it in `PageReader(engine="mine")` (MADOGUCHI_INTAKE_OCR_ENGINE on the Django side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Crop:
    """One thing to read: a greyscale image (uint8, paper white) of one line of text or one character.
    `allowed`: the only characters the answer may hold ("" for any); `single`: exactly one character."""

    image: np.ndarray
    allowed: str = ""
    single: bool = False


@dataclass(frozen=True)
class Recognition:
    """What an engine read: the text, its score (0–1, the engine's own), per-character scores when the
    engine gives them, and alternatives (text, score) for a single character or a short text."""

    text: str
    score: float
    char_scores: tuple[float, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = field(default_factory=tuple)


class OcrEngine(Protocol):
    name: str

    def recognise(self, crops: Sequence[Crop]) -> list[Recognition]:
        """One Recognition per crop, in order. Must not raise on an odd crop: return ("", 0.0)."""
        ...


__all__ = ["Crop", "OcrEngine", "Recognition"]

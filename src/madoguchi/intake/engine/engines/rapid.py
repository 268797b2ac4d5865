"""rapidocr 3.x recognition (the PP-OCRv6 multilingual model shipped in its wheel, run with onnxruntime) on
crops, with our own CTC decoding so that a whitelist really restricts the answer (pure: no Django).

Only the recognition model is used (the page's layout says where the text is: no detection, no angle
classifier). The model file is the one in the wheel's `rapidocr/models/`: the engine refuses to start when it
is missing, so nothing is ever downloaded (rapidocr downloads only when `model_path` is not given).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from . import register_engine
from .base import Crop, Recognition

REC_MODEL = "PP-OCRv6_rec_small.onnx"
# Characters that look the same in print: when only the key may be the answer (a whitelist), the model's
# belief in a look-alike counts for it (カ and the kanji 力, ロ and 口, 0 and O …).
HOMOGLYPHS: dict[str, str] = {
    "カ": "力", "タ": "夕", "ロ": "口", "ト": "卜", "エ": "工", "ニ": "二", "ハ": "八", "ー": "一—-－―", "ヘ": "へ",
    "ベ": "べ", "ペ": "ぺ", "リ": "り", "ミ": "彡", "チ": "千", "オ": "才", "ヤ": "や", "セ": "せ", "キ": "き",
    "モ": "も", "ム": "厶", "ウ": "宀", "ﾞ": "゛\"", "ﾟ": "゜°",
    "0": "OoＯｏ〇D", "1": "lI|ｌＩ丨", "2": "Zz", "5": "Ss", "6": "b", "8": "B", "9": "g", "4": "A",
}  # fmt: skip
HEIGHT = 48
BATCH = 16
SINGLE_RATIO = float(os.environ.get("MDG_SR", "1.0"))


def model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, *, threads: int = 1, model_path: str | None = None) -> None:
        from rapidocr import RapidOCR

        path = Path(model_path) if model_path else model_dir() / REC_MODEL
        if not path.is_file():
            raise FileNotFoundError(
                f"the rapidocr recognition model {path} is missing: reinstall rapidocr==3.10.0 (its wheel ships it)"
            )
        models = model_dir()
        params = {
            "Global.use_det": False,
            "Global.use_cls": False,
            "Global.log_level": "error",
            "Global.model_root_dir": str(models),
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
            "Rec.model_path": str(path),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        ocr = RapidOCR(params=params)
        self.recognizer = ocr._load_rec_model()  # the TextRecognizer: its session and character list
        if not self.recognizer.session.have_key():
            raise RuntimeError(f"the model {path} carries no character list")
        self.characters: list[str] = list(self.recognizer.postprocess_op.character)
        self.index = {ch: i for i, ch in enumerate(self.characters) if i > 0}
        self.path = path

    # ---- preprocessing ----------------------------------------------------------------------------------------

    @staticmethod
    def _prepare(image: np.ndarray, single: bool) -> np.ndarray:
        """Trim to the ink with a margin, as the model saw text in training (a line 48 pixels high)."""
        if image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        ink = image < 160
        rows, cols = np.nonzero(ink)
        if single:
            # A cell keeps its size: a small mark (ﾞ, ー, ・) stays small, as it was written. The model reads
            # lines: a character alone gets white space on both sides (SINGLE_RATIO wide).
            h, w = image.shape[:2]
            side = max(h, w)
            width = int(side * SINGLE_RATIO)
            image = cv2.copyMakeBorder(
                image, (side - h) // 2 + 2, (side - h + 1) // 2 + 2, (width - w) // 2 + 2, (width - w + 1) // 2 + 2,
                cv2.BORDER_CONSTANT, value=255,
            )  # fmt: skip
            return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if len(rows):
            y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
            image = image[y0:y1, x0:x1]
        h, w = image.shape[:2]
        pad_y = max(2, int(h * 0.25))
        pad_x = max(2, int(h * 0.25)) if single else max(2, int(h * 0.35))
        if single and w < h:
            pad_x += (h - w) // 2
        image = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=255)
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)

    @staticmethod
    def _normalise(image: np.ndarray, width: int) -> np.ndarray:
        h, w = image.shape[:2]
        resized_w = min(width, max(1, math.ceil(HEIGHT * w / h)))
        resized = cv2.resize(image, (resized_w, HEIGHT)).astype(np.float32).transpose((2, 0, 1))
        resized = (resized / 255.0 - 0.5) / 0.5
        out = np.zeros((3, HEIGHT, width), dtype=np.float32)
        out[:, :, :resized_w] = resized
        return out

    def _predict(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """The model's per-step character probabilities (T × C) for each image."""
        order = np.argsort([img.shape[1] / img.shape[0] for img in images])
        out: list[np.ndarray | None] = [None] * len(images)
        for start in range(0, len(images), BATCH):
            chunk = order[start : start + BATCH]
            ratio = max(max(images[i].shape[1] / images[i].shape[0] for i in chunk), 1.0)
            width = int(HEIGHT * ratio)
            batch = np.stack([self._normalise(images[i], width) for i in chunk])
            preds = self.recognizer.session(batch)
            for j, i in enumerate(chunk):
                out[i] = preds[j]  # the padding on the right decodes to blanks
        return out  # type: ignore[return-value]

    # ---- decoding ---------------------------------------------------------------------------------------------

    def _allowed_indices(self, allowed: str) -> np.ndarray | None:
        if not allowed:
            return None
        indices = sorted({self.index[ch] for ch in allowed if ch in self.index})
        return np.array([0, *indices], dtype=np.int64)

    def _restricted(self, probs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """The probabilities of the allowed characters (blank first), each with its look-alikes' added."""
        sub = probs[:, allowed].copy()
        for j, idx in enumerate(allowed[1:], start=1):
            for other in HOMOGLYPHS.get(self.characters[idx], ""):
                k = self.index.get(other)
                if k is not None and k not in allowed:
                    sub[:, j] += probs[:, k]
        # Given the whitelist: a character's share among what may be written there (the model's doubt between
        # ユ and the hiragana ゆ is no doubt in a katakana box). Where the model sees mostly something that may
        # not be there (a letter in a digit box), the share stays low.
        total = sub.sum(axis=1, keepdims=True)
        return sub / np.maximum(total, 0.5)

    def _decode(self, probs: np.ndarray, allowed: np.ndarray | None) -> Recognition:
        sub = probs if allowed is None else self._restricted(probs, allowed)
        best = sub.argmax(axis=1)
        best_p = sub.max(axis=1)
        ids = best if allowed is None else allowed[best]
        text, scores = [], []
        previous = -1
        for t, idx in enumerate(ids):
            if idx != 0 and idx != previous:
                text.append(self.characters[idx])
                scores.append(float(best_p[t]))
            elif idx != 0 and idx == previous and scores:
                scores[-1] = max(scores[-1], float(best_p[t]))
            previous = idx
        if not text:
            return Recognition("", float(best_p.mean()) if len(best_p) else 0.0)
        return Recognition("".join(text), float(np.mean(scores)), tuple(scores))

    def _decode_single(self, probs: np.ndarray, allowed: np.ndarray | None) -> Recognition:
        """Exactly one character: the best over all steps (blank aside), with alternatives."""
        sub = probs[:, 1:] if allowed is None else self._restricted(probs, allowed)[:, 1:]
        if sub.shape[1] == 0:
            return Recognition("", 0.0)
        per_char = sub.max(axis=0)
        top = np.argsort(per_char)[::-1][:3]
        ids = (top + 1) if allowed is None else allowed[1:][top]
        chars = [self.characters[i] for i in ids]
        scores = [float(per_char[i]) for i in top]
        return Recognition(chars[0], scores[0], (scores[0],), tuple(zip(chars[1:], scores[1:], strict=True)))

    def recognise(self, crops: Sequence[Crop]) -> list[Recognition]:
        if not crops:
            return []
        images = [self._prepare(crop.image, crop.single) for crop in crops]
        probs = self._predict(images)
        results = []
        for crop, p in zip(crops, probs, strict=True):
            allowed = self._allowed_indices(crop.allowed)
            results.append(self._decode_single(p, allowed) if crop.single else self._decode(p, allowed))
        return results


@register_engine("rapidocr")
def make_rapidocr(**options) -> RapidOcrEngine:
    threads = int(options.get("threads", os.environ.get("MADOGUCHI_OCR_THREADS", 1)))
    return RapidOcrEngine(threads=threads, model_path=options.get("model_path"))

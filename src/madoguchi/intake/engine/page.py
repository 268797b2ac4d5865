"""Reading one scanned page (pure: no Django): blank? → QR code → registration → which form → every box.

    reader = PageReader()                      # rapidocr, with Tesseract as a second opinion where it helps
    result = reader.read(image, layout_for)    # layout_for(QrPayload) -> FormLayout | None

`result.status` is "read", "blank", "unknown_form" (no QR code and no confident template match: `candidates`
holds the proposals for staff to choose from) or "unreadable" (a form's QR code was found but the page could
not be registered). `result.fields` maps each box key ("field_id" or "field_id.part") to a `FieldRead`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from madoguchi.procedures.forms.layout import SIGNATURE, FieldBox, FormLayout, Rect
from madoguchi.procedures.forms.printable import QrPayload

from . import boxes as bx
from .align import A4, PageGeometry, Registration, is_blank, register
from .classify import Template, confident, match
from .engines import get_engine
from .engines.base import Crop, OcrEngine, Recognition
from .qr import find_qr

SECOND_OPINION_BELOW = 0.95  # a text the first engine scores lower than this is read by the second too


@dataclass(frozen=True)
class FieldRead:
    """What was read in one box: `raw` is the text (a ticked option's value, several joined by ",", "true"/""
    for a single checkbox; a date as 令和06年04月01日), `confidence` 0–1 (the box's own, before validation),
    `crop` where it is on the layout (points), the engine that read it and alternatives (text, score)."""

    key: str
    field_id: str
    part: str | None
    raw: str
    confidence: float
    crop: Rect
    engine: str
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    kind: str = ""
    empty: bool = False  # nothing written (a blank box): raw is ""
    agreed: bool | None = None  # the second engine read the same (None: not asked)


@dataclass
class PageResult:
    status: str  # "read", "blank", "unknown_form", "unreadable"
    qr: QrPayload | None = None
    procedure: str | None = None
    version: int | None = None
    page: int | None = None
    case_number: str | None = None
    candidates: list[tuple[str, int | None, int, float]] = field(default_factory=list)
    fields: dict[str, FieldRead] = field(default_factory=dict)
    aligned: np.ndarray | None = None  # the registered greyscale page (200 dpi), for crops
    dpi: float | None = None
    message: str = ""
    rotated: int = 0  # how far the scan was turned (0, 90, 180, 270)
    method: str = ""  # registration: "marks" or "qr"
    layout: FormLayout | None = None
    qr_text: str | None = None

    def crop(self, rect: Rect, grow: float = 2.0) -> np.ndarray | None:
        """The registered page's pixels of `rect` (points) with a margin, for the verification screen."""
        if self.aligned is None:
            return None
        return bx.crop(self.aligned, rect, grow)


def _gray(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.ndim == 3:
            import cv2

            return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
        return np.ascontiguousarray(image, dtype=np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _allowed(box: FieldBox) -> str:
    hints = box.ocr
    if hints is None:
        return ""
    if hints.whitelist:
        return hints.whitelist
    if hints.charset == "digits":
        return bx.DIGITS
    if hints.charset == "katakana":
        return bx.KATAKANA
    return ""


class PageReader:
    """Reads pages with an OCR engine (by its registered name) and optionally a second one."""

    def __init__(
        self,
        engine: str = "rapidocr",
        *,
        second: str | None = "tesseract",
        engine_options: dict | None = None,
        second_below: float = SECOND_OPINION_BELOW,
    ) -> None:
        self.engine_name = engine
        self.engine: OcrEngine = get_engine(engine, **(engine_options or {}))
        self.second: OcrEngine | None = None
        if second and second != engine:
            try:
                self.second = get_engine(second)
            except (FileNotFoundError, OSError):  # no Tesseract on this machine: the first engine alone
                self.second = None
        self.second_below = second_below

    # ---- the page ---------------------------------------------------------------------------------------------

    def read(
        self,
        image: Image.Image | np.ndarray,
        layout_for: Callable[[QrPayload], FormLayout | None],
        templates: Sequence[Template] = (),
    ) -> PageResult:
        gray = _gray(image)
        if gray.size == 0 or is_blank(gray):
            return PageResult("blank", message="the page is blank")
        hit = find_qr(gray)
        payload = hit.payload if hit is not None else None
        # The layout the QR code names is known before registering: its page may not be A4 (a 圧着はがき).
        named = layout_for(payload) if payload is not None else None
        geometry = PageGeometry.of(named, payload.page) if named is not None else A4
        registration = register(gray, hit, geometry)
        if registration is None:
            if payload is not None:
                return PageResult(
                    "unreadable", qr=payload, procedure=payload.procedure, version=payload.version,
                    page=payload.page, case_number=payload.case_number, qr_text=hit.text if hit else None,
                    message="the form's QR code was read but its corner marks were not found: rescan the page flat and whole",
                )  # fmt: skip
            return PageResult("unknown_form", message="no form QR code and no corner marks on this page")
        result = PageResult(
            "read", aligned=registration.aligned, dpi=registration.dpi, rotated=registration.rotated,
            method=registration.method, qr_text=hit.text if hit else None,
        )  # fmt: skip
        layout = None
        if payload is not None:
            result.qr, result.procedure, result.version = payload, payload.procedure, payload.version
            result.page, result.case_number = payload.page, payload.case_number
            layout = named
            if layout is None:
                result.message = f"no stored layout for {payload.procedure} version {payload.version}"
        if layout is None:
            result.candidates = match(registration.aligned, templates) if templates else []
            if payload is None and confident(result.candidates):
                procedure, version, number, _score = result.candidates[0]
                layout = next(
                    (t if isinstance(t, FormLayout) else t[0])
                    for t in templates
                    if (t if isinstance(t, FormLayout) else t[0]).procedure == procedure
                    and (None if isinstance(t, FormLayout) else t[1]) == version
                )
                result.procedure, result.version, result.page = procedure, version, number
                result.message = "no QR code: the form was recognised by its layout"
            else:
                result.status = "unknown_form"
                if not result.message:
                    result.message = "no form QR code on this page: choose the procedure"
                return result
        result.layout = layout
        if result.page is None or result.page > layout.page_count:
            result.message = "a continuation sheet (別紙): nothing to read in boxes"
            return result
        result.fields = self.read_boxes(registration, layout, result.page)
        return result

    # ---- the boxes --------------------------------------------------------------------------------------------

    def read_boxes(self, registration: Registration, layout: FormLayout, page: int) -> dict[str, FieldRead]:
        aligned = registration.aligned
        reads: dict[str, FieldRead] = {}
        pending: list[tuple[FieldBox, object]] = []  # boxes whose crops go to the engine in one batch
        crops: list[Crop] = []
        for box in layout.boxes_on(page):
            if box.kind in ("group", "none") or box.field_id == SIGNATURE:
                continue
            if box.kind == "checkbox":
                reads[box.key] = self._checkbox(aligned, box)
            elif box.kind == "choices":
                reads[box.key] = self._choices(aligned, box)
            elif box.kind in ("digits", "cells", "date"):
                pending.append((box, self._cells_plan(aligned, box, crops)))
            elif box.kind == "text_area":
                pending.append((box, self._lines_plan(aligned, box, crops)))
        recognitions = self.engine.recognise(crops) if crops else []
        # Cells are read as one line (the model reads characters in context); where the line does not give
        # one character per written cell, the cells are read one by one.
        singles: list[Crop] = []
        for _box, plan in pending:
            if isinstance(plan, _CellPlan):
                plan.assign_line(recognitions, singles)
        single_reads = self.engine.recognise(singles) if singles else []
        for box, plan in pending:
            if isinstance(plan, _CellPlan):
                plan.assign_singles(single_reads)
                reads[box.key] = self._cells_result(aligned, box, plan)
            else:
                reads[box.key] = self._lines_result(box, plan, recognitions, crops)
        return reads

    def _read(self, box: FieldBox, raw: str, confidence: float, *, empty: bool = False, **kw) -> FieldRead:
        return FieldRead(
            key=box.key, field_id=box.field_id, part=box.part, raw=raw, confidence=round(float(confidence), 4),
            crop=box.rect, engine=kw.pop("engine", self.engine.name), kind=box.kind, empty=empty, **kw,
        )  # fmt: skip

    def _checkbox(self, aligned: np.ndarray, box: FieldBox) -> FieldRead:
        mark = bx.read_tick(aligned, box.rects[0])
        return self._read(
            box, "true" if mark.marked else "", mark.confidence, empty=not mark.marked, engine="fill"
        )

    def _choices(self, aligned: np.ndarray, box: FieldBox) -> FieldRead:
        marks = [bx.read_tick(aligned, rect) for rect in box.rects]
        chosen = [value for value, mark in zip(box.choices, marks, strict=False) if mark.marked]
        confidence = min((m.confidence for m in marks), default=0.0)
        alternatives = [(value, m.fill) for value, m in zip(box.choices, marks, strict=False)]
        return self._read(
            box, ",".join(chosen), confidence, empty=not chosen, engine="fill", alternatives=alternatives
        )

    def _cells_plan(self, aligned: np.ndarray, box: FieldBox, crops: list[Crop]) -> _CellPlan:
        allowed = bx.DIGITS if box.kind in ("digits", "date") else _allowed(box)
        plan = _CellPlan(allowed)
        small_marks = any(ch in allowed for ch in ".-_,")  # a written period is a few pixels of ink
        for rect in box.rects:
            image, amount = bx.cell_image(aligned, rect)
            empty, sure = bx.cell_is_empty(image, amount, small_marks=small_marks)
            top, height = bx.ink_extent(image) if not empty else (0, 0)
            cell = _Cell(None if empty else image, sure, height, top)
            if not empty and allowed == bx.KATAKANA:
                mark = bx.voicing_mark(image)  # a half-width ﾞ or ﾟ alone in its cell
                if mark:
                    cell.text, cell.score, cell.fixed = mark, sure, True
                else:
                    cell.image = bx.widen_narrow(image)  # a half-width ｶﾅ read as the full-width kana
            plan.cells.append(cell)
        written = [c.image for c in plan.cells if c.image is not None and not c.fixed]
        if written:
            plan.line_index = len(crops)
            crops.append(Crop(bx.join_cells(written), allowed=allowed))
        return plan

    def _cells_result(self, aligned: np.ndarray, box: FieldBox, plan: _CellPlan) -> FieldRead:
        chars: list[str] = []
        scores: list[float] = []
        alternatives: list[tuple[str, float]] = []
        others = [c for c in plan.cells if c.image is not None and not c.fixed and c.text not in SMALL_KANA]
        typical = (
            (float(np.median([c.top for c in others])), float(np.median([c.height for c in others])))
            if len(others) >= 2
            else None
        )
        for cell in plan.cells:
            if cell.image is None:
                chars.append(" ")
                scores.append(cell.sure)
                continue
            text = cell.text or "?"
            if typical and (text in SMALL_KANA or text in LARGE_KANA):
                text = _kana_size(text, cell.top, *typical)
            chars.append(text)
            scores.append(min(cell.score, cell.sure))
            alternatives.extend(cell.alternatives[:1])
        text = "".join(chars)
        written = [c for c in plan.cells if c.image is not None]
        # Cells: a space between written cells is a word break (ミドリ タロウ), leading blanks are nothing, and a
        # half-width ﾞ or ﾟ in a cell of its own joins the kana before it (ﾄﾞ → ド). Digits: blanks are nothing.
        raw = compose_marks(text.strip()) if box.kind == "cells" else text.replace(" ", "")
        confidence = min(scores) if scores else 0.0
        if box.kind == "date":
            marks = [bx.read_circle(aligned, rect) for rect in box.choice_rects]
            circled = [(era, m) for era, m in zip(box.choices, marks, strict=False) if m.marked]
            digits = raw
            if not written and not circled:
                return self._read(box, "", min(scores + [m.confidence for m in marks]), empty=True)
            era_conf = min((m.confidence for m in marks), default=0.0)
            if len(circled) == 1 and len(digits) == 6:
                era = circled[0][0]
                raw = f"{era}{digits[0:2]}年{digits[2:4]}月{digits[4:6]}日"
            else:
                era_conf = min(era_conf, 0.3)
            confidence = min(confidence, era_conf)
            alternatives = [(era, m.fill) for era, m in zip(box.choices, marks, strict=False)]
        if not written and box.kind != "date":
            return self._read(box, "", confidence, empty=True)
        return self._read(box, raw, confidence, alternatives=alternatives)

    def _lines_plan(self, aligned: np.ndarray, box: FieldBox, crops: list[Crop]) -> list:
        allowed = _allowed(box)
        plan = []
        for rect in box.rects or (box.rect,):
            for image, reach in bx.text_lines(aligned, rect):
                plan.append((len(crops), reach))
                crops.append(Crop(image, allowed=allowed))
        return plan

    def _lines_result(self, box: FieldBox, plan: list, recognitions: list, crops: list[Crop]) -> FieldRead:
        if not plan:
            return self._read(box, "", 0.97, empty=True)
        pieces: list[str] = []
        scores: list[float] = []
        agreed: bool | None = None
        for n, (index, reach) in enumerate(plan):
            rec: Recognition = recognitions[index]
            text, score = rec.text, rec.score
            if rec.char_scores:
                score = min(score, min(rec.char_scores) ** 0.5)
            if self.second is not None and score < self.second_below:
                other = self.second.recognise([crops[index]])[0]
                same = _squash(other.text) == _squash(text)
                agreed = same if agreed is None else (agreed and same)
                score = min(1.0, score + 0.5 * (1 - score)) if same else score * 0.7
            pieces.append(text)
            scores.append(score)
            if n < len(plan) - 1:
                # A line that reaches the right edge was wrapped inside a word; a shorter one at a space.
                pieces.append("" if reach > 0.9 else "\n")
        raw = fix_lookalikes("".join(pieces))
        return self._read(box, raw, min(scores), agreed=agreed)


SMALL_KANA = "ァィゥェォッャュョヮヵヶ"
LARGE_KANA = "アイウエオツヤユヨワカケ"


def _kana_size(ch: str, top: int, typical_top: float, typical_height: float) -> str:
    """イ or ィ by where it is written against the other cells of the field: a small kana sits low in its cell
    (its top a quarter of a character or more below the others')."""
    small = top - typical_top > 0.25 * typical_height
    if ch in SMALL_KANA and not small:
        return LARGE_KANA[SMALL_KANA.index(ch)]
    if ch in LARGE_KANA and small:
        return SMALL_KANA[LARGE_KANA.index(ch)]
    return ch


@dataclass
class _Cell:
    image: np.ndarray | None  # None: empty
    sure: float  # how sure it is empty or written
    height: int  # the written ink's height in pixels
    top: int = 0  # where the ink starts from the cell's top
    text: str = ""
    score: float = 0.0
    alternatives: tuple[tuple[str, float], ...] = ()
    fixed: bool = False  # read without the engine (a voicing mark)


@dataclass
class _CellPlan:
    allowed: str
    cells: list[_Cell] = field(default_factory=list)
    line_index: int | None = None
    single_indices: list[int] = field(default_factory=list)

    def assign_line(self, recognitions: Sequence[Recognition], singles: list[Crop]) -> None:
        written = [c for c in self.cells if c.image is not None and not c.fixed]
        if self.line_index is None:
            return
        rec = recognitions[self.line_index]
        if len(rec.text) == len(written) and len(rec.char_scores) == len(written):
            for cell, ch, score in zip(written, rec.text, rec.char_scores, strict=True):
                cell.text, cell.score = ch, score
            return
        for cell in written:
            self.single_indices.append(len(singles))
            singles.append(Crop(cell.image, allowed=self.allowed, single=True))

    def assign_singles(self, single_reads: Sequence[Recognition]) -> None:
        if not self.single_indices:
            return
        written = [c for c in self.cells if c.image is not None and not c.fixed]
        for cell, index in zip(written, self.single_indices, strict=True):
            rec = single_reads[index]
            # Read alone, a cell is less sure than in a line that had one character per cell.
            cell.text, cell.score, cell.alternatives = rec.text, rec.score * 0.9, rec.alternatives


# Katakana and the kanji they look like in print: which one it is follows from the neighbours.
_KANA_TWINS = {"カ": "力", "ロ": "口", "エ": "工", "タ": "夕", "ニ": "二", "ハ": "八", "ト": "卜", "ー": "一"}
_KANJI_TWINS = {kanji: kana for kana, kanji in _KANA_TWINS.items()}


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or (ch != "" and ch in "々〆")


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or ch == "ー"


def fix_lookalikes(text: str) -> str:
    """入カ → 入力, 中央ー丁目 → 中央一丁目, ヒ口シ → ヒロシ: a katakana between kanji (or a kanji after a
    kanji at the end) is the kanji twin, a twin kanji among katakana is the katakana. ー after a kanji is 一
    (the long vowel mark only follows kana)."""
    chars = list(text)
    for i, ch in enumerate(chars):
        before = chars[i - 1] if i > 0 else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if ch in _KANA_TWINS:
            if ch == "ー" and _is_kanji(before):
                chars[i] = "一"
            elif (
                ch != "ー"
                and _is_kanji(before)
                and (not after or _is_kanji(after) or not _is_katakana(after))
            ):
                chars[i] = _KANA_TWINS[ch]
        elif (
            ch in _KANJI_TWINS
            and (_is_katakana(before) or _is_katakana(after))
            and not (_is_kanji(before) or _is_kanji(after))
        ):
            chars[i] = _KANJI_TWINS[ch]
    return "".join(chars)


def compose_marks(text: str) -> str:
    """ト゛ → ド, ハ゜ → パ: a (semi-)voiced mark read in a cell of its own joined to the kana before it."""
    out: list[str] = []
    for ch in text:
        if ch in "゛゜ﾞﾟ" and out:
            combined = unicodedata.normalize("NFC", out[-1] + ("\u3099" if ch in "゛ﾞ" else "\u309a"))
            if len(combined) == 1:
                out[-1] = combined
                continue
        out.append(ch)
    return "".join(out)


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


__all__ = ["FieldRead", "PageReader", "PageResult"]

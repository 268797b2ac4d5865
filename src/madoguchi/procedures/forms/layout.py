"""The printed form of a procedure, laid out on A4 pages: where every box, label and mark goes (pure: no Django).

`layout_form(spec)` asks each field's type for its `print_layout` (procedures/fields/) and places it: a header
band on every page (title, 宛先, 受付番号 box, printed date, QR zone), the four basic items (氏名, 住所, 生年月日,
性別) on the first page, then every step's fields in order, a list of what to attach, and the signature box
(署名欄) on the last page; corner marks on every page for aligning a scan. The result, `FormLayout`, is both
what `render.py` draws and the field map the paper intake reads scans with: its JSON (`to_json`, versioned
with `"layout_version"`) is stored with each procedure version (`ProcedureVersion.print_layout`).

Coordinates are PDF points (1/72 inch) with the origin at the **top left** of the page and y growing
downwards, as in a scanned image (a pixel at 300 dpi is x × 300 / 72). docs/forms.md describes the format.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from madoguchi.jp import wareki
from madoguchi.jp.errors import JpValueError

from ..fields.base import CHECKBOX_MM, DIGIT_MM, GROUP_GAP_MM, LINE_MM, OcrHints, PrintLayout

if TYPE_CHECKING:
    from ..spec import Field, ProcedureSpec

LAYOUT_VERSION = 1

MM = 72 / 25.4  # points per millimetre
PAGE_WIDTH = 595.28  # A4 portrait, in points
PAGE_HEIGHT = 841.89
MARGIN = 15 * MM  # every box stays inside 15 mm margins
CONTENT_LEFT = MARGIN
CONTENT_RIGHT = PAGE_WIDTH - MARGIN
CONTENT_WIDTH = CONTENT_RIGHT - CONTENT_LEFT  # 180 mm
HEADER_BOTTOM = 39 * MM  # the rule under the header band
CONTENT_TOP = 43 * MM
CONTENT_BOTTOM = 280 * MM  # the footer line sits below, between the lower corner marks

# Corner marks: filled 5 mm squares 8 mm from each edge (outside the margins), the same on every page.
MARK_SIZE = 5 * MM
MARK_OFFSET = 8 * MM
QR_SIZE = 22 * MM  # the QR zone, top right inside the margins (a version 3–4 code with its quiet zone)

# Spacing: the white space around every field (an OCR lesson: a margin around each field).
FIELD_MARGIN = 4 * MM  # the least distance between the boxes of two fields
H_GAP = 6 * MM  # between fields side by side
V_GAP = 5 * MM  # between rows of fields
LABEL_SIZE = 8.5
LABEL_EN_SIZE = 6.5
LABEL_LINE = 11.0  # height of a label line
LABEL_GAP = 3.0  # from the label to its boxes
PART_LABEL_SIZE = 7.0
HEADING_HEIGHT = 6 * MM
CELL_W, CELL_H = 6 * MM, 8 * MM
DIGIT_W, DIGIT_H = DIGIT_MM[0] * MM, DIGIT_MM[1] * MM
TICK = CHECKBOX_MM * MM
CHOICE_ROW = 6.5 * MM
ERA_W = 9 * MM  # one era name to circle
DATE_WORD_W = 4.5 * MM  # 年 / 月 / 日 after each pair of boxes
LINE_H = LINE_MM * MM

# Ids of the boxes that are not fields of the procedure: a dot never occurs in a field id.
BASIC_NAME = "basics.name"
BASIC_ADDRESS = "basics.address"
BASIC_BIRTH_DATE = "basics.birth_date"
BASIC_SEX = "basics.sex"
SIGNATURE = "form.signature"
BASIC_FIELDS = (BASIC_NAME, BASIC_ADDRESS, BASIC_BIRTH_DATE, BASIC_SEX)
# 性別 as the resident register codes it (住民記録: 1 男, 2 女).
SEX_CHOICES: Mapping[str, tuple[str, str]] = {"1": ("男", "Male"), "2": ("女", "Female")}

ZONES = ("qr", "case_number", "city", "printed_on", "footer")


def _r(value: float) -> float:
    return round(value, 2)


# --------------------------------------------------------------------------------------------------------------
# The objects


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def moved(self, dx: float, dy: float) -> Rect:
        return Rect(_r(self.x + dx), _r(self.y + dy), self.width, self.height)

    def grown(self, by: float) -> Rect:
        return Rect(self.x - by, self.y - by, self.width + 2 * by, self.height + 2 * by)

    def overlaps(self, other: Rect) -> bool:
        eps = 0.005  # coordinates are kept to 0.01 pt: touching is not overlapping
        return (
            self.x < other.right - eps
            and other.x < self.right - eps
            and self.y < other.bottom - eps
            and other.y < self.bottom - eps
        )

    def to_json(self) -> list[float]:
        return [_r(self.x), _r(self.y), _r(self.width), _r(self.height)]

    @classmethod
    def from_json(cls, data: Sequence[float]) -> Rect:
        x, y, width, height = (float(v) for v in data)
        return cls(x, y, width, height)


def _rect(x: float, y: float, width: float, height: float) -> Rect:
    return Rect(_r(x), _r(y), _r(width), _r(height))


@dataclass(frozen=True)
class TextItem:
    """A text printed in a rectangle: fitted into `width` (a smaller size when it would not fit)."""

    x: float
    y: float
    width: float
    height: float
    text: str
    size: float
    font: str = "gothic"  # "gothic" (labels, headings) or "mincho"
    align: str = "left"  # left, center, right
    tone: str = "black"  # black or gray
    field_id: str | None = None  # the field whose label this is (for messages)

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.width, self.height)

    def moved(self, dx: float, dy: float) -> TextItem:
        return replace(self, x=_r(self.x + dx), y=_r(self.y + dy))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rect": self.rect.to_json(), "text": self.text, "size": self.size}
        if self.font != "gothic":
            data["font"] = self.font
        if self.align != "left":
            data["align"] = self.align
        if self.tone != "black":
            data["tone"] = self.tone
        if self.field_id is not None:
            data["field_id"] = self.field_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TextItem:
        rect = Rect.from_json(data["rect"])
        return cls(
            rect.x,
            rect.y,
            rect.width,
            rect.height,
            str(data["text"]),
            float(data["size"]),
            font=data.get("font", "gothic"),
            align=data.get("align", "left"),
            tone=data.get("tone", "black"),
            field_id=data.get("field_id"),
        )


def _ocr_to_json(hints: OcrHints) -> dict[str, Any]:
    data: dict[str, Any] = {"charset": hints.charset}
    if hints.whitelist:
        data["whitelist"] = hints.whitelist
    if hints.min_length:
        data["min_length"] = hints.min_length
    if hints.max_length is not None:
        data["max_length"] = hints.max_length
    if hints.checkbox:
        data["checkbox"] = True
    if hints.multiline:
        data["multiline"] = True
    return data


def _ocr_from_json(data: Mapping[str, Any]) -> OcrHints:
    return OcrHints(
        data.get("charset", "any"),
        whitelist=data.get("whitelist", ""),
        min_length=data.get("min_length", 0),
        max_length=data.get("max_length"),
        checkbox=data.get("checkbox", False),
        multiline=data.get("multiline", False),
    )


@dataclass(frozen=True)
class FieldBox:
    """Where one field (or one part of a group field) is written on the paper.

    `x, y, width, height` enclose the writing area (for choices: the tick boxes and their words). `cells` is
    the number of boxes (cells, digits, date: boxes per row; choices: options; checkbox: 1; text_area: 0).
    `rects` are the single boxes, in reading order: a cell or digit box each (cells, digits, date), a tick
    box per option (choices, aligned with `choices`), the box (checkbox), a ruled line each (text_area).
    A date's `choices` are the era names and `choice_rects` where each is printed (to circle).
    """

    field_id: str
    page: int
    x: float
    y: float
    width: float
    height: float
    kind: str
    cells: int
    part: str | None = None
    rows: int = 1
    groups: tuple[int, ...] = ()
    rects: tuple[Rect, ...] = ()
    choices: tuple[str, ...] = ()
    choice_rects: tuple[Rect, ...] = ()
    unit: str = ""
    blank: bool = False  # always printed empty (a 個人番号): the resident writes it
    align: str = "left"  # digits: where a shorter value goes ("right" for amounts)
    ocr: OcrHints | None = None

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.width, self.height)

    @property
    def key(self) -> str:
        return self.field_id if self.part is None else f"{self.field_id}.{self.part}"

    def moved(self, dx: float, dy: float, page: int) -> FieldBox:
        return replace(
            self,
            page=page,
            x=_r(self.x + dx),
            y=_r(self.y + dy),
            rects=tuple(r.moved(dx, dy) for r in self.rects),
            choice_rects=tuple(r.moved(dx, dy) for r in self.choice_rects),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "field_id": self.field_id,
            "page": self.page,
            "x": _r(self.x),
            "y": _r(self.y),
            "width": _r(self.width),
            "height": _r(self.height),
            "kind": self.kind,
            "cells": self.cells,
        }
        if self.part is not None:
            data["part"] = self.part
        if self.rows != 1:
            data["rows"] = self.rows
        if self.groups:
            data["groups"] = list(self.groups)
        if self.rects:
            data["rects"] = [r.to_json() for r in self.rects]
        if self.choices:
            data["choices"] = list(self.choices)
        if self.choice_rects:
            data["choice_rects"] = [r.to_json() for r in self.choice_rects]
        if self.unit:
            data["unit"] = self.unit
        if self.blank:
            data["blank"] = True
        if self.align != "left":
            data["align"] = self.align
        if self.ocr is not None:
            data["ocr"] = _ocr_to_json(self.ocr)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldBox:
        return cls(
            str(data["field_id"]),
            int(data["page"]),
            float(data["x"]),
            float(data["y"]),
            float(data["width"]),
            float(data["height"]),
            str(data["kind"]),
            int(data["cells"]),
            part=data.get("part"),
            rows=int(data.get("rows", 1)),
            groups=tuple(data.get("groups", ())),
            rects=tuple(Rect.from_json(r) for r in data.get("rects", ())),
            choices=tuple(data.get("choices", ())),
            choice_rects=tuple(Rect.from_json(r) for r in data.get("choice_rects", ())),
            unit=data.get("unit", ""),
            blank=bool(data.get("blank", False)),
            align=data.get("align", "left"),
            ocr=_ocr_from_json(data["ocr"]) if "ocr" in data else None,
        )


@dataclass(frozen=True)
class PageLayout:
    """What every copy of one page prints: corner marks, the zones filled in when printing (QR, 受付番号,
    宛先, printed date, footer), fixed texts (labels, headings), rules (thin filled rectangles: lines and
    frames) and shades (light grey bands behind headings)."""

    number: int
    marks: tuple[Rect, ...]
    zones: Mapping[str, Rect]
    texts: tuple[TextItem, ...] = ()
    rules: tuple[Rect, ...] = ()
    shades: tuple[Rect, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "marks": [m.to_json() for m in self.marks],
            "zones": {name: self.zones[name].to_json() for name in ZONES if name in self.zones},
            "texts": [t.to_json() for t in self.texts],
            "rules": [r.to_json() for r in self.rules],
            "shades": [s.to_json() for s in self.shades],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PageLayout:
        return cls(
            number=int(data["number"]),
            marks=tuple(Rect.from_json(m) for m in data["marks"]),
            zones={name: Rect.from_json(r) for name, r in data["zones"].items()},
            texts=tuple(TextItem.from_json(t) for t in data.get("texts", ())),
            rules=tuple(Rect.from_json(r) for r in data.get("rules", ())),
            shades=tuple(Rect.from_json(s) for s in data.get("shades", ())),
        )


class LayoutVersionError(ValueError):
    """A stored layout of a format this code does not know."""


@dataclass(frozen=True)
class FormLayout:
    """The pages of one procedure's printed form and the box of every field on them."""

    procedure: str
    title_ja: str
    title_en: str
    pages: tuple[PageLayout, ...]
    boxes: tuple[FieldBox, ...]
    layout_version: int = LAYOUT_VERSION
    # Width and height of every page in points: A4 portrait for procedure forms; other printed matter the
    # paper intake reads back (a 圧着はがき's inside) says its own.
    page_size: tuple[float, float] = (PAGE_WIDTH, PAGE_HEIGHT)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def boxes_of(self, field_id: str) -> tuple[FieldBox, ...]:
        """The box of a field; a group field's own box first, then one per part."""
        return tuple(box for box in self.boxes if box.field_id == field_id)

    def boxes_on(self, page: int) -> tuple[FieldBox, ...]:
        return tuple(box for box in self.boxes if box.page == page)

    def to_json(self) -> dict[str, Any]:
        """The stored form (ProcedureVersion.print_layout): plain JSON, the same for the same spec."""
        return {
            "layout_version": self.layout_version,
            "procedure": self.procedure,
            "title": {"ja": self.title_ja, "en": self.title_en},
            "units": "pt",
            "origin": "top-left",
            "page_size": [_r(self.page_size[0]), _r(self.page_size[1])],
            "pages": [page.to_json() for page in self.pages],
            "boxes": [box.to_json() for box in self.boxes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormLayout:
        version = data.get("layout_version") if isinstance(data, Mapping) else None
        if version != LAYOUT_VERSION:
            raise LayoutVersionError(
                f"unknown print layout version {version!r}; this code reads layout_version {LAYOUT_VERSION}"
            )
        return cls(
            procedure=str(data["procedure"]),
            title_ja=str(data["title"]["ja"]),
            title_en=str(data["title"]["en"]),
            pages=tuple(PageLayout.from_json(p) for p in data["pages"]),
            boxes=tuple(FieldBox.from_json(b) for b in data["boxes"]),
            layout_version=int(version),
            page_size=tuple(float(v) for v in data.get("page_size", (PAGE_WIDTH, PAGE_HEIGHT))),  # type: ignore[arg-type]
        )


# --------------------------------------------------------------------------------------------------------------
# Measuring text without the font: the renderer fits each text into its width, so an estimate that errs on
# the wide side is enough to place things.


def text_width(text: str, size: float) -> float:
    """An upper estimate of the width of `text` at `size` points: full-width characters 1 em, others 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.6 for ch in text) * size


def wrap_text(text: str, size: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` (estimated), at spaces where it can, else anywhere."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if text_width(line + ch, size) <= width or not line:
                line += ch
                continue
            space = line.rfind(" ")
            if ch != " " and space > 0 and text_width(line[space + 1 :] + ch, size) <= width:
                lines.append(line[:space])
                line = line[space + 1 :] + ch
            else:
                lines.append(line.rstrip())
                line = "" if ch == " " else ch
        lines.append(line)
    return lines


# --------------------------------------------------------------------------------------------------------------
# Blocks: one field's label and boxes, laid out at (0, 0) and moved into place


@dataclass
class _Block:
    width: float
    height: float
    texts: list[TextItem] = field(default_factory=list)
    boxes: list[FieldBox] = field(default_factory=list)
    rules: list[Rect] = field(default_factory=list)
    shades: list[Rect] = field(default_factory=list)
    full_row: bool = False  # alone on its row (a heading)


@dataclass(frozen=True)
class _Item:
    """What the layout needs to know of one field: its id, label and print layout, and its type's answers."""

    id: str
    label_ja: str
    label_en: str
    layout: PrintLayout
    required: bool = False
    ocr: OcrHints | None = None
    choice_label: Any = None  # (value, part) -> (ja, en)
    part_label: Any = None  # part -> (ja, en)
    part_ocr: Any = None  # part -> OcrHints


def _label(item: _Item, width_limit: float) -> tuple[list[TextItem], float, float]:
    """The label line(s) of a field: the Japanese label (＊ when required), the English one small and grey."""
    ja = ("＊" if item.required else "") + item.label_ja
    en = item.label_en
    if item.layout.blank:
        en = f"{en} — 手書きで記入 / write by hand"
    ja_w = min(text_width(ja, LABEL_SIZE), width_limit)
    en_w = min(text_width(en, LABEL_EN_SIZE), width_limit)
    texts = [TextItem(0, 0, _r(ja_w), LABEL_LINE, ja, LABEL_SIZE, field_id=item.id)]
    if ja_w + 4 + en_w <= width_limit:
        texts.append(
            TextItem(
                _r(ja_w + 4), 1.0, _r(en_w), LABEL_LINE, en, LABEL_EN_SIZE, tone="gray", field_id=item.id
            )
        )
        return texts, ja_w + 4 + en_w, LABEL_LINE
    texts.append(TextItem(0, LABEL_LINE, _r(en_w), 9.0, en, LABEL_EN_SIZE, tone="gray", field_id=item.id))
    return texts, max(ja_w, en_w), LABEL_LINE + 9.0


def _cells_box(item: _Item, layout: PrintLayout, y: float, part: str | None, ocr: OcrHints | None) -> _Block:
    per_row, rows = max(layout.cells, 1), max(layout.rows, 1)
    rects = tuple(
        _rect(col * CELL_W, y + row * CELL_H, CELL_W, CELL_H) for row in range(rows) for col in range(per_row)
    )
    box = FieldBox(
        item.id, 1, 0, _r(y), _r(per_row * CELL_W), _r(rows * CELL_H), "cells", per_row,
        part=part, rows=rows, rects=rects, ocr=ocr,
    )  # fmt: skip
    return _Block(per_row * CELL_W, y + rows * CELL_H, boxes=[box])


def _digit_row(groups: Sequence[int], y: float, words: Sequence[str] = (), x0: float = 0.0) -> tuple:
    """Digit boxes in groups from x0; between groups a hyphen (or the word after each group, for a date)."""
    rects: list[Rect] = []
    texts: list[TextItem] = []
    x = x0
    for index, count in enumerate(groups):
        for _ in range(count):
            rects.append(_rect(x, y, DIGIT_W, DIGIT_H))
            x += DIGIT_W
        if words:
            texts.append(TextItem(_r(x + 0.5), _r(y), _r(DATE_WORD_W - 1), DIGIT_H, words[index], 8.5))
            x += DATE_WORD_W
        elif index < len(groups) - 1:
            gap = GROUP_GAP_MM * MM
            texts.append(TextItem(_r(x), _r(y), _r(gap), DIGIT_H, "-", 9.0, align="center"))
            x += gap
    return rects, texts, x


def _digits_box(item: _Item, layout: PrintLayout, y: float, part: str | None, ocr: OcrHints | None) -> _Block:
    groups = layout.groups or (layout.cells,)
    rects, texts, x = _digit_row(groups, y)
    box = FieldBox(
        item.id, 1, 0, _r(y), _r(x), _r(DIGIT_H), "digits", layout.cells,
        part=part, groups=tuple(layout.groups), rects=tuple(rects), unit=layout.unit, blank=layout.blank,
        align=layout.align, ocr=ocr,
    )  # fmt: skip
    width = x
    if layout.unit:
        unit_w = text_width(layout.unit, 9.0) + 2
        texts.append(TextItem(_r(x + 1.5 * MM), _r(y), _r(unit_w), DIGIT_H, layout.unit, 9.0))
        width = x + 1.5 * MM + unit_w
    return _Block(width, y + DIGIT_H, texts=texts, boxes=[box])


def _choices_box(
    item: _Item, layout: PrintLayout, y: float, part: str | None, ocr: OcrHints | None, limit: float
) -> _Block:
    """A box to tick per option, in as many columns as the longest label allows. A label too long for one
    line puts its English under the Japanese."""
    labels = [item.choice_label(value, part) for value in layout.choices]
    widths = [text_width(ja, 8.5) + 3 + text_width(en, 6.0) for ja, en in labels]
    lead = TICK + 1.5 * MM
    column = lead + max(widths, default=0) + 4 * MM
    two_lines = column - 4 * MM > limit
    row_h = 9 * MM if two_lines else CHOICE_ROW
    columns = 1 if two_lines else max(1, min(len(labels), int((limit + 4 * MM) // column)))
    rows = math.ceil(len(labels) / columns) if labels else 1
    rects, texts = [], []
    for index, (ja, en) in enumerate(labels):
        row, col = divmod(index, columns)
        x0, y0 = col * column, y + row * row_h
        rects.append(_rect(x0, y0 + (CHOICE_ROW - TICK) / 2 - 1, TICK, TICK))
        label_x = x0 + lead
        ja_w = min(text_width(ja, 8.5), limit - lead)
        texts.append(TextItem(_r(label_x), _r(y0), _r(ja_w), _r(CHOICE_ROW - 2), ja, 8.5, field_id=item.id))
        if not en:
            continue
        if two_lines:
            en_x, en_y, en_w = label_x, y0 + CHOICE_ROW - 3, min(text_width(en, 6.0), limit - lead)
        else:
            en_x, en_y, en_w = label_x + ja_w + 3, y0 + 0.5, text_width(en, 6.0)
        texts.append(
            TextItem(_r(en_x), _r(en_y), _r(en_w), _r(CHOICE_ROW - 2), en, 6.0, tone="gray", field_id=item.id)
        )
    width = min(columns * column - 4 * MM, limit)
    height = (rows - 1) * row_h + CHOICE_ROW - 2 + (3 * MM if two_lines else 0)
    box = FieldBox(
        item.id, 1, 0, _r(y), _r(width), _r(height), "choices", len(labels),
        part=part, rows=rows, rects=tuple(rects), choices=tuple(layout.choices), ocr=ocr,
    )  # fmt: skip
    return _Block(width, y + height, texts=texts, boxes=[box])


def _text_area_box(item: _Item, layout: PrintLayout, y: float, ocr: OcrHints | None, limit: float) -> _Block:
    width = min(layout.width_mm * MM if layout.width_mm else CONTENT_WIDTH, limit)
    rows = max(layout.rows, 1)
    rects = tuple(_rect(0, y + row * LINE_H, width, LINE_H) for row in range(rows))
    box = FieldBox(
        item.id, 1, 0, _r(y), _r(width), _r(rows * LINE_H), "text_area", 0,
        rows=rows, rects=rects, blank=layout.blank, ocr=ocr,
    )  # fmt: skip
    return _Block(width, y + rows * LINE_H, boxes=[box])


def _checkbox_block(item: _Item) -> _Block:
    """A single box to tick, its label to the right (□ 同意します)."""
    box = FieldBox(
        item.id, 1, 0, 0, _r(TICK), _r(TICK), "checkbox", 1,
        rects=(_rect(0, 0, TICK, TICK),), ocr=item.ocr,
    )  # fmt: skip
    texts, width, height = _label(item, CONTENT_WIDTH - TICK - 2 * MM)
    texts = [t.moved(TICK + 2 * MM, -1.5) for t in texts]
    return _Block(TICK + 2 * MM + width, max(TICK, height - 1.5), texts=texts, boxes=[box])


def _date_box(item: _Item, layout: PrintLayout, y: float, ocr: OcrHints | None) -> _Block:
    """The era names to circle (令和・平成 …), then 2 + 2 + 2 digit boxes followed by 年, 月, 日."""
    eras = layout.choices
    texts: list[TextItem] = []
    era_rects = []
    for index, era in enumerate(eras):
        rect = _rect(index * ERA_W + 0.5 * MM, y + (DIGIT_H - 5 * MM) / 2, ERA_W - 1 * MM, 5 * MM)
        era_rects.append(rect)
        texts.append(
            TextItem(rect.x, rect.y, rect.width, rect.height, era, 8.0, align="center", field_id=item.id)
        )
    x0 = len(eras) * ERA_W + (1.5 * MM if eras else 0)
    rects, words, x = _digit_row(layout.groups or (2, 2, 2), y, ("年", "月", "日"), x0)
    box = FieldBox(
        item.id, 1, 0, _r(y), _r(x), _r(DIGIT_H), "date", layout.cells,
        groups=tuple(layout.groups), rects=tuple(rects), choices=tuple(eras), choice_rects=tuple(era_rects),
        ocr=ocr,
    )  # fmt: skip
    return _Block(x, y + DIGIT_H, texts=texts + words, boxes=[box])


def _part_block(item: _Item, layout: PrintLayout, part: str | None, limit: float, y: float) -> _Block:
    ocr = item.part_ocr(part) if part is not None else item.ocr
    if layout.box == "cells":
        return _cells_box(item, layout, y, part, ocr)
    if layout.box == "digits":
        return _digits_box(item, layout, y, part, ocr)
    if layout.box == "choices":
        return _choices_box(item, layout, y, part, ocr, limit)
    if layout.box == "date":
        return _date_box(item, layout, y, ocr)
    if layout.box == "checkbox":
        box = FieldBox(
            item.id, 1, 0, _r(y), _r(TICK), _r(TICK), "checkbox", 1,
            part=part, rects=(_rect(0, y, TICK, TICK),), ocr=ocr,
        )  # fmt: skip
        return _Block(TICK, y + TICK, boxes=[box])
    return _text_area_box(item, layout, y, ocr, limit)


def _group_block(item: _Item, layout: PrintLayout, y: float) -> _Block:
    """The parts of a group (a bank account) side by side, each with its own small label, wrapping."""
    block = _Block(0, y)
    x, row_top, row_bottom = 0.0, y, y
    for part, part_layout in layout.parts:
        ja, en = item.part_label(part)
        label = f"{ja} {en}" if en and en != ja else ja
        inner = _part_block(item, part_layout, part, CONTENT_WIDTH, PART_LABEL_SIZE + 5)
        width = max(inner.width, text_width(label, PART_LABEL_SIZE))
        if x > 0 and x + width > CONTENT_WIDTH:
            x, row_top = 0.0, row_bottom + 3 * MM
        block.texts.append(
            TextItem(
                _r(x), _r(row_top), _r(min(width, CONTENT_WIDTH)), PART_LABEL_SIZE + 3, label,
                PART_LABEL_SIZE, tone="gray", field_id=item.id,
            )
        )  # fmt: skip
        block.texts.extend(t.moved(x, row_top) for t in inner.texts)
        block.boxes.extend(b.moved(x, row_top, 1) for b in inner.boxes)
        row_bottom = max(row_bottom, row_top + inner.height)
        block.width = max(block.width, x + width)
        x += width + 5 * MM
    parts = block.boxes
    group = FieldBox(
        item.id, 1, 0, _r(y), _r(block.width), _r(row_bottom - y), "group", 0,
        rows=len({b.y for b in parts}), ocr=item.ocr,
    )  # fmt: skip
    block.boxes.insert(0, group)
    block.height = row_bottom
    return block


def _field_block(item: _Item) -> _Block | None:
    layout = item.layout
    if layout.box == "none":
        return None
    if layout.box == "checkbox":
        return _checkbox_block(item)
    texts, label_w, label_h = _label(item, CONTENT_WIDTH)
    y = label_h + LABEL_GAP
    if layout.box == "group":
        inner = _group_block(item, layout, y)
    else:
        inner = _part_block(item, layout, None, CONTENT_WIDTH, y)
    inner.texts[:0] = texts
    inner.width = min(max(inner.width, label_w), CONTENT_WIDTH)
    return inner


def _heading_block(title_ja: str, title_en: str) -> _Block:
    texts = [TextItem(2 * MM, 0, _r(text_width(title_ja, 9.5)), HEADING_HEIGHT, title_ja, 9.5)]
    en_x = 2 * MM + text_width(title_ja, 9.5) + 6
    texts.append(
        TextItem(
            _r(en_x),
            0.5,
            _r(max(CONTENT_WIDTH - en_x - 2 * MM, 1)),
            HEADING_HEIGHT,
            title_en,
            7.0,
            tone="gray",
        )
    )
    return _Block(
        CONTENT_WIDTH, HEADING_HEIGHT, texts=texts, shades=[_rect(0, 0, CONTENT_WIDTH, HEADING_HEIGHT)],
        full_row=True,
    )  # fmt: skip


def _paragraph_block(lines: Sequence[str], size: float = 8.0, tone: str = "black") -> _Block:
    height = size * 1.5
    texts = [
        TextItem(0, _r(i * height), CONTENT_WIDTH, _r(height), line, size, font="mincho", tone=tone)
        for i, line in enumerate(lines)
    ]
    return _Block(CONTENT_WIDTH, len(lines) * height, texts=texts, full_row=True)


def _signature_block() -> _Block:
    """上記のとおり申請します, the date to fill in, and the 署名欄 (signature box) on the right."""
    box_w, box_h = 95 * MM, 14 * MM
    x = CONTENT_WIDTH - box_w
    texts = [
        TextItem(0, 0, _r(x - 4 * MM), 12, "上記のとおり申請（届出）します。", 9.0, font="mincho"),
        TextItem(0, 13, _r(x - 4 * MM), 9, "I apply as stated above.", 6.5, tone="gray"),
        TextItem(0, _r(box_h - 12), _r(x - 4 * MM), 12, "記入日　令和　　年　　月　　日", 9.0, font="mincho"),
        TextItem(_r(x), 0, _r(box_w), LABEL_LINE, "署名（自署） Signature", LABEL_SIZE, field_id=SIGNATURE),
    ]
    y = LABEL_LINE + LABEL_GAP
    box = FieldBox(
        SIGNATURE, 1, _r(x), _r(y), _r(box_w), _r(box_h), "text_area", 0,
        rects=(_rect(x, y, box_w, box_h),), ocr=OcrHints("any"),
    )  # fmt: skip
    return _Block(CONTENT_WIDTH, y + box_h, texts=texts, boxes=[box], full_row=True)


# --------------------------------------------------------------------------------------------------------------
# Items: the fields of the spec and the four basic items


def _field_item(f: Field) -> _Item:
    kind = f.kind
    return _Item(
        id=f.id,
        label_ja=f.label.ja,
        label_en=f.label.en,
        layout=kind.print_layout(f),
        required=f.required,
        ocr=kind.ocr_hints(f),
        choice_label=lambda value, part, f=f: f.kind.print_choice_label(f, value, part=part),
        part_label=lambda part, f=f: f.kind.print_part_label(f, part),
        part_ocr=lambda part, f=f: f.kind.ocr_part_hints(f, part),
    )


def _basic_items() -> list[_Item]:
    def plain(value: str, part: str | None) -> tuple[str, str]:
        return SEX_CHOICES.get(value, (value, value))

    eras = tuple(era.name for era in wareki.ERAS)
    return [
        _Item(
            BASIC_NAME, "氏名", "Full name",
            PrintLayout("text_area", rows=1, width_mm=115.0, height_mm=LINE_MM),
            ocr=OcrHints("kanji_kana", max_length=50),
        ),
        _Item(
            BASIC_SEX, "性別", "Sex", PrintLayout.choice_boxes(list(SEX_CHOICES)),
            ocr=OcrHints("any", checkbox=True, max_length=1), choice_label=plain,
        ),
        _Item(
            BASIC_BIRTH_DATE, "生年月日", "Date of birth",
            PrintLayout("date", cells=6, groups=(2, 2, 2), choices=eras, width_mm=90.0, height_mm=DIGIT_MM[1]),
            ocr=OcrHints("digits", whitelist="0123456789", min_length=6, max_length=8),
        ),
        _Item(
            BASIC_ADDRESS, "住所", "Address", PrintLayout.text_area(2),
            ocr=OcrHints("kanji_kana", multiline=True),
        ),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# Pages


def _page_furniture(number: int) -> PageLayout:
    """Corner marks, the zones filled when printing, the header texts' frame: the same on every page."""
    right = PAGE_WIDTH - MARK_OFFSET - MARK_SIZE
    bottom = PAGE_HEIGHT - MARK_OFFSET - MARK_SIZE
    marks = tuple(
        _rect(x, y, MARK_SIZE, MARK_SIZE)
        for x, y in ((MARK_OFFSET, MARK_OFFSET), (right, MARK_OFFSET), (MARK_OFFSET, bottom), (right, bottom))
    )
    zones = {
        "qr": _rect(CONTENT_RIGHT - QR_SIZE, MARGIN, QR_SIZE, QR_SIZE),
        "case_number": _rect(126 * MM, MARGIN, 42 * MM, 6.5 * MM),
        "city": _rect(CONTENT_LEFT, MARGIN, 95 * MM, 6.5 * MM),
        "printed_on": _rect(100 * MM, 32 * MM, 68 * MM, 4.5 * MM),
        "footer": _rect(CONTENT_LEFT, 283 * MM, CONTENT_WIDTH, 4 * MM),
    }
    return PageLayout(number=number, marks=marks, zones=zones)


def _header(spec: ProcedureSpec) -> _Block:
    """The title (procedure name, its English name small), the 受付番号 label and the rule under the band."""
    left = 0.0
    texts = [
        TextItem(_r(111 * MM - CONTENT_LEFT), 0, _r(14 * MM), _r(6.5 * MM), "受付番号", 8.0, align="right"),
        TextItem(left, _r(8 * MM), _r(153 * MM), _r(8 * MM), spec.name.ja, 15.0),
        TextItem(left, _r(17 * MM), _r(84 * MM), _r(4.5 * MM), spec.name.en, 7.5, tone="gray"),
    ]
    rules = [_rect(0, HEADER_BOTTOM - MARGIN, CONTENT_WIDTH, 0.8)]
    return _Block(CONTENT_WIDTH, HEADER_BOTTOM - MARGIN, texts=texts, rules=rules)


@dataclass
class _Flow:
    """Places blocks left to right in rows, row under row, page after page."""

    spec: ProcedureSpec
    pages: list[PageLayout] = field(default_factory=list)
    texts: list[list[TextItem]] = field(default_factory=list)
    rules: list[list[Rect]] = field(default_factory=list)
    shades: list[list[Rect]] = field(default_factory=list)
    boxes: list[FieldBox] = field(default_factory=list)
    x: float = CONTENT_LEFT
    y: float = CONTENT_TOP  # top of the current row
    row_bottom: float = CONTENT_TOP

    def __post_init__(self) -> None:
        self.new_page()

    @property
    def page(self) -> int:
        return len(self.pages)

    def new_page(self) -> None:
        self.pages.append(_page_furniture(len(self.pages) + 1))
        self.texts.append([])
        self.rules.append([])
        self.shades.append([])
        self.put(_header(self.spec), CONTENT_LEFT, MARGIN)
        self.x, self.y, self.row_bottom = CONTENT_LEFT, CONTENT_TOP, CONTENT_TOP

    def new_row(self) -> None:
        if self.row_bottom > self.y:
            self.y = self.row_bottom + V_GAP
        self.x, self.row_bottom = CONTENT_LEFT, self.y

    def put(self, block: _Block, x: float, y: float) -> None:
        i = self.page - 1
        self.texts[i].extend(t.moved(x, y) for t in block.texts)
        self.rules[i].extend(r.moved(x, y) for r in block.rules)
        self.shades[i].extend(s.moved(x, y) for s in block.shades)
        self.boxes.extend(b.moved(x, y, self.page) for b in block.boxes)

    def add(self, block: _Block, *, keep_with: float = 0.0) -> None:
        """Place `block` on the current row if it fits there, else on a new row (or page). `keep_with`: the
        height of what must follow on the same page (a heading keeps its first field)."""
        if block.full_row or self.x + block.width > CONTENT_RIGHT + 0.01:
            self.new_row()
        if self.y + block.height + keep_with > CONTENT_BOTTOM and self.y > CONTENT_TOP:
            self.new_page()
        self.put(block, self.x, self.y)
        self.row_bottom = max(self.row_bottom, self.y + block.height)
        self.x += block.width + H_GAP
        if block.full_row:
            self.x = CONTENT_RIGHT + 1  # nothing beside a full-width block

    def finish(self, spec: ProcedureSpec) -> FormLayout:
        pages = tuple(
            replace(page, texts=tuple(texts), rules=tuple(rules), shades=tuple(shades))
            for page, texts, rules, shades in zip(
                self.pages, self.texts, self.rules, self.shades, strict=True
            )
        )
        layout = FormLayout(
            procedure=spec.id,
            title_ja=spec.name.ja,
            title_en=spec.name.en,
            pages=pages,
            boxes=tuple(self.boxes),
        )
        # Every number as stored (to 0.01 pt): the layout read back from its JSON equals this one.
        return FormLayout.from_json(layout.to_json())


def _add_section(flow: _Flow, heading: _Block, blocks: Iterable[_Block]) -> None:
    blocks = list(blocks)
    if not blocks:
        return
    flow.add(heading, keep_with=V_GAP + blocks[0].height)
    for block in blocks:
        flow.add(block)


def layout_form(spec: ProcedureSpec) -> FormLayout:
    """Lay out the printed form of `spec`: the same spec always gives the same layout (and JSON)."""
    flow = _Flow(spec)
    flow.add(
        _paragraph_block(
            ["＊は必須項目です。太枠の中に記入してください。 * required; write inside the boxes."],
            7.0,
            "gray",
        )
    )
    _add_section(
        flow,
        _heading_block("申請者（届出人）の基本事項", "Applicant: basic information"),
        (b for b in map(_field_block, _basic_items()) if b is not None),
    )
    for step in spec.steps:
        blocks = [b for b in (_field_block(_field_item(f)) for f in step.fields) if b is not None]
        _add_section(flow, _heading_block(step.title.ja, step.title.en), blocks)

    attachments = [f.label.ja for f in spec.fields if f.kind.print_layout(f).box == "none"]
    things = [b.ja for b in spec.bring] + [a for a in attachments if a not in {b.ja for b in spec.bring}]
    if things:
        lines = [line for thing in things for line in wrap_text(f"・{thing}", 8.0, CONTENT_WIDTH)]
        _add_section(
            flow, _heading_block("添付書類・持ち物", "What to attach or bring"), [_paragraph_block(lines)]
        )
    flow.add(_signature_block())
    return flow.finish(spec)


def printed_date_text(day: dt.date) -> str:
    """The printed date as the header shows it: 令和7年6月1日."""
    try:
        return wareki.format_wareki(day)
    except JpValueError:  # before 明治: no era
        return f"{day.year}年{day.month}月{day.day}日"

"""Printing forms: a `FormLayout` and a case's values drawn into one PDF with ReportLab (pure: no Django).

`render_forms(forms, city_name=...)` draws every form of a visit into one PDF, each form from a new page. Fonts
are TrueType files embedded in the PDF (IPAex Mincho for values, IPAex Gothic for labels; Debian's
`fonts-ipaexfont-mincho` / `fonts-ipaexfont-gothic`, IPA Font License): no viewer-dependent CID fonts, so a
form prints the same everywhere. Every character is checked against the embedded font first: a character the
font lacks (a 外字 such as 𠮷 in IPAex) is never silently replaced; `MissingGlyphs` names it, or with
`allow_missing=True` its box is left empty with a visible 「外字」 marker and the result lists a warning.

Every page carries a QR code in its top right zone: `MDG1|<case>|<procedure>|<version>|<page>/<pages>`
(`qr_payload`), from which the paper intake finds the case and the stored layout of that version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, black, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from madoguchi.core.errors import MadoguchiError
from madoguchi.jp import wareki
from madoguchi.jp.errors import JpValueError

from ..fields.base import TRUE_VALUES, selected_values
from ..spec import Field, ProcedureSpec
from .fonts import FontSet, configure_fonts, default_fonts
from .layout import (
    BASIC_ADDRESS,
    BASIC_BIRTH_DATE,
    BASIC_NAME,
    BASIC_SEX,
    CONTENT_LEFT,
    CONTENT_TOP,
    CONTENT_WIDTH,
    MM,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    FieldBox,
    FormLayout,
    PageLayout,
    Rect,
    TextItem,
    printed_date_text,
)
from .printable import (
    Basics,
    PrintableForm,
    QrPayload,
    normalise_sex,
    parse_qr_payload,
    qr_payload,
)

TICK_MARK = "✓"
GAIJI_MARK = "外字"
GETA = "〓"  # stands for a character of a fixed text that the font lacks (with allow_missing)
MIN_TEXT_SIZE = 4.0
VALUE_SIZE = 10.5
CELL_VALUE_SIZE = 12.0
GRAY = Color(0.35, 0.35, 0.35)
SHADE = Color(0.9, 0.9, 0.9)
RULE = Color(0.55, 0.55, 0.55)
ALERT = Color(0.8, 0.0, 0.0)
_ASCENT = 0.88  # IPAex: ascent of 0.88 em above the baseline
QR_MASK = 0

# Page streams are compressed binary, not ASCII85 text too: a quarter smaller and much faster to write.
rl_config.useA85 = 0

# --------------------------------------------------------------------------------------------------------------
# Errors and results


class FormFontMissing(MadoguchiError):
    """The TrueType font for printing forms is not there (or cannot be read)."""

    str_format = "{code}: {en}"


class MissingGlyphs(MadoguchiError):
    """Characters the embedded font has no glyph for (外字): printing them would drop or replace them."""

    str_format = "{code}: {en}"

    def __init__(self, chars: Sequence[str], field_id: str | None) -> None:
        self.chars = tuple(chars)
        self.field_id = field_id
        shown = "、".join(f"「{ch}」(U+{ord(ch):04X})" for ch in self.chars)
        shown_en = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in self.chars)
        where = f"（項目: {field_id}）" if field_id else ""
        where_en = f" in field '{field_id}'" if field_id else ""
        super().__init__(
            "missing_glyphs",
            f"印刷用フォントにない文字があります{where}: {shown}。外字として扱ってください"
            "（外字フォントを設定するか、その欄を空けて印刷し、手書きで記入してください）。",
            f"The printing font has no glyph for {shown_en}{where_en}. Treat them as 外字 (gaiji): set up a "
            "font that has them, or print with the box left empty (allow_missing) and write them by hand.",
            field=field_id or "",
        )


@dataclass(frozen=True)
class GlyphWarning:
    """A text printed without some of its characters (allow_missing): its box was left empty and marked
    「外字」 (a value), or the characters were printed as 〓 (a fixed text of the form)."""

    form: int  # index of the form in the visit
    field_id: str | None
    chars: tuple[str, ...]

    def __str__(self) -> str:
        chars = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in self.chars)
        return f"form {self.form + 1}, {self.field_id or 'fixed text'}: no glyph for {chars}"


class RenderedPdf(bytes):
    """The PDF (it is the bytes) with what printing it noticed: `page_count`, `warnings` (外字 left out)."""

    page_count: int
    warnings: tuple[GlyphWarning, ...]

    def __new__(cls, data: bytes, *, page_count: int, warnings: Sequence[GlyphWarning] = ()) -> RenderedPdf:
        obj = super().__new__(cls, data)
        obj.page_count = page_count
        obj.warnings = tuple(warnings)
        return obj


# --------------------------------------------------------------------------------------------------------------
# Fonts


def _font_missing(path: str, reason: str) -> FormFontMissing:
    return FormFontMissing(
        "font_missing",
        f"帳票印刷用のフォント {path} を読み込めません（{reason}）。Debian では "
        "`apt-get install fonts-ipaexfont-mincho fonts-ipaexfont-gothic` で入れるか、"
        "MADOGUCHI_FORMS_FONT_MINCHO / MADOGUCHI_FORMS_FONT_GOTHIC に TrueType フォント（.ttf）のパスを設定してください。",
        f"Cannot load the form printing font {path} ({reason}). On Debian install it with "
        "`apt-get install fonts-ipaexfont-mincho fonts-ipaexfont-gothic`, or set MADOGUCHI_FORMS_FONT_MINCHO / "
        "MADOGUCHI_FORMS_FONT_GOTHIC to the path of a TrueType (.ttf) font.",
    )


_fonts_lock = threading.Lock()
_loaded: dict[str, tuple[str, frozenset[int]]] = {}


def load_font(path: str) -> tuple[str, frozenset[int]]:
    """Register the TrueType font at `path` with ReportLab (once per process): its name and its characters."""
    with _fonts_lock:
        if path in _loaded:
            return _loaded[path]
        if not Path(path).is_file():
            raise _font_missing(path, "no such file / ファイルがありません")
        name = "MDG-" + hashlib.sha256(path.encode()).hexdigest()[:10]
        try:
            font = TTFont(name, path)
        except (TTFError, OSError) as exc:
            raise _font_missing(path, str(exc)) from exc
        pdfmetrics.registerFont(font)
        loaded = (name, frozenset(font.face.charToGlyph))
        _loaded[path] = loaded
        return loaded


def font_has(path: str, text: str) -> tuple[str, ...]:
    """The characters of `text` the font at `path` has no glyph for (spaces and line breaks aside)."""
    return _missing(text, load_font(path)[1])


def _missing(text: str, cmap: frozenset[int]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for ch in text:
        if ch.isspace() or ord(ch) in cmap:
            continue
        seen.setdefault(ch, None)
    return tuple(seen)


# --------------------------------------------------------------------------------------------------------------
# Values as they go into boxes


def _text_of(f: Field | None, value: Any) -> str:
    """A value written as text (a text area or cells): text as it is, household members one per line."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "name" in value:
        return str(value["name"] or "")
    if isinstance(value, list | tuple) and all(isinstance(v, Mapping) and "name" in v for v in value):
        return "\n".join(str(v["name"] or "") for v in value)
    if f is not None:
        return f.kind.format(f, value, "ja")
    return str(value)


def _digits_of(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(value)) if ch.isdigit())


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass
class _Op:
    """One thing to draw for a value."""

    kind: str  # "text" (fitted into rect), "lines", "tick", "circle", "gaiji"
    rect: Rect
    text: str = ""
    size: float = VALUE_SIZE
    lines: tuple[str, ...] = ()
    line_height: float = 0.0
    align: str = "center"


@dataclass
class _Overflow:
    field_id: str
    label: str
    text: str


@dataclass
class _FormPlan:
    ops: dict[int, list[_Op]]
    overflow: list[_Overflow]
    warnings: list[GlyphWarning]
    static_replacements: dict[tuple[int, int], str]  # (page, text index) -> text with 〓


class _Planner:
    """Turns one form's values into drawing operations, checking each character against the fonts."""

    def __init__(self, form: PrintableForm, index: int, *, allow_missing: bool, mincho, gothic, city_name):
        self.form = form
        self.index = index
        self.allow_missing = allow_missing
        self.mincho_name, self.mincho_cmap = mincho
        self.gothic_name, self.gothic_cmap = gothic
        self.city_name = city_name
        self.basics = Basics.of(form.basics)
        self.fields = {f.id: f for f in form.spec.fields}
        self.plan = _FormPlan({}, [], [], {})

    def width(self, text: str, size: float) -> float:
        return pdfmetrics.stringWidth(text, self.mincho_name, size)

    def check(self, text: str, field_id: str | None, cmap: frozenset[int]) -> bool:
        """True when the font has every character; else raise, or (allow_missing) warn and return False."""
        missing = _missing(text, cmap)
        if not missing:
            return True
        if not self.allow_missing:
            raise MissingGlyphs(missing, field_id)
        self.plan.warnings.append(GlyphWarning(self.index, field_id, missing))
        return False

    def run(self) -> _FormPlan:
        for number, page in enumerate(self.form.layout.pages, start=1):
            for i, item in enumerate(page.texts):
                cmap = self.gothic_cmap if item.font == "gothic" else self.mincho_cmap
                if not self.check(item.text, item.field_id, cmap):
                    self.plan.static_replacements[(number, i)] = "".join(
                        GETA if not ch.isspace() and ord(ch) not in cmap else ch for ch in item.text
                    )
        for text in (self.city_name, self.form.case_number or ""):
            if not self.check(text, None, self.mincho_cmap):
                raise MissingGlyphs(_missing(text, self.mincho_cmap), None)
        for box in self.form.layout.boxes:
            if box.blank or box.kind in ("group", "none"):
                continue
            value = self.value_of(box)
            if value is None or value == "" or value == [] or value == {} or value is False:
                continue
            self.plan.ops.setdefault(box.page, []).extend(self.ops_for(box, value))
        return self.plan

    def value_of(self, box: FieldBox) -> Any:
        b = self.basics
        basics = {
            BASIC_NAME: b.name,
            BASIC_ADDRESS: b.address,
            BASIC_BIRTH_DATE: b.birth_date,
            BASIC_SEX: b.sex,
        }
        if box.field_id in basics:
            return basics[box.field_id]
        value = self.form.values.get(box.field_id)
        if box.part is not None:
            return value.get(box.part) if isinstance(value, Mapping) else None
        return value

    def label_of(self, field_id: str) -> str:
        f = self.fields.get(field_id)
        return (
            f.label.ja
            if f is not None
            else {BASIC_NAME: "氏名", BASIC_ADDRESS: "住所"}.get(field_id, field_id)
        )

    def gaiji(self, box: FieldBox) -> list[_Op]:
        return [_Op("gaiji", box.rect)]

    def ops_for(self, box: FieldBox, value: Any) -> list[_Op]:
        f = self.fields.get(box.field_id)
        kind = box.kind
        if kind == "checkbox":
            ticked = value is True or (not isinstance(value, list | tuple) and value in TRUE_VALUES)
            return [_Op("tick", box.rects[0])] if ticked and box.rects else []
        if kind == "choices":
            chosen = set(selected_values(value))
            return [
                _Op("tick", rect)
                for choice, rect in zip(box.choices, box.rects, strict=False)
                if choice in chosen
            ]
        if kind == "date":
            return self.date_ops(box, f, value)
        if kind == "digits":
            digits = _digits_of(value)
            if digits and len(digits) <= len(box.rects):
                start = len(box.rects) - len(digits) if box.align == "right" else 0
                return [
                    _Op("text", box.rects[start + i], ch, CELL_VALUE_SIZE - 1) for i, ch in enumerate(digits)
                ]
            return self.area_ops(box, _text_of(f, value), f)
        text = _text_of(f, value)
        if not text:
            return []
        if not self.check(text, box.field_id, self.mincho_cmap):
            return self.gaiji(box)
        if kind == "cells":
            chars = list(text.replace("\n", " "))
            if len(chars) <= len(box.rects):
                return [
                    _Op("text", rect, ch, CELL_VALUE_SIZE)
                    for rect, ch in zip(box.rects, chars, strict=False)
                    if not ch.isspace()
                ]
        return self.area_ops(box, text, f)

    def date_ops(self, box: FieldBox, f: Field | None, value: Any) -> list[_Op]:
        day = _as_date(value)
        try:
            w = wareki.to_wareki(day) if day is not None else None
        except JpValueError:
            w = None
        if w is None or w.era.name not in box.choices or w.year > 99 or len(box.rects) != 6:
            return self.area_ops(box, _text_of(f, value) if day is None else wareki.format_date(day), f)
        ops = [_Op("circle", box.choice_rects[box.choices.index(w.era.name)])]
        digits = f"{w.year:02d}{w.month:02d}{w.day:02d}"
        ops.extend(
            _Op("text", rect, ch, CELL_VALUE_SIZE - 1) for rect, ch in zip(box.rects, digits, strict=True)
        )
        return ops

    def area_ops(self, box: FieldBox, text: str, f: Field | None) -> list[_Op]:
        """Text written across the box's lines: smaller when long; what still does not fit goes to a
        continuation sheet (別紙), and the box says so."""
        if not text:
            return []
        if not self.check(text, box.field_id, self.mincho_cmap):
            return self.gaiji(box)
        rect = box.rect
        rows = max(box.rows, 1) if box.kind == "text_area" else 1
        row_h = rect.height / rows
        pad = 1.5 * MM
        for size in (VALUE_SIZE, 9.5, 8.5, 7.5, 6.5):
            lines = _wrap(text, lambda s, size=size: self.width(s, size), rect.width - 2 * pad)
            per_row = max(1, int(row_h // (size * 1.25)))
            if len(lines) <= rows * per_row:
                return [
                    _Op(
                        "lines",
                        rect,
                        size=size,
                        lines=tuple(lines),
                        line_height=row_h / per_row,
                        align="left",
                    )
                ]
        size = 6.5
        per_row = max(1, int(row_h // (size * 1.25)))
        lines = _wrap(text, lambda s: self.width(s, size), rect.width - 2 * pad)
        keep = max(rows * per_row - 1, 0)
        shown = [*lines[:keep], "（以下、別紙に続く / continued on the continuation sheet）"]
        self.plan.overflow.append(_Overflow(box.key, self.label_of(box.field_id), text))
        return [_Op("lines", rect, size=size, lines=tuple(shown), line_height=row_h / per_row, align="left")]


def _wrap(text: str, width_of: Callable[[str], float], width: float) -> list[str]:
    """Lines no wider than `width` as measured: at spaces when a word fits, else at any character."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if not line or width_of(line + ch) <= width:
                line += ch
                continue
            space = line.rfind(" ")
            if ch != " " and space > 0 and width_of(line[space + 1 :] + ch) <= width:
                lines.append(line[:space])
                line = line[space + 1 :] + ch
            else:
                lines.append(line.rstrip())
                line = "" if ch == " " else ch
        lines.append(line)
    return lines


# --------------------------------------------------------------------------------------------------------------
# Drawing


def _pdf_y(y: float, height: float = 0.0) -> float:
    """The PDF's y (from the bottom) of the lower edge of something `height` tall at `y` from the top."""
    return PAGE_HEIGHT - y - height


class _Painter:
    def __init__(self, canvas: Canvas, mincho: str, gothic: str) -> None:
        self.c = canvas
        self.mincho = mincho
        self.gothic = gothic

    def text(
        self, rect: Rect, text: str, size: float, *, font: str = "gothic", align: str = "left", color=black
    ) -> None:
        if not text:
            return
        name = self.gothic if font == "gothic" else self.mincho
        width = pdfmetrics.stringWidth(text, name, size)
        if width > rect.width > 0:
            size = max(size * rect.width / width, MIN_TEXT_SIZE)
            width = pdfmetrics.stringWidth(text, name, size)
        baseline = rect.y + (rect.height - size) / 2 + size * _ASCENT
        c = self.c
        c.setFillColor(color)
        c.setFont(name, size)
        if align == "center":
            x = rect.x + (rect.width - width) / 2
        elif align == "right":
            x = rect.right - width
        else:
            x = rect.x
        c.drawString(x, PAGE_HEIGHT - baseline, text)

    def item(self, item: TextItem, text: str | None = None) -> None:
        self.text(
            item.rect, item.text if text is None else text, item.size, font=item.font, align=item.align,
            color=GRAY if item.tone == "gray" else black,
        )  # fmt: skip

    def outline(self, rect: Rect, width: float = 0.6, color=black) -> None:
        c = self.c
        c.setStrokeColor(color)
        c.setLineWidth(width)
        c.rect(rect.x, _pdf_y(rect.y, rect.height), rect.width, rect.height, stroke=1, fill=0)

    def fill(self, rect: Rect, color=black) -> None:
        self.c.setFillColor(color)
        self.c.rect(rect.x, _pdf_y(rect.y, rect.height), rect.width, rect.height, stroke=0, fill=1)

    def hline(self, x1: float, x2: float, y: float, width: float = 0.3, color=RULE) -> None:
        c = self.c
        c.setStrokeColor(color)
        c.setLineWidth(width)
        c.line(x1, PAGE_HEIGHT - y, x2, PAGE_HEIGHT - y)

    def qr(self, rect: Rect, payload: str) -> None:
        """The QR code drawn as vector squares: a white quiet zone of 4 modules around it."""
        # A fixed mask pattern (any of the eight is a valid code): choosing the best one costs 8× the time.
        code = segno.make(payload, error="m", micro=False, mask=QR_MASK)
        matrix = code.matrix
        count = len(matrix) + 8
        module = min(rect.width, rect.height) / count
        self.fill(rect, white)
        path = self.c.beginPath()
        for row_index, row in enumerate(matrix):
            y = rect.y + (row_index + 4) * module
            col = 0
            while col < len(row):
                if row[col]:
                    start = col
                    while col < len(row) and row[col]:
                        col += 1
                    x = rect.x + (start + 4) * module
                    path.rect(x, _pdf_y(y, module), (col - start) * module, module)
                else:
                    col += 1
        self.c.setFillColor(black)
        self.c.drawPath(path, stroke=0, fill=1)

    def box(self, box: FieldBox) -> None:
        if box.kind in ("group", "none"):
            return
        if box.kind == "text_area":
            self.outline(box.rect, 0.8)
            for rect in box.rects[1:]:
                self.hline(rect.x + 1, rect.right - 1, rect.y)
            return
        for rect in box.rects:
            self.outline(rect, 0.6)

    def op(self, op: _Op) -> None:
        if op.kind == "text":
            self.text(op.rect, op.text, op.size, font="mincho", align="center")
        elif op.kind == "tick":
            self.text(op.rect, TICK_MARK, op.rect.height * 1.1, font="mincho", align="center")
        elif op.kind == "circle":
            c = self.c
            c.setStrokeColor(black)
            c.setLineWidth(0.8)
            r = op.rect
            c.ellipse(r.x - 1, _pdf_y(r.y - 1), r.right + 1, _pdf_y(r.bottom + 1), stroke=1, fill=0)
        elif op.kind == "lines":
            pad = 1.5 * MM
            for i, line in enumerate(op.lines):
                top = op.rect.y + i * op.line_height
                self.text(
                    Rect(op.rect.x + pad, top, op.rect.width - 2 * pad, op.line_height),
                    line,
                    op.size,
                    font="mincho",
                )
        elif op.kind == "gaiji":
            self.outline(op.rect.grown(1.5), 1.2, ALERT)
            label = Rect(op.rect.right - 14 * MM, op.rect.y - 5 * MM, 14 * MM, 3.5 * MM)
            self.text(label, f"【{GAIJI_MARK}】", 8.0, align="right", color=ALERT)


def _city_line(city_name: str) -> str:
    name = city_name.strip()
    if not name:
        return ""
    chief = "長" if name[-1] in "市区町村" else ""
    return f"（宛先）{name}{chief}"


def _draw_furniture(
    p: _Painter,
    page: PageLayout,
    form: PrintableForm,
    *,
    page_number: int,
    pages: int,
    city: str,
    printed: str,
) -> None:
    for mark in page.marks:
        p.fill(mark)
    zones = page.zones
    if "qr" in zones:
        p.qr(
            zones["qr"],
            qr_payload(
                case_number=form.case_number, procedure=form.layout.procedure, version=form.version,
                page=page_number, pages=pages,
            ),
        )  # fmt: skip
    if "case_number" in zones:
        p.outline(zones["case_number"], 0.8)
        if form.case_number:
            p.text(zones["case_number"], form.case_number, 10.0, font="mincho", align="center")
    if "city" in zones:
        p.text(zones["city"], city, 9.0, font="mincho")
    if "printed_on" in zones:
        p.text(zones["printed_on"], f"印刷日 {printed}", 7.5, align="right", color=GRAY)
    if "footer" in zones:
        version = f"第{form.version}版　" if form.version is not None else ""
        p.text(
            zones["footer"], f"{form.layout.procedure}　{version}{page_number} / {pages}", 7.0, align="center",
            color=GRAY,
        )  # fmt: skip


def _continuation_pages(p: _Painter, overflow: Sequence[_Overflow], size: float = 9.0) -> list[list[tuple]]:
    """The continuation sheets' lines, page by page: (kind, text) with kind "label" or "text"."""
    width = CONTENT_WIDTH - 4 * MM
    lines: list[tuple[str, str]] = []
    for item in overflow:
        lines.append(("label", f"{item.label}（{item.field_id}）"))
        lines.extend(
            ("text", line) for line in _wrap(item.text, lambda s: p.c.stringWidth(s, p.mincho, size), width)
        )
    per_page = int((280 * MM - CONTENT_TOP - 10 * MM) // (size * 1.6))
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]


def _draw_form(p: _Painter, form: PrintableForm, plan: _FormPlan, *, city: str) -> int:
    layout = form.layout
    printed = printed_date_text(form.printed_on or dt.date.today())
    extra = _continuation_pages(p, plan.overflow) if plan.overflow else []
    pages = layout.page_count + len(extra)
    for number, page in enumerate(layout.pages, start=1):
        _draw_furniture(p, page, form, page_number=number, pages=pages, city=city, printed=printed)
        for shade in page.shades:
            p.fill(shade, SHADE)
        for rule in page.rules:
            p.fill(rule)
        for i, item in enumerate(page.texts):
            p.item(item, plan.static_replacements.get((number, i)))
        for box in layout.boxes_on(number):
            p.box(box)
        for op in plan.ops.get(number, ()):
            p.op(op)
        p.c.showPage()
    first = layout.pages[0]
    header = [
        (i, t) for i, t in enumerate(first.texts) if t.y < CONTENT_TOP - 4 * MM
    ]  # the title and the header's labels
    for offset, lines in enumerate(extra, start=1):
        number = layout.page_count + offset
        _draw_furniture(p, first, form, page_number=number, pages=pages, city=city, printed=printed)
        for rule in first.rules:
            if rule.y < CONTENT_TOP:
                p.fill(rule)
        for i, item in header:
            p.item(item, plan.static_replacements.get((1, i)))
        heading = Rect(CONTENT_LEFT, CONTENT_TOP, CONTENT_WIDTH, 6 * MM)
        p.fill(heading, SHADE)
        p.text(
            Rect(CONTENT_LEFT + 2 * MM, CONTENT_TOP, CONTENT_WIDTH - 4 * MM, 6 * MM),
            "別紙（続き） Continuation sheet", 9.5,
        )  # fmt: skip
        y = CONTENT_TOP + 10 * MM
        for kind, text in lines:
            rect = Rect(CONTENT_LEFT + 2 * MM, y, CONTENT_WIDTH - 4 * MM, 9.0 * 1.6)
            if kind == "label":
                p.text(rect, text, 8.5)
            else:
                p.text(rect, text, 9.0, font="mincho")
            y += 9.0 * 1.6
        p.c.showPage()
    return pages


def render_forms(
    forms: Sequence[PrintableForm],
    *,
    city_name: str,
    allow_missing: bool = False,
    fonts: FontSet | None = None,
) -> RenderedPdf:
    """One PDF with every form of a visit, each starting on a new page.

    Raises MissingGlyphs when a text has a character the embedded font lacks, unless `allow_missing`: then
    the box is left empty with a 「外字」 marker and the result's `warnings` say which. Raises
    FormFontMissing when a font file is not there. The result is the PDF's bytes (a `RenderedPdf`, which also
    tells `page_count` and `warnings`).
    """
    if not forms:
        raise ValueError("render_forms needs at least one form")
    fonts = fonts or default_fonts()
    mincho, gothic = load_font(fonts.mincho), load_font(fonts.gothic)
    city = _city_line(city_name)
    plans = [
        _Planner(form, index, allow_missing=allow_missing, mincho=mincho, gothic=gothic, city_name=city).run()
        for index, form in enumerate(forms)
    ]
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=gothic[0],  # no reference to a standard (not embedded) font
        initialFontSize=9,
    )
    canvas.setTitle(" / ".join(dict.fromkeys(form.spec.name.ja for form in forms)))
    canvas.setAuthor(city_name)
    canvas.setCreator("Madoguchi")
    painter = _Painter(canvas, mincho[0], gothic[0])
    page_count = 0
    for form, plan in zip(forms, plans, strict=True):
        page_count += _draw_form(painter, form, plan, city=city)
    canvas.save()
    warnings = [w for plan in plans for w in plan.warnings]
    return RenderedPdf(buffer.getvalue(), page_count=page_count, warnings=warnings)


def blank_form(
    spec: ProcedureSpec, layout: FormLayout, *, version: int | None = None, printed_on=None
) -> PrintableForm:
    """A form with no values and no case, for residents who prefer to write on paper."""
    return PrintableForm(spec=spec, layout=layout, version=version, printed_on=printed_on)


__all__ = [
    "Basics",
    "FontSet",
    "FormFontMissing",
    "GlyphWarning",
    "MissingGlyphs",
    "PrintableForm",
    "QrPayload",
    "RenderedPdf",
    "blank_form",
    "configure_fonts",
    "font_has",
    "load_font",
    "normalise_sex",
    "parse_qr_payload",
    "qr_payload",
    "render_forms",
]

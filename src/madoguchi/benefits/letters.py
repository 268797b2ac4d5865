"""The printed 確認書 (confirmation letter) of a benefit program, in two layouts (pure: no Django).

- `a4`: one A4 page per household, folded into a window envelope (長形3号): the household head's name and
  address show through the window; the amount, the account the city holds (masked but for its last three
  digits) and the return part are inside.
- `hagaki`: a V-fold 圧着はがき (pressure-sealed postcard), 100 × 296 mm opened, two PDF pages per household.
  The outside (page 1) has the address face (postal code boxes, 料金後納 mark, name and address, the sender)
  on its top panel and a cover with no personal data on its bottom panel, printed upside down so that it
  reads upright when the folded card is turned over. The inside (page 2) has everything confidential: the
  amount, the account, and the return part. Nothing but the address face's name and address is outside.

Both carry a return part the paper intake reads back (`letter_form_layout`): a box to tick 「内容を確認しました
／口座に振り込んでください」, boxes to write another account (bank code, branch code, account type, account number
digits, holder katakana cells), and a box to tick 「給付金の受給を辞退します」 (辞退), laid out from the field types'
own print layouts and OCR hints (`procedures.fields`), with the four corner marks and the QR code where the
engine looks for them. The QR code is in the product's form format (`procedures.forms.printable.qr_payload`):
``MDG1|<reference>|benefit:<program>|<layout version>|1/1`` — the confirmation's random reference and
nothing else about the household. Layout versions: 4 = A4, 5 = 圧着はがき, with the 辞退 box; 2 = A4 and 3 =
圧着はがき are the same letters without it, still read back (every box where it was) for letters printed before;
1 was the first A4 letter, which had nothing to read back.

ReportLab and segno are imported when letters are drawn, not when the layout is asked for (the paper intake
asks for it).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from madoguchi.jp import wareki
from madoguchi.procedures.fields.base import CHECKBOX_MM, DIGIT_MM
from madoguchi.procedures.forms.fonts import FontSet, default_fonts
from madoguchi.procedures.forms.layout import (
    MARK_OFFSET,
    MARK_SIZE,
    QR_SIZE,
    FieldBox,
    FormLayout,
    PageLayout,
    Rect,
    TextItem,
    wrap_text,
)
from madoguchi.procedures.forms.printable import qr_payload
from madoguchi.procedures.spec import Field, Localized, Option, ProcedureSpec, Step

MM = 72 / 25.4
QR_PROCEDURE_PREFIX = "benefit:"

A4 = "a4"
HAGAKI = "hagaki"
LAYOUTS = (A4, HAGAKI)
# The layout version a letter's QR code names: the paper intake reads a returned letter with that layout.
# Printed now: 4 (A4) and 5 (はがき), with the 辞退 box. 2 and 3 are the letters printed before it, still read.
LAYOUT_VERSIONS = {A4: 4, HAGAKI: 5}
LAYOUT_OF_VERSION = {2: A4, 3: HAGAKI, 4: A4, 5: HAGAKI}
WITHOUT_DECLINE = frozenset({2, 3})  # versions printed before the 辞退 box
PAGE_SIZES = {A4: (210 * MM, 297 * MM), HAGAKI: (100 * MM, 296 * MM)}
PAGES_PER_LETTER = {A4: 1, HAGAKI: 2}
HAGAKI_PANEL = 148 * MM  # the fold: two 100 × 148 mm panels

# The fields of the return part (the ids the paper intake reports and the benefits services read).
CONFIRM = "confirm"
BANK_CODE = "bank_code"
BRANCH_CODE = "branch_code"
ACCOUNT_TYPE = "account_type"
ACCOUNT_NUMBER = "account_number"
HOLDER = "holder_kana"
DECLINE = "decline"  # 辞退: the household declines the benefit
ACCOUNT_FIELDS = (BANK_CODE, BRANCH_CODE, ACCOUNT_TYPE, ACCOUNT_NUMBER, HOLDER)
# 預金種目 as 全銀 codes them (the online form offers the same three).
ACCOUNT_TYPES = (("1", "普通", "Ordinary"), ("2", "当座", "Current"), ("4", "貯蓄", "Savings"))
ACCOUNT_TYPE_NAMES = {code: ja for code, ja, _en in ACCOUNT_TYPES}
CONFIRM_LABEL = (
    "内容を確認しました／口座に振り込んでください",
    "I have checked this; please pay into the account",
)
DECLINE_LABEL = ("給付金の受給を辞退します", "I decline this benefit")
DECLINE_NOTE = (
    "辞退する場合は、この欄だけに印をつけてください。",
    "To decline, tick this box only (leave the boxes above empty).",
)

DIGIT_W, DIGIT_H = DIGIT_MM[0] * MM, DIGIT_MM[1] * MM
TICK = CHECKBOX_MM * MM


def form_key(program_slug: str) -> str:
    """The "procedure" of a program's 確認書 in its QR code and in the paper intake: ``benefit:<slug>``."""
    return QR_PROCEDURE_PREFIX + program_slug


def program_slug_of(key: str) -> str | None:
    return key[len(QR_PROCEDURE_PREFIX) :] or None if key.startswith(QR_PROCEDURE_PREFIX) else None


@dataclass(frozen=True)
class Letter:
    number: str  # 確認書番号, printed
    program_slug: str
    program_title: str
    postal_code: str
    address: str
    name: str  # 世帯主
    amount: int
    members: int  # 世帯人数 on the base date
    deadline: dt.date | None
    counted: int = 0  # members the per-person amount counts (加算対象)
    bank_name: str = ""  # "" when the city holds no account: the resident writes one in
    branch_name: str = ""
    account_type: str = ""
    masked_account: str = ""
    holder: str = ""
    reference: str = ""  # the confirmation's random reference: all the QR code says about the household
    program_title_en: str = ""


def letter_qr(letter: Letter, layout: str = A4) -> str:
    return qr_payload(
        case_number=letter.reference or None,
        procedure=form_key(letter.program_slug),
        version=LAYOUT_VERSIONS[layout],
        page=1,
        pages=1,
    )


# --------------------------------------------------------------------------------------------------------------
# What the paper intake reads: the return part as a form (spec and layout)


def _localized(ja: str, en: str) -> Localized:
    return Localized(ja=ja, en=en)


@lru_cache(maxsize=64)
def confirmation_spec(*, slug: str, title_ja: str, title_en: str = "") -> ProcedureSpec:
    """The return part of the 確認書 as a form: the tick, the account and the 辞退 tick, each field of an ordinary
    type (checkbox, number in digit boxes, radio ticks, kana cells), so the intake reads and verifies them as
    it does every form. The bank and branch are not looked up here: a code that does not exist is the
    resident's answer, and the benefits services send the application back to the resident for it. (A letter
    printed before the 辞退 box has no box for that field: the intake reads nothing for it.)"""
    title_en = title_en or title_ja
    fields = (
        Field(id=CONFIRM, type="checkbox", label=_localized(*CONFIRM_LABEL)),
        Field(
            id=BANK_CODE,
            type="number",
            label=_localized("金融機関コード（4桁）", "Bank code (4 digits)"),
            min=0,
            max=9999,
        ),
        Field(
            id=BRANCH_CODE,
            type="number",
            label=_localized("支店コード（3桁）", "Branch code (3 digits)"),
            min=0,
            max=999,
        ),
        Field(
            id=ACCOUNT_TYPE,
            type="radio",
            label=_localized("預金種目", "Account type"),
            options=tuple(Option(code, _localized(ja, en)) for code, ja, en in ACCOUNT_TYPES),
        ),
        Field(
            id=ACCOUNT_NUMBER,
            type="number",
            label=_localized("口座番号（7桁）", "Account number (7 digits)"),
            min=0,
            max=9_999_999,
        ),
        Field(
            id=HOLDER,
            type="kana",
            label=_localized("口座名義（カタカナ）", "Account holder (katakana)"),
            max_length=30,
        ),
        Field(id=DECLINE, type="checkbox", label=_localized(*DECLINE_LABEL)),
    )
    return ProcedureSpec(
        id=form_key(slug),
        name=_localized(f"{title_ja} 支給要件確認書", f"{title_en}: confirmation"),
        department="fukushi",
        description=_localized(
            "給付金の支給要件確認書（返送用）。", "The benefit's confirmation letter, returned by post."
        ),
        eligibility=_localized("確認書が届いた世帯", "Households that received the letter"),
        bring=(),
        fee=_localized("無料", "Free"),
        online=False,
        identity_level="none",
        sla_business_days=10,
        steps=(
            Step(
                id="confirmation",
                title=_localized("確認と振込先口座", "Confirmation and bank account"),
                description=None,
                fields=fields,
            ),
        ),
    )


def _rect(x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> Rect:
    return Rect(round(x_mm * MM, 2), round(y_mm * MM, 2), round(w_mm * MM, 2), round(h_mm * MM, 2))


def _text(x_mm, y_mm, w_mm, h_mm, text, size, **kw) -> TextItem:
    return TextItem(
        round(x_mm * MM, 2), round(y_mm * MM, 2), round(w_mm * MM, 2), round(h_mm * MM, 2), text, size, **kw
    )


@dataclass(frozen=True)
class _Geometry:
    """Where the return part goes on one layout (millimetres from the top left of the page it is on)."""

    page_mm: tuple[float, float]
    mark_offset: float  # from the page's edges to the corner marks
    qr: tuple[float, float]  # top left of the QR zone (QR_SIZE square)
    left: float  # left edge of the return part
    width: float
    top: float  # its heading band
    tick_y: float  # the box to tick
    codes_y: float  # bank and branch code boxes
    bank_x: float
    branch_x: float
    number_y: float  # account number boxes
    number_x: float
    type_y: float  # account type ticks
    type_x: float
    type_pitch: float
    holder_y: float  # the holder's cells
    cell_w: float
    holder_per_row: int
    decline_y: float  # the 辞退 tick (below the holder's cells)
    decline_note_x: float  # its note: beside the label (A4), under it (はがき)
    decline_note_y: float
    decline_note_en: bool  # the note in English too (room for it on A4 only)


_GEOMETRY = {
    A4: _Geometry(
        page_mm=(210, 297),
        mark_offset=MARK_OFFSET / MM,
        qr=(173, 15),
        left=20,
        width=170,
        top=150,
        tick_y=162.5,
        codes_y=190,
        bank_x=20,
        branch_x=50,
        number_y=190,
        number_x=135,
        type_y=190,
        type_x=75,
        type_pitch=17,
        holder_y=205,
        cell_w=6.0,
        holder_per_row=20,
        decline_y=226,
        decline_note_x=100,
        decline_note_y=225.6,
        decline_note_en=True,
    ),
    HAGAKI: _Geometry(
        page_mm=(100, 296),
        mark_offset=7,
        qr=(66, 15),
        left=12,
        width=76,
        top=152,
        tick_y=161,
        codes_y=193,
        bank_x=12,
        branch_x=40,
        number_y=207,
        number_x=12,
        type_y=207,
        type_x=49,
        type_pitch=13,
        holder_y=221,
        cell_w=6.0,
        holder_per_row=12,
        decline_y=248.5,
        decline_note_x=12,
        decline_note_y=257.4,
        decline_note_en=False,
    ),
}
# The はがき keeps its boxes 12 mm from the card's edges: a card skewed on the scanner loses its edges first.
INSTRUCTION = (
    "口座を変更する場合や、口座が書かれていない場合は、\n受け取る口座を記入してください。",
    "To be paid into another account (or when none is shown above), write it in the boxes below.",
)


def _cell(x: float, y: float, col: int, row: int, width: float, height: float) -> Rect:
    """Cell (col, row) of a grid from (x, y) in points: edges rounded once, so neighbours touch, never overlap."""
    left, right = round(x + col * width, 2), round(x + (col + 1) * width, 2)
    top, bottom = round(y + row * height, 2), round(y + (row + 1) * height, 2)
    return Rect(left, top, round(right - left, 2), round(bottom - top, 2))


def _tick_box(f: Field, x_mm: float, y_mm: float) -> FieldBox:
    """A checkbox field: one box to tick."""
    tick = _rect(x_mm, y_mm, CHECKBOX_MM, CHECKBOX_MM)
    return FieldBox(
        f.id,
        1,
        tick.x,
        tick.y,
        tick.width,
        tick.height,
        "checkbox",
        1,
        rects=(tick,),
        ocr=f.kind.ocr_hints(f),
    )


def _digit_box(f: Field, x_mm: float, y_mm: float) -> FieldBox:
    kind = f.kind
    layout = kind.print_layout(f)
    x, y = round(x_mm * MM, 2), round(y_mm * MM, 2)
    rects = tuple(_cell(x, y, i, 0, DIGIT_W, DIGIT_H) for i in range(layout.cells))
    return FieldBox(
        f.id, 1, x, y, round(layout.cells * DIGIT_W, 2), round(DIGIT_H, 2), "digits", layout.cells,
        rects=rects, align=layout.align, ocr=kind.ocr_hints(f),
    )  # fmt: skip


def _choice_box(f: Field, x_mm: float, y_mm: float, pitch_mm: float) -> tuple[FieldBox, list[TextItem]]:
    kind = f.kind
    layout = kind.print_layout(f)
    rects, texts = [], []
    for index, value in enumerate(layout.choices):
        left = x_mm + index * pitch_mm
        rects.append(_rect(left, y_mm + 1.5, CHECKBOX_MM, CHECKBOX_MM))
        ja, _en = kind.print_choice_label(f, value)
        texts.append(_text(left + CHECKBOX_MM + 1.2, y_mm, pitch_mm - CHECKBOX_MM - 2, 7, ja, 9.0))
    box = FieldBox(
        f.id, 1, round(x_mm * MM, 2), round(y_mm * MM, 2), round(len(rects) * pitch_mm * MM, 2),
        round(7 * MM, 2), "choices", len(rects), rects=tuple(rects), choices=tuple(layout.choices),
        ocr=kind.ocr_hints(f),
    )  # fmt: skip
    return box, texts


def _cells_box(f: Field, x_mm: float, y_mm: float, cell_w: float, per_row: int) -> FieldBox:
    kind = f.kind
    printed = kind.print_layout(f)
    count = min(printed.cells * printed.rows, f.max_length or printed.cells * printed.rows)
    rows = -(-count // per_row)
    rects = tuple(
        _cell(x_mm * MM, y_mm * MM, i % per_row, i // per_row, cell_w * MM, 8.0 * MM) for i in range(count)
    )
    return FieldBox(
        f.id, 1, round(x_mm * MM, 2), round(y_mm * MM, 2), round(per_row * cell_w * MM, 2),
        round(rows * 8.0 * MM, 2), "cells", per_row, rows=rows, rects=rects, ocr=kind.ocr_hints(f),
    )  # fmt: skip


def _label(x_mm: float, y_mm: float, w_mm: float, text: str) -> TextItem:
    """A small grey label just above its boxes."""
    return _text(x_mm, y_mm - 4.2, w_mm, 3.6, text, 7.0, tone="gray")


@lru_cache(maxsize=64)
def letter_form_layout(
    layout: str, *, slug: str, title_ja: str, title_en: str = "", version: int | None = None
) -> FormLayout:
    """The return part of a letter of `layout` as the paper intake reads it: the corner marks, the QR zone and
    a box per field of `confirmation_spec`, on the page that is scanned (A4: the letter; はがき: the inside).
    `version`: the layout version the letter's QR names (None: the one printed now); a version printed before
    the 辞退 box (2, 3) has every other box where it is now, and no 辞退 box."""
    if layout not in _GEOMETRY:
        raise ValueError(f"unknown letter layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    version = LAYOUT_VERSIONS[layout] if version is None else version
    if LAYOUT_OF_VERSION.get(version) != layout:
        raise ValueError(f"layout version {version} is not a {layout} letter")
    with_decline = version not in WITHOUT_DECLINE
    g = _GEOMETRY[layout]
    spec = confirmation_spec(slug=slug, title_ja=title_ja, title_en=title_en)
    fields = {f.id: f for f in spec.fields}
    width_mm, height_mm = g.page_mm
    off, size = g.mark_offset, MARK_SIZE / MM
    corners = ((off, off), (width_mm - off - size, off), (off, height_mm - off - size),
               (width_mm - off - size, height_mm - off - size))  # fmt: skip
    marks = tuple(_rect(x, y, size, size) for x, y in corners)
    zones = {"qr": _rect(g.qr[0], g.qr[1], QR_SIZE / MM, QR_SIZE / MM)}
    label_x = g.left + CHECKBOX_MM + 2
    texts = [
        _text(g.left + 2, g.top, g.width - 4, 7, "返送欄　記入して返送してください", 10.0),
        _text(label_x, g.tick_y - 1.4, g.width - CHECKBOX_MM - 2, 6.5, CONFIRM_LABEL[0], 10.5),
        _text(label_x, g.tick_y + 4.6, g.width - CHECKBOX_MM - 2, 3.5, CONFIRM_LABEL[1], 6.5, tone="gray"),
    ]
    y = g.tick_y + 10
    for line in wrap_text(INSTRUCTION[0], 8.0, g.width * MM):
        texts.append(_text(g.left, y, g.width, 4, line, 8.0, font="mincho"))
        y += 4
    for line in wrap_text(INSTRUCTION[1], 6.0, g.width * MM):
        texts.append(_text(g.left, y, g.width, 3, line, 6.0, tone="gray"))
        y += 3
    texts += [
        _label(g.bank_x, g.codes_y, 28, fields[BANK_CODE].label.ja),
        _label(g.branch_x, g.codes_y, 26, fields[BRANCH_CODE].label.ja),
        _label(g.number_x, g.number_y, 36, fields[ACCOUNT_NUMBER].label.ja),
        _label(g.type_x, g.type_y, 3 * g.type_pitch, fields[ACCOUNT_TYPE].label.ja),
        _label(g.left, g.holder_y, g.width, "口座名義（カタカナ）　姓と名の間は1マス空けてください"),
    ]
    account_type, option_texts = _choice_box(fields[ACCOUNT_TYPE], g.type_x, g.type_y, g.type_pitch)
    texts.extend(option_texts)
    boxes = (
        _tick_box(fields[CONFIRM], g.left, g.tick_y),
        _digit_box(fields[BANK_CODE], g.bank_x, g.codes_y),
        _digit_box(fields[BRANCH_CODE], g.branch_x, g.codes_y),
        account_type,
        _digit_box(fields[ACCOUNT_NUMBER], g.number_x, g.number_y),
        _cells_box(fields[HOLDER], g.left, g.holder_y, g.cell_w, g.holder_per_row),
    )
    if with_decline:
        boxes += (_tick_box(fields[DECLINE], g.left, g.decline_y),)
        texts += [
            _text(label_x, g.decline_y - 1.4, 62, 6.5, DECLINE_LABEL[0], 10.5, font="gothic"),
            _text(label_x, g.decline_y + 4.6, 62, 3.5, DECLINE_LABEL[1], 6.5, tone="gray"),
        ]
        note_w = g.left + g.width - g.decline_note_x
        texts.append(
            _text(g.decline_note_x, g.decline_note_y, note_w, 3.6, DECLINE_NOTE[0], 7.5, font="mincho")
        )
        if g.decline_note_en:
            texts.append(
                _text(g.decline_note_x, g.decline_note_y + 3.8, note_w, 3, DECLINE_NOTE[1], 5.5, tone="gray")
            )
    page = PageLayout(
        number=1, marks=marks, zones=zones, texts=tuple(texts), shades=(_rect(g.left, g.top, g.width, 7),)
    )
    return FormLayout(
        procedure=form_key(slug),
        title_ja=spec.name.ja,
        title_en=spec.name.en,
        pages=(page,),
        boxes=boxes,
        page_size=(round(width_mm * MM, 2), round(height_mm * MM, 2)),
    )


# --------------------------------------------------------------------------------------------------------------
# Drawing


def _date(day: dt.date | None) -> str:
    return wareki.format_wareki(day) if day is not None else ""


class _Pen:
    """Draws on a ReportLab canvas in layout coordinates (points from the top left of the page)."""

    def __init__(self, canvas, height: float, mincho: str, gothic: str) -> None:
        self.c = canvas
        self.height = height
        self.mincho = mincho
        self.gothic = gothic

    def text(self, x, y, width, text, size, *, font="mincho", align="left", gray=False, box_h=None) -> None:
        """`text` fitted into `width` points (smaller when it would not fit), its box's top at `y`."""
        if not text:
            return
        from reportlab.pdfbase.pdfmetrics import stringWidth

        name = self.gothic if font == "gothic" else self.mincho
        measured = stringWidth(text, name, size)
        if measured > width > 0:
            size = max(size * width / measured, 4.0)
            measured = stringWidth(text, name, size)
        box_h = size * 1.25 if box_h is None else box_h
        baseline = y + (box_h - size) / 2 + size * 0.88
        c = self.c
        c.setFillGray(0.35 if gray else 0)
        c.setFont(name, size)
        if align == "center":
            x += (width - measured) / 2
        elif align == "right":
            x += width - measured
        c.drawString(x, self.height - baseline, text)
        if gray:
            c.setFillGray(0)

    def item(self, item: TextItem) -> None:
        self.text(
            item.x, item.y, item.width, item.text, item.size, font=item.font, align=item.align,
            gray=item.tone == "gray", box_h=item.height,
        )  # fmt: skip

    def rect(self, r: Rect, *, width=0.6, fill=False, gray=None) -> None:
        c = self.c
        if fill:
            c.setFillGray(0 if gray is None else gray)
            c.rect(r.x, self.height - r.y - r.height, r.width, r.height, stroke=0, fill=1)
            c.setFillGray(0)
            return
        c.setLineWidth(width)
        c.rect(r.x, self.height - r.y - r.height, r.width, r.height, stroke=1, fill=0)

    def line(self, x1, y1, x2, y2, *, width=0.4, dash=None) -> None:
        c = self.c
        c.setLineWidth(width)
        if dash:
            c.setDash(*dash)
        c.line(x1, self.height - y1, x2, self.height - y2)
        if dash:
            c.setDash()

    def qr(self, zone: Rect, payload: str) -> None:
        """The form QR code as vector squares with a 4-module quiet zone, as printed forms draw it."""
        import segno

        matrix = segno.make(payload, error="m", micro=False, mask=0).matrix  # a fixed mask: 8× faster
        module = zone.width / (len(matrix) + 8)
        path = self.c.beginPath()
        for row, line in enumerate(matrix):
            top = zone.y + (row + 4) * module
            col = 0
            while col < len(line):
                if line[col]:
                    start = col
                    while col < len(line) and line[col]:
                        col += 1
                    path.rect(
                        zone.x + (start + 4) * module,
                        self.height - top - module,
                        (col - start) * module,
                        module,
                    )
                else:
                    col += 1
        self.c.drawPath(path, stroke=0, fill=1)


def _draw_return_part(pen: _Pen, form: FormLayout, letter: Letter, layout: str) -> None:
    """The corner marks, the QR code, the labels and every box of the return part (the same on every letter)."""
    page = form.pages[0]
    for mark in page.marks:
        pen.rect(mark, fill=True)
    pen.qr(page.zones["qr"], letter_qr(letter, layout))
    for shade in page.shades:
        pen.rect(shade, fill=True, gray=0.88)
    for item in page.texts:
        pen.item(item)
    for box in form.boxes:
        for rect in box.rects:
            pen.rect(rect)


def _account_lines(letter: Letter) -> list[str]:
    if not letter.bank_name:
        return [
            "市で把握している口座がありません。",
            "下の返送欄に受け取る口座を記入してください。",
        ]
    kind = ACCOUNT_TYPE_NAMES.get(letter.account_type, "")
    return [
        f"金融機関　{letter.bank_name}　{letter.branch_name}",
        f"口座番号　{kind}　{letter.masked_account}",
        f"口座名義　{letter.holder}",
    ]


def _intro_lines(letter: Letter, city_name: str) -> list[str]:
    return [
        f"{city_name}から、あなたの世帯は{letter.program_title}の支給対象です。",
        "内容を確認のうえ、マイページで「確認して申請」を押すか、",
        "この確認書の返送欄に記入して返送してください。",
    ]


def _amount_lines(letter: Letter) -> list[str]:
    lines = [
        f"支給額　{letter.amount:,} 円",
        f"世帯人数 {letter.members} 人・加算対象 {letter.counted} 人",
    ]
    if letter.deadline:
        lines.append(f"返送期限　{_date(letter.deadline)}（必着）")
    return lines


def _draw_a4(pen: _Pen, form: FormLayout, letter: Letter, city_name: str, printed: str) -> None:
    width = 210 * MM
    _draw_return_part(pen, form, letter, A4)
    x = 25 * MM
    pen.text(
        x,
        22 * MM,
        80 * MM,
        f"〒{letter.postal_code[:3]}-{letter.postal_code[3:]}" if letter.postal_code else "",
        10,
    )
    pen.text(x, 27.5 * MM, 90 * MM, letter.address, 10.5)
    pen.text(x, 37 * MM, 90 * MM, f"{letter.name}　様", 14)
    pen.text(120 * MM, 39 * MM, 75 * MM, f"確認書番号 {letter.number}", 8, font="gothic", align="right")
    pen.text(120 * MM, 44 * MM, 75 * MM, f"{printed}　{city_name}長", 9, align="right")
    title = f"{letter.program_title}　支給要件確認書"
    pen.text(15 * MM, 55 * MM, width - 30 * MM, title, 15, font="gothic", align="center")
    y = 68 * MM
    for line in _intro_lines(letter, city_name):
        pen.text(x, y, width - 50 * MM, line, 10.5)
        y += 6.5 * MM
    y += 2 * MM
    for index, line in enumerate(_amount_lines(letter)):
        pen.text(
            x, y, width - 50 * MM, line, 13 if index == 0 else 10.5, font="gothic" if index == 0 else "mincho"
        )
        y += 7 * MM
    pen.text(x, 114 * MM, 80 * MM, "振込先口座（市で把握している口座）", 10.5, font="gothic")
    pen.rect(Rect(x, 120 * MM, width - 50 * MM, 24 * MM))
    y = 122.5 * MM
    for line in _account_lines(letter):
        pen.text(x + 3 * MM, y, width - 56 * MM, line, 10.5)
        y += 6.8 * MM
    notes = [
        "・口座を変更する場合は、通帳またはキャッシュカードの写しを同封してください。",
        "・記入した確認書は、同封の返信用封筒で返送してください。",
        "・受給を辞退する場合は、返送欄の「給付金の受給を辞退します」に印をつけて返送するか、マイページで辞退して",
        "　ください。辞退は、支給の手続きが終わるまでは、市の担当課に連絡すれば撤回できます。",
        "・この確認書についてのお問い合わせ：給付金コールセンター（平日9時から17時）",
    ]
    y = 238.5 * MM
    pen.text(20 * MM, y, 170 * MM, "記入日　令和　　年　　月　　日　　　　世帯主氏名（自署）", 10)
    pen.line(128 * MM, y + 5.5 * MM, 190 * MM, y + 5.5 * MM)
    y = 249 * MM
    for line in notes:
        pen.text(20 * MM, y, 170 * MM, line, 8.5)
        y += 5 * MM
    pen.text(
        20 * MM,
        278 * MM,
        170 * MM,
        f"{form.procedure}　第{LAYOUT_VERSIONS[A4]}版　{letter.number}",
        7,
        font="gothic",
        align="center",
        gray=True,
    )


def _draw_hagaki_outside(pen: _Pen, letter: Letter, city_name: str) -> None:
    """Page 1: the address face (top panel) and the cover (bottom panel, upside down). No personal data but
    the name and address the post needs."""
    c = pen.c
    # 料金後納郵便 mark, top left.
    pen.rect(Rect(7 * MM, 7 * MM, 19 * MM, 19 * MM), width=0.8)
    pen.text(7 * MM, 11 * MM, 19 * MM, "料金後納", 8, font="gothic", align="center")
    pen.text(7 * MM, 16.5 * MM, 19 * MM, "郵便", 8, font="gothic", align="center")
    # 郵便番号枠: three boxes, then four, as on a postcard.
    digits = letter.postal_code if len(letter.postal_code) == 7 else ""
    lefts = (44.0, 51.0, 58.0, 65.8, 72.6, 79.4, 86.2)
    for index, left in enumerate(lefts):
        box = Rect(left * MM, 10 * MM, 5.7 * MM, 8 * MM)
        pen.rect(box, width=0.7)
        if digits:
            pen.text(box.x, box.y, box.width, digits[index], 12, align="center", box_h=box.height)
    pen.rect(Rect(80 * MM, 24 * MM, 12 * MM, 7 * MM), width=0.8)
    pen.text(80 * MM, 24 * MM, 12 * MM, "親展", 10, font="gothic", align="center", box_h=7 * MM)
    pen.text(12 * MM, 38 * MM, 80 * MM, letter.address, 11)
    pen.text(12 * MM, 58 * MM, 80 * MM, f"{letter.name}　様", 16)
    pen.text(12 * MM, 78 * MM, 80 * MM, "重要　給付金のお知らせ（支給要件確認書在中）", 9, font="gothic")
    pen.line(8 * MM, 118 * MM, 92 * MM, 118 * MM, width=0.3)
    pen.text(10 * MM, 121 * MM, 80 * MM, "差出人", 7.5, font="gothic", gray=True)
    pen.text(10 * MM, 126 * MM, 80 * MM, f"{city_name}役所　給付金担当", 9)
    pen.text(10 * MM, 131.5 * MM, 80 * MM, "給付金コールセンター（平日9時から17時）", 8)
    pen.text(10 * MM, 140 * MM, 80 * MM, "▲ 山折り（ここで折られています）", 6.5, gray=True)
    pen.line(0, HAGAKI_PANEL, 100 * MM, HAGAKI_PANEL, width=0.3, dash=(2, 2))
    # The cover: drawn in a frame turned 180° about the bottom panel's centre.
    c.saveState()
    c.translate(100 * MM, 0)
    c.rotate(180)
    c.translate(0, -HAGAKI_PANEL)
    cover = _Pen(c, HAGAKI_PANEL, pen.mincho, pen.gothic)
    cover.text(
        10 * MM, 14 * MM, 80 * MM, f"{letter.program_title}のお知らせ", 13, font="gothic", align="center"
    )
    cover.text(10 * MM, 24 * MM, 80 * MM, "支給要件確認書在中", 10, font="gothic", align="center")
    cover.rect(Rect(10 * MM, 40 * MM, 80 * MM, 34 * MM), width=0.5)
    lines = [
        "このはがきは圧着されています。",
        "内側に個人情報が記載されていますので、",
        "ご本人が開封してください。",
        "◀ ここからはがしてください",
    ]
    for index, line in enumerate(lines):
        cover.text(14 * MM, (44 + index * 7) * MM, 72 * MM, line, 9.5)
    cover.text(10 * MM, 90 * MM, 80 * MM, "マイページからも申請できます。", 9, align="center")
    cover.text(
        10 * MM, 120 * MM, 80 * MM, f"{city_name}　給付金コールセンター（平日9時から17時）", 8, align="center"
    )
    c.restoreState()


def _draw_hagaki_inside(pen: _Pen, form: FormLayout, letter: Letter, city_name: str, printed: str) -> None:
    """Page 2: everything confidential, and the return part on the bottom panel."""
    _draw_return_part(pen, form, letter, HAGAKI)
    x, w = 12 * MM, 76 * MM
    pen.text(x, 13 * MM, 52 * MM, letter.program_title, 10, font="gothic")
    pen.text(x, 19 * MM, 52 * MM, "支給要件確認書", 13, font="gothic")
    pen.text(x, 28 * MM, 52 * MM, f"{letter.name}　様", 11)
    pen.text(x, 34 * MM, 52 * MM, f"確認書番号 {letter.number}", 7, font="gothic")
    pen.text(x, 38.5 * MM, 52 * MM, f"{printed}　{city_name}長", 7.5)
    y = 46 * MM
    for line in wrap_text("".join(_intro_lines(letter, city_name)), 8.5, w):
        pen.text(x, y, w, line, 8.5)
        y += 4.6 * MM
    y += 2 * MM
    for index, line in enumerate(_amount_lines(letter)):
        pen.text(x, y, w, line, 12 if index == 0 else 9, font="gothic" if index == 0 else "mincho")
        y += 6 * MM if index == 0 else 5 * MM
    pen.text(x, 98 * MM, w, "振込先口座（市で把握している口座）", 9, font="gothic")
    pen.rect(Rect(x, 103 * MM, w, 22 * MM))
    y = 105 * MM
    for line in _account_lines(letter):
        pen.text(x + 2 * MM, y, w - 4 * MM, line, 8.5)
        y += 5.8 * MM
    pen.text(x, 129 * MM, w, "口座を変更する場合は、下の返送欄に記入し、通帳の写しと一緒に", 7.5)
    pen.text(x, 133.5 * MM, w, "封筒に入れて返送してください（マイページからも変更できます）。", 7.5)
    pen.text(x, 138 * MM, w, "受給を辞退する場合は、返送欄の「辞退します」に印をつけて返送して", 7.5)
    pen.text(x, 142.5 * MM, w, "ください。辞退は、支給の手続きが終わるまでは撤回できます。", 7.5)
    pen.line(0, HAGAKI_PANEL, 100 * MM, HAGAKI_PANEL, width=0.3, dash=(2, 2))
    notes = [
        "記入日　令和　　年　　月　　日",
        "世帯主氏名（自署）",
        "・お問い合わせ：給付金コールセンター（平日9時から17時）",
    ]
    for line, top in zip(notes, (263, 269, 277), strict=True):
        pen.text(x, top * MM, w, line, 8)
    pen.line(41 * MM, 273.5 * MM, 88 * MM, 273.5 * MM)
    pen.text(
        x,
        282 * MM,
        w,
        f"{form.procedure}　第{LAYOUT_VERSIONS[HAGAKI]}版　{letter.number}",
        6,
        font="gothic",
        align="center",
        gray=True,
    )


def render_letters(
    letters: Iterable[Letter],
    *,
    city_name: str,
    layout: str = A4,
    fonts: FontSet | None = None,
    printed_on: dt.date | None = None,
) -> tuple[bytes, int]:
    """One PDF of every letter in `layout` (A4: a page each; 圧着はがき: two, outside then inside); (bytes,
    pages)."""
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    from madoguchi.procedures.forms.render import load_font

    if layout not in LAYOUTS:
        raise ValueError(f"unknown letter layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    rl_config.useA85 = 0  # binary page streams: smaller and faster to write
    fonts = fonts or default_fonts()
    mincho, gothic = load_font(fonts.mincho)[0], load_font(fonts.gothic)[0]
    size = PAGE_SIZES[layout]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, pageCompression=1, initialFontName=gothic, initialFontSize=9)
    canvas.setTitle(f"{city_name} 確認書")
    canvas.setCreator("Madoguchi")
    pen = _Pen(canvas, size[1], mincho, gothic)
    printed = _date(printed_on or dt.date.today())
    pages = 0
    forms: dict[tuple[str, str, str], FormLayout] = {}
    for letter in letters:
        key = (letter.program_slug, letter.program_title, letter.program_title_en)
        form = forms.get(key)
        if form is None:
            form = forms[key] = letter_form_layout(
                layout,
                slug=letter.program_slug,
                title_ja=letter.program_title,
                title_en=letter.program_title_en,
            )
        if layout == A4:
            _draw_a4(pen, form, letter, city_name, printed)
            canvas.showPage()
            pages += 1
        else:
            _draw_hagaki_outside(pen, letter, city_name)
            canvas.showPage()
            _draw_hagaki_inside(pen, form, letter, city_name, printed)
            canvas.showPage()
            pages += 2
    canvas.save()
    return out.getvalue(), pages

"""Printable letters of rules: one A4 PDF page (ReportLab, the IPAex Mincho font of printed forms)."""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "MadoguchiLetterMincho"
SIZE = 11


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, settings.FORMS_FONT_MINCHO))
    return FONT


def _wrap(text: str, width: float, font: str) -> list[str]:
    """Lines of at most `width` points: Japanese has no spaces, so wrap by character."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if pdfmetrics.stringWidth(line + char, font, SIZE) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def render_letter(
    *, name: str, postal_code: str, address: str, title: str, body: str, day: dt.date, reference: str
) -> bytes:
    """The letter as PDF bytes. `address` empty (支援措置) prints a line asking staff to address it by hand."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    width, height = A4
    left, y = 25 * mm, height - 30 * mm
    pdf.setFont(font, SIZE)
    if address:
        pdf.drawString(
            left, y, f"〒{postal_code[:3]}-{postal_code[3:]}" if len(postal_code) == 7 else postal_code
        )
        y -= 6 * mm
        pdf.drawString(left, y, address)
    else:
        pdf.drawString(
            left, y, "（支援措置の対象のため住所は印字していません。担当課で送付先を確認してください）"
        )
    y -= 8 * mm
    pdf.setFont(font, 14)
    pdf.drawString(left, y, f"{name} 様")
    pdf.setFont(font, SIZE)
    pdf.drawRightString(width - 25 * mm, height - 30 * mm, f"{day.year}年{day.month}月{day.day}日")
    pdf.drawRightString(width - 25 * mm, height - 36 * mm, settings.MUNICIPALITY_NAME)
    y -= 20 * mm
    pdf.setFont(font, 15)
    pdf.drawCentredString(width / 2, y, title)
    pdf.setFont(font, SIZE)
    y -= 14 * mm
    for line in _wrap(body, width - 50 * mm, font):
        pdf.drawString(left, y, line)
        y -= 7 * mm
    pdf.setFont(font, 8)
    pdf.drawString(left, 15 * mm, f"整理番号 {reference}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

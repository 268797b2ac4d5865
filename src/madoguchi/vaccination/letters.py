"""Printed invitation letters (接種券の送付): one A4 page per invitation, with the 接種券番号, the booking
address as a QR code (segno) and the wave's opening time; ReportLab with the embedded IPAex Gothic font."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "MadoguchiGothic"


@dataclass(frozen=True)
class Letter:
    name: str
    postal_code: str
    address: str
    code: str
    birth_date: str
    opens: str  # "2026-05-10 09:00" or ""
    url: str  # the campaign's booking page


@cache
def _register_font(path: str) -> None:
    pdfmetrics.registerFont(TTFont(FONT, path))


def render_letters(letters: Iterable[Letter], *, campaign_name: str, city: str, font_path: str) -> bytes:
    _register_font(font_path)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{campaign_name} 接種券")
    width, height = A4
    for letter in letters:
        pdf.setFont(FONT, 11)
        postal = f"〒{letter.postal_code[:3]}-{letter.postal_code[3:]}" if letter.postal_code else ""
        pdf.drawString(25 * mm, height - 30 * mm, postal)
        pdf.drawString(25 * mm, height - 37 * mm, letter.address)
        pdf.setFont(FONT, 14)
        pdf.drawString(25 * mm, height - 47 * mm, f"{letter.name} 様")
        pdf.setFont(FONT, 18)
        pdf.drawString(25 * mm, height - 75 * mm, f"{campaign_name} 接種券")
        pdf.setFont(FONT, 12)
        lines = [
            f"接種券番号（券番号）: {letter.code}",
            f"生年月日: {letter.birth_date}",
            f"予約の受付開始: {letter.opens}"
            if letter.opens
            else "予約の受付開始: 市のお知らせをご覧ください",
            "予約はインターネット（右のQRコード）または電話で。予約には接種券番号と生年月日が必要です。",
            f"予約ページ: {letter.url}",
            "混み合うときは順番待ちのページが表示されます。順番は自動で進みます。",
        ]
        y = height - 90 * mm
        for line in lines:
            pdf.drawString(25 * mm, y, line)
            y -= 8 * mm
        qr = segno.make(letter.url, error="m")
        png = io.BytesIO()
        qr.save(png, kind="png", scale=6, border=2)
        png.seek(0)
        pdf.drawImage(ImageReader(png), width - 65 * mm, height - 75 * mm, 40 * mm, 40 * mm)
        pdf.setFont(FONT, 9)
        pdf.drawString(25 * mm, 20 * mm, f"{city}　この通知は接種を受けるときに会場へお持ちください。")
        pdf.showPage()
    pdf.save()
    return out.getvalue()

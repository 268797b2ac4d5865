"""The printed 確認書 (confirmation letter) of a benefit program: one A4 page per household (pure: no Django).

Each page carries the household head's name and address (for a window envelope), the amount, the account the
city holds (masked but for its last three digits), what to do, and a QR code in the product's own form format
(`procedures.forms.printable.qr_payload`): ``MDG1|<確認書番号>|benefit:<program>|1|1/1``, so the paper intake
reads a returned letter like any printed form and finds the confirmation by its number.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from madoguchi.jp import wareki
from madoguchi.procedures.forms.fonts import FontSet, default_fonts
from madoguchi.procedures.forms.printable import qr_payload

MM = 72 / 25.4
QR_PROCEDURE_PREFIX = "benefit:"


@dataclass(frozen=True)
class Letter:
    number: str  # 確認書番号
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


def letter_qr(letter: Letter) -> str:
    return qr_payload(
        case_number=letter.number,
        procedure=QR_PROCEDURE_PREFIX + letter.program_slug,
        version=1,
        page=1,
        pages=1,
    )


_registered: dict[str, str] = {}


def _font(path: str, name: str) -> str:
    if path not in _registered:
        pdfmetrics.registerFont(TTFont(name, path))
        _registered[path] = name
    return _registered[path]


def _qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    # A fixed mask: letting segno choose the best of eight costs 25 ms a page.
    matrix = segno.make(text, error="m", micro=False, mask=0).matrix
    border = 2
    modules = len(matrix) + 2 * border
    cell = size / modules
    path = canvas.beginPath()
    for row, line in enumerate(matrix):
        col = 0
        while col < len(line):
            if line[col]:
                start = col
                while col < len(line) and line[col]:
                    col += 1
                path.rect(
                    x + (start + border) * cell,
                    y + size - (row + border + 1) * cell,
                    (col - start) * cell,
                    cell,
                )
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _date(day: dt.date | None) -> str:
    if day is None:
        return ""
    return wareki.format_wareki(day)


def render_letters(
    letters: Iterable[Letter], *, city_name: str, fonts: FontSet | None = None
) -> tuple[bytes, int]:
    """One PDF of every letter, one A4 page each; (bytes, pages)."""
    fonts = fonts or default_fonts()
    mincho = _font(fonts.mincho, "BenefitMincho")
    gothic = _font(fonts.gothic, "BenefitGothic")
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{city_name} 確認書")
    width, height = A4
    pages = 0
    for letter in letters:
        top = height - 20 * MM
        canvas.setFont(mincho, 10)
        canvas.drawString(
            25 * MM, top, f"〒{letter.postal_code[:3]}-{letter.postal_code[3:]}" if letter.postal_code else ""
        )
        canvas.drawString(25 * MM, top - 6 * MM, letter.address[:40])
        canvas.setFont(mincho, 13)
        canvas.drawString(25 * MM, top - 14 * MM, f"{letter.name} 様")
        _qr(canvas, letter_qr(letter), width - 45 * MM, top - 22 * MM, 28 * MM)
        canvas.setFont(gothic, 8)
        canvas.drawString(width - 45 * MM, top - 25 * MM, letter.number)

        canvas.setFont(gothic, 16)
        canvas.drawCentredString(width / 2, top - 45 * MM, f"{letter.program_title} 支給要件確認書")
        canvas.setFont(mincho, 10.5)
        y = top - 58 * MM
        lines = [
            f"{city_name}から、あなたの世帯は{letter.program_title}の支給対象です。",
            "下記の内容を確認のうえ、マイページで「確認して申請」を押すか、この確認書を返送してください。",
            "",
            f"支給額　{letter.amount:,} 円（世帯人数 {letter.members} 人・加算対象 {letter.counted} 人）",
            f"返送期限　{_date(letter.deadline)}" if letter.deadline else "",
        ]
        for line in lines:
            canvas.drawString(25 * MM, y, line)
            y -= 7 * MM
        canvas.setFont(gothic, 11)
        canvas.drawString(25 * MM, y - 3 * MM, "振込先口座")
        canvas.setFont(mincho, 10.5)
        y -= 11 * MM
        canvas.rect(25 * MM, y - 30 * MM, width - 50 * MM, 34 * MM)
        if letter.bank_name:
            account_lines = [
                f"金融機関　{letter.bank_name}　{letter.branch_name}",
                f"口座番号　{'普通' if letter.account_type == '1' else '当座' if letter.account_type == '2' else ''}　{letter.masked_account}",
                f"口座名義　{letter.holder}",
                "□ この口座で受け取ります　　□ 口座を変更します（下に新しい口座を記入し、通帳の写しを同封）",
            ]
        else:
            account_lines = [
                "市で把握している口座がありません。受け取る口座を記入してください。",
                "金融機関名（　　　　　　　　　）支店名（　　　　　　　　）",
                "口座番号（　　　　　　　）口座名義（カナ）（　　　　　　　　　　　　　　　）",
                "通帳またはキャッシュカードの写しを同封してください。",
            ]
        for line in account_lines:
            canvas.drawString(28 * MM, y, line)
            y -= 7.5 * MM
        canvas.setFont(mincho, 9)
        canvas.drawString(
            25 * MM, 30 * MM, "この確認書についてのお問い合わせ：給付金コールセンター（平日9時から17時）"
        )
        canvas.drawString(
            25 * MM,
            25 * MM,
            "受け取りを辞退する場合は、確認書の「辞退」に印を付けて返送してください。□ 辞退します",
        )
        canvas.showPage()
        pages += 1
    canvas.save()
    return out.getvalue(), pages

"""The letter batch: confirmations with their household head's name and address, drawn by `letters` in chunks."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from django.conf import settings
from django.db import transaction

from madoguchi.jp.banks import find_bank, find_branch
from madoguchi.residents.models import Person

from . import services
from .letters import A4, LAYOUTS, Letter, render_letters
from .models import Confirmation, Program

CHUNK = 2000  # letters per ReportLab document; the chunks are joined into one PDF


@dataclass
class LetterBatch:
    letters: int
    pages: int
    seconds: float
    layout: str = A4


def _letters(program: Program, rows: list[tuple]) -> list[Letter]:
    heads = {}
    for household_id, name, postal, prefecture, city, town, banchi, building in (
        Person.objects.filter(household_id__in=[r[2] for r in rows], is_active=True)
        .annotate(head=services.head_first("relationship"))
        .order_by("household_id", "head", "id")
        .values_list(
            "household_id", "name", "postal_code", "prefecture", "city", "town", "banchi", "building"
        )
    ):
        heads.setdefault(household_id, (name, postal, f"{prefecture}{city}{town}{banchi} {building}".strip()))
    result = []
    for (
        number,
        reference,
        household_id,
        amount,
        members,
        counted,
        bank,
        branch,
        kind,
        account,
        holder,
    ) in rows:
        name, postal, address = heads.get(household_id, ("世帯主", "", ""))
        found = find_branch(bank, branch) if bank else None
        result.append(
            Letter(
                number=number,
                program_slug=program.slug,
                program_title=program.title_ja,
                program_title_en=program.title_en,
                reference=reference,
                postal_code=postal,
                address=address,
                name=name,
                amount=amount,
                members=members,
                counted=counted,
                deadline=program.deadline,
                bank_name=_bank_name(found.bank_code) if found else "",
                branch_name=found.name if found else "",
                account_type=kind,
                masked_account="*" * max(0, len(account) - 3) + account[-3:] if account else "",
                holder=holder,
            )
        )
    return result


def _bank_name(code: str) -> str:
    bank = find_bank(code)
    return bank.name if bank else code


def print_letters(
    *,
    program: Program,
    path: str | os.PathLike[str],
    reprint: bool = False,
    limit: int | None = None,
    layout: str = A4,
) -> LetterBatch:
    """Every confirmation of the program not printed yet (all with `reprint`) as one PDF in `layout` (`a4`: a
    page each for a window envelope; `hagaki`: a 圧着はがき, outside and inside), marked printed."""
    if layout not in LAYOUTS:
        raise services.BenefitError(
            "unknown_layout",
            f"確認書の様式「{layout}」はありません。a4 か hagaki を選んでください。",
            f"There is no letter layout {layout!r}. Choose a4 or hagaki.",
        )
    target = Path(path)
    if not target.parent.is_dir():
        raise services.BenefitError(
            "no_directory",
            f"保存先のフォルダ {target.parent} がありません。",
            f"The folder {target.parent} does not exist.",
        )
    started = time.perf_counter()
    queryset = Confirmation.objects.filter(eligibility__program=program, eligibility__active=True)
    if not reprint:
        queryset = queryset.filter(printed_at__isnull=True)
    rows = list(
        queryset.order_by("pk").values_list(
            "pk",
            "number",
            "reference",
            "eligibility__household_id",
            "eligibility__amount",
            "eligibility__members",
            "eligibility__counted",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "holder_kana",
        )[:limit]
    )
    if not rows:
        raise services.BenefitError(
            "no_letters", "印刷していない確認書はありません。", "There are no confirmations left to print."
        )
    merged = pdfium.PdfDocument.new()
    pages = 0
    # Written beside the target and renamed: the PDF appears whole or not at all (and a rename never crosses
    # file systems).
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            data, count = render_letters(
                _letters(program, [r[1:] for r in chunk]), city_name=settings.MUNICIPALITY_NAME, layout=layout
            )
            pages += count
            part = pdfium.PdfDocument(data)
            merged.import_pages(part)
            part.close()
        partial = Path(tmp) / "letters.pdf"
        merged.save(str(partial))
        merged.close()
        with transaction.atomic():
            services.mark_confirmations_printed(confirmation_ids=[r[0] for r in rows])
            os.replace(partial, target)
    return LetterBatch(letters=len(rows), pages=pages, seconds=time.perf_counter() - started, layout=layout)

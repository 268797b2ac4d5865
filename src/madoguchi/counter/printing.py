"""Printing the forms of a visit: one PDF through the printed-forms engine of the procedures room.

Any failure becomes a PrintFailed with a message for the clerk: the cases are already committed, so a failed
print loses nothing and the clerk may try again. A character the printing font does not have (外字, e.g. 𠮷) is
never dropped or replaced: the clerk is told which character of which field, and what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from madoguchi.core.errors import MadoguchiError
from madoguchi.procedures.services import printable_form

logger = logging.getLogger(__name__)


class PrintFailed(MadoguchiError):
    http_status = 503


@dataclass(frozen=True)
class FormToPrint:
    procedure_version: object  # procedures.models.ProcedureVersion
    values: dict  # the case's validated data
    case_number: str  # 受付番号


def render_pdf(forms: Sequence[FormToPrint], *, basics: dict) -> bytes:
    """One PDF with every form, pre-filled; `basics` holds name, address, birth_date and sex of the person
    (the address left empty for a person under 支援措置). Raises PrintFailed."""
    # ReportLab and segno are imported when a form is printed, not at every start of a command.
    from madoguchi.procedures.forms.render import MissingGlyphs, render_forms

    try:
        printable = [
            printable_form(
                procedure_version=item.procedure_version,
                values=item.values,
                basics=basics,
                case_number=item.case_number,
            )
            for item in forms
        ]
        return bytes(render_forms(printable, city_name=settings.MUNICIPALITY_NAME))
    except MissingGlyphs as exc:
        raise PrintFailed(
            "print_missing_glyphs",
            exc.message("ja") + " 申請は受け付け済みです。",
            exc.message("en") + " The applications are filed.",
        ) from exc
    except Exception as exc:  # the engine's own errors, whatever they are: the clerk gets a retry
        logger.exception("printing the forms of a visit failed")
        raise PrintFailed(
            "print_failed",
            "帳票を作成できませんでした。申請は受け付け済みです。もう一度「まとめて印刷」を押してください。",
            "The forms could not be produced. The applications are filed; press 'Print all forms' again.",
        ) from exc

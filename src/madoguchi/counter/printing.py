"""Printing the forms of a visit: one PDF through the printed-forms engine of the procedures room.

The engine (`madoguchi.procedures.forms.render_forms` and `madoguchi.procedures.services.printable_form`) is
delivered by the printed-forms work; until it is merged, this module is the one place that calls it, and it
imports it lazily, so the counter works (and its tests run, with the renderer replaced) without it. Any
failure becomes a PrintFailed with a message for the clerk: the cases are already committed, so a failed
print loses nothing and the clerk may try again.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from madoguchi.core.errors import MadoguchiError

logger = logging.getLogger(__name__)


class PrintFailed(MadoguchiError):
    http_status = 503


@dataclass(frozen=True)
class FormToPrint:
    procedure_version: object  # procedures.models.ProcedureVersion
    values: dict  # the case's validated data
    case_number: str  # 受付番号


def _engine():
    """(printable_form, render_forms) of the printed-forms engine, imported when first needed."""
    services = importlib.import_module("madoguchi.procedures.services")
    forms = importlib.import_module("madoguchi.procedures.forms")
    return services.printable_form, forms.render_forms


def render_pdf(forms: Sequence[FormToPrint], *, basics: dict) -> bytes:
    """One PDF with every form, pre-filled; `basics` holds name, address, birth_date and sex of the person
    (the address left empty for a person under 支援措置). Raises PrintFailed."""
    try:
        printable_form, render_forms = _engine()
    except (ImportError, AttributeError) as exc:
        logger.warning("printed-forms engine unavailable: %s", exc)
        raise PrintFailed(
            "print_unavailable",
            "帳票の印刷機能が利用できません。システム管理者に連絡してください。申請は受け付け済みです。",
            "Printing forms is not available. Contact the system administrator; the applications are filed.",
        ) from exc
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
        return render_forms(printable, city_name=settings.MUNICIPALITY_NAME)
    except Exception as exc:  # the engine's own errors, whatever they are: the clerk gets a retry
        logger.exception("printing the forms of a visit failed")
        raise PrintFailed(
            "print_failed",
            "帳票を作成できませんでした。申請は受け付け済みです。もう一度「まとめて印刷」を押してください。",
            "The forms could not be produced. The applications are filed; press 'Print all forms' again.",
        ) from exc

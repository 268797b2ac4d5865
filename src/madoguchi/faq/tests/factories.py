"""FAQ test helpers: a published procedure the FAQ links to, and small FAQ CSV files.

The model factories are the canonical ones of each room (accounts, procedures, cases tests).
"""

from __future__ import annotations

from madoguchi.accounts.tests.factories import DepartmentFactory
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import ProcedureFactory

CSV_HEADER = "id,category,question,answer,procedure,keywords"


def make_procedure(*, slug: str = "juminhyo-copy", department_code: str = "shimin") -> Procedure:
    """A published procedure named as the FAQ's 住民票 entries name it (the FAQ reads no more of it)."""
    return ProcedureFactory(
        slug=slug,
        department=DepartmentFactory(code=department_code),
        name_ja="住民票の写しの交付請求",
        name_en="Request for a copy of the certificate of residence",
        life_events=["certificates"],
    )


def write_csv(path, rows: list[str], header: str = CSV_HEADER) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)

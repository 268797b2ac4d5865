"""The procedure catalog over the API: list with filters, and one procedure with its form schema."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from madoguchi.api.errors import ApiError, error_responses
from madoguchi.procedures import selectors
from madoguchi.procedures.models import Procedure

router = Router(tags=["procedures"])


class Localized(Schema):
    ja: str
    en: str


class DepartmentOut(Schema):
    code: str
    name: Localized


class ProcedureSummary(Schema):
    slug: str
    name: Localized
    department: DepartmentOut
    life_events: list[str]
    online: bool = Field(
        description="Whether residents can apply online (the portal or POST /api/v1/me/cases)."
    )
    version: int = Field(description="Number of the current version of the procedure's definition.")


class ProcedureDetail(ProcedureSummary):
    spec: dict[str, Any] = Field(
        description="The published definition of the current version, as stored: name, description, "
        "eligibility, fee, identity_level, sla_business_days and the form schema in form.steps[].fields[]. "
        "Fields of type my_number (個人番号) are left out while My Number handling is switched off."
    )


class ProcedureList(Schema):
    count: int
    items: list[ProcedureSummary]


class CatalogQuery(Schema):
    q: str = Field("", max_length=100, description="Words to find in the name or description (ja or en).")
    department: str = Field("", max_length=40, description="Department code, e.g. shimin.")
    life_event: str = Field("", max_length=40, description="Life-event tag, e.g. moving.")
    lang: str = Field(
        "", pattern="^(|ja|en)$", description="Rank names in this language first (default: ja)."
    )


def _summary(procedure: Procedure) -> dict[str, Any]:
    version = procedure.current_version
    spec = version.spec if version else {}
    return {
        "slug": procedure.slug,
        "name": {"ja": procedure.name_ja, "en": procedure.name_en},
        "department": {
            "code": procedure.department.code,
            "name": {"ja": procedure.department.name_ja, "en": procedure.department.name_en},
        },
        "life_events": list(procedure.life_events or []),
        "online": bool(
            procedure.online and spec.get("online", True) and spec.get("identity_level") != "verified"
        ),
        "version": version.number if version else 0,
    }


@router.get(
    "",
    response={200: ProcedureList, **error_responses(422)},
    summary="The procedure catalog",
    auth=None,
)
def list_procedures(request: HttpRequest, filters: Query[CatalogQuery]):
    """Active procedures, in catalog order; with `q`, those whose name matches come first."""
    procedures = selectors.catalog(
        query=filters.q,
        department=filters.department or None,
        life_event=filters.life_event or None,
        lang=filters.lang or getattr(request, "LANGUAGE_CODE", "ja"),
    )
    return {"count": len(procedures), "items": [_summary(p) for p in procedures]}


@router.get(
    "/{slug}",
    response={200: ProcedureDetail, **error_responses(404)},
    summary="One procedure with its form",
    auth=None,
)
def get_procedure(request: HttpRequest, slug: str):
    procedure = selectors.get_procedure(slug[:80])
    if procedure is None:
        raise ApiError(
            404,
            "procedure_not_found",
            "指定された手続きが見つかりません。手続きの一覧（/api/v1/procedures）で slug を確認してください。",
            "No such procedure. Check its slug in the list at /api/v1/procedures.",
        )
    return {**_summary(procedure), "spec": selectors.published_spec(procedure.current_version)}

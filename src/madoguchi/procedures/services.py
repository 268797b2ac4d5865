"""Publishing procedures: `sync_procedures` turns the YAML files in `procedures/` into immutable versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import Department

from . import selectors
from .forms.layout import layout_form
from .forms.printable import Basics, PrintableForm
from .models import Procedure, ProcedureVersion
from .spec import Problem, ProcedureFileError, ProcedureSpec, canonical_sha256, load_procedure_file


class ProcedureSyncError(Exception):
    """The procedure files cannot be published; `problems` says where and why. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class SyncReport:
    """Slugs by outcome. `changed` includes a file that went back to the content of an earlier version."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
            f"{len(self.reactivated)} reactivated, {len(self.deactivated)} deactivated"
        )


def load_procedure_directory(directory: Path) -> list[tuple[Path, ProcedureSpec]]:
    """Every procedure file of `directory`, validated; raises ProcedureSyncError listing all problems."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ProcedureSyncError([Problem(str(directory), 0, "no such directory; pass --directory DIR")])
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ProcedureSyncError(
            [
                Problem(
                    str(directory),
                    0,
                    "no *.yaml procedure files here; refusing to deactivate every procedure",
                )
            ]
        )
    problems: list[Problem] = []
    loaded: list[tuple[Path, ProcedureSpec]] = []
    for path in paths:
        try:
            loaded.append((path, load_procedure_file(path)))
        except ProcedureFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProcedureSyncError(problems)
    return loaded


def sync_procedures(*, directory: Path) -> SyncReport:
    """Publish the procedure files of `directory`: all of them or, on any problem, none.

    A new file creates a Procedure; a file whose canonical content differs from the current version adds
    a version (number + 1), or points back to an earlier version with the same content. Existing versions
    are never modified. Procedures whose file is gone are deactivated; their versions stay for their cases.
    """
    loaded = load_procedure_directory(directory)
    departments = {
        d.code: d for d in Department.objects.filter(code__in={spec.department for _, spec in loaded})
    }
    missing = [
        Problem(
            str(path),
            spec.source_lines.get("department", 0),
            f"department '{spec.department}' does not exist in this installation; create it first "
            "(accounts.Department with this code)",
        )
        for path, spec in loaded
        if spec.department not in departments
    ]
    if missing:
        raise ProcedureSyncError(missing)

    report = SyncReport()
    with transaction.atomic():
        for path, spec in loaded:
            _publish(spec, path=path, department=departments[spec.department], report=report)
        slugs = [spec.id for _, spec in loaded]
        gone = Procedure.objects.select_for_update().filter(is_active=True).exclude(slug__in=slugs)
        report.deactivated = sorted(gone.values_list("slug", flat=True))
        gone.update(is_active=False)
    return report


def _publish(spec: ProcedureSpec, *, path: Path, department: Department, report: SyncReport) -> None:
    sha256 = canonical_sha256(spec)
    procedure = Procedure.objects.select_for_update().filter(slug=spec.id).first()
    if procedure is None:
        procedure = Procedure(slug=spec.id, department=department)
        _copy_denormalised(procedure, spec, department)
        procedure.save()
        procedure.current_version = _create_version(procedure, spec, sha256=sha256, number=1, path=path)
        procedure.save(update_fields=["current_version"])
        report.created.append(spec.id)
        return

    was_active = procedure.is_active
    current = procedure.current_version
    if current is not None and current.sha256 == sha256:
        if not was_active:
            procedure.is_active = True
            procedure.save(update_fields=["is_active"])
            report.reactivated.append(spec.id)
        else:
            report.unchanged.append(spec.id)
        return

    version = procedure.versions.filter(sha256=sha256).first()
    if version is None:
        latest = procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = _create_version(procedure, spec, sha256=sha256, number=latest + 1, path=path)
    procedure.current_version = version
    _copy_denormalised(procedure, spec, department)
    procedure.save(
        update_fields=[
            "current_version",
            "department",
            "name_ja",
            "name_en",
            "life_events",
            "online",
            "is_active",
        ]
    )
    (report.changed if was_active else report.reactivated).append(spec.id)


def _copy_denormalised(procedure: Procedure, spec: ProcedureSpec, department: Department) -> None:
    procedure.department = department
    procedure.name_ja = spec.name.ja
    procedure.name_en = spec.name.en
    procedure.life_events = list(spec.life_events)
    procedure.online = spec.online
    procedure.is_active = True


def _create_version(
    procedure: Procedure, spec: ProcedureSpec, *, sha256: str, number: int, path: Path
) -> ProcedureVersion:
    return ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        sha256=sha256,
        spec=spec.to_json(),
        source_path=f"procedures/{path.name}",
        print_layout=_layout_json(spec, sha256),
    )


_layouts: dict[str, dict[str, Any]] = {}


def _layout_json(spec: ProcedureSpec, sha256: str) -> dict[str, Any]:
    """The print layout of a spec, laid out once per process and content (the same spec, the same layout)."""
    layout = _layouts.get(sha256)
    if layout is None:
        layout = _layouts[sha256] = layout_form(spec).to_json()
    return layout


def printable_form(
    *,
    procedure_version: ProcedureVersion,
    values: Mapping[str, Any] | None,
    basics: Basics | Mapping[str, Any] | None,
    case_number: str | None,
) -> PrintableForm:
    """One form of a visit, ready for `forms.render.render_forms`: the version's spec and layout as this
    installation prints them (`selectors.form_layout`), the cleaned values (field id → value, as a case keeps
    them; None or {} for a blank form), the four basic items (a `Basics`, a mapping with name / address /
    birth_date / sex, or None) and the 受付番号 (None for a blank form), printed today.

        pdf = render_forms([printable_form(...), ...], city_name=settings.MUNICIPALITY_NAME)
    """
    return PrintableForm(
        spec=selectors.spec_of(procedure_version),
        layout=selectors.form_layout(procedure_version),
        values=dict(values or {}),
        basics=Basics.of(basics),
        case_number=case_number or None,
        version=procedure_version.number,
        printed_on=timezone.localdate(),
    )


def basics_of_person(person: Any) -> Basics:
    """The four basic items of a registry person (residents.models.Person): 氏名, 住所, 生年月日, 性別.

    The address of a person under 支援措置 (DV protection) is never printed: the box is left for the resident
    to fill in by hand, as the register's rule for every display of that address says.
    """
    if person is None:
        return Basics()
    return Basics(
        name=person.name or "",
        address="" if getattr(person, "support_measure", False) else (person.address or ""),
        birth_date=person.birth_date,
        sex=person.sex or "",
    )

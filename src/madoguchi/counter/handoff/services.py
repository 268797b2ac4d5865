"""Making hand-off files: `export_cases` (a format, a period of acceptance) and `reexport` (an earlier export's
cases again). Both record a `HandoffExport` with its cases and write one audit row — a bulk look at personal
data — listing the columns, the cases and the registry persons, in the same transaction; the file is
handed to the caller only after that commit, so no file leaves without its record.

The policy: staff who work cases (`selectors.EXPORT_ROLES`) export their own department's accepted cases;
the command (`madoguchi handoff export`, an operator) may export every department's or one department's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.utils import translation

from madoguchi.accounts.models import Department
from madoguchi.core import audit

from . import selectors
from .base import HandoffError, HandoffFormat, WriteResult
from .config import ConfigError, FormatOptions, nearest
from .models import HandoffExport, HandoffExportCase
from .registry import register

AUDIT_OBJECT = "handoff_export"
PURPOSE = "中核システムへの連携（{label}）"
REEXPORT_PURPOSE = "中核システムへの連携（{label}・再出力 #{original}）"
MAX_DAYS = 366  # the longest period one file covers
PURPOSE_MAX_LENGTH = 200  # HandoffExport.purpose and AuditEvent.purpose


class HandoffNotAllowed(HandoffError):
    http_status = 403


@dataclass
class ExportOutcome:
    export: HandoffExport
    result: WriteResult

    @property
    def file_name(self) -> str:
        return self.export.file_name

    @property
    def content(self) -> bytes:
        return self.result.content


def _is_staff(actor) -> bool:
    return bool(getattr(actor, "is_office_staff", False))


def _check_actor(actor, department: Department | None) -> Department | None:
    """The department whose cases the actor may export: staff their own; the command any (None: all)."""
    if not _is_staff(actor):
        return department
    if not selectors.may_export(actor):
        raise HandoffNotAllowed(
            "handoff_not_allowed",
            "連携ファイルを書き出せるのは、申請を処理する課の職員（審査担当・決裁者・課管理者）だけです。",
            "Only staff who work on cases (reviewers, approvers, department administrators) may export "
            "hand-off files.",
        )
    if department is not None and department.pk != actor.department_id:
        raise HandoffNotAllowed(
            "handoff_other_department",
            "ほかの課の申請は書き出せません。",
            "You may export only your own department's cases.",
        )
    return actor.department


def _check_period(since: dt.date, until: dt.date) -> None:
    if since > until:
        raise HandoffError(
            "period_reversed",
            "「いつから」は「いつまで」より前の日にしてください。",
            "The start of the period must be on or before its end.",
            field="until",
        )
    if (until - since).days >= MAX_DAYS:
        raise HandoffError(
            "period_too_long",
            f"1つのファイルにできる期間は {MAX_DAYS} 日までです。期間を分けて書き出してください。",
            f"One file covers at most {MAX_DAYS} days; export the period in parts.",
            field="since",
        )


def _check_procedures(fmt: HandoffFormat, procedures: Sequence[str] | None) -> list[str] | None:
    """The procedures to take (None: every one the format takes); a format of one procedure needs one."""
    chosen = sorted(set(procedures or ()))
    if fmt.one_procedure and len(chosen) != 1:
        raise HandoffError(
            "procedure_required",
            f"「{fmt.label_ja}」は手続を1つ選んで書き出します。",
            f"'{fmt.label_en}' is exported for one procedure: choose one.",
            field="procedure",
        )
    known = tuple(p.slug for p in selectors.procedures_for(fmt))
    for slug in chosen:
        if not fmt.takes(slug) or slug not in known:
            hit = nearest(slug, known)
            raise HandoffError(
                "unknown_procedure",
                f"「{fmt.label_ja}」は手続「{slug}」の申請を書き出せません。"
                + (f"「{hit}」のことですか。" if hit else "")
                + f"手続: {', '.join(known)}",
                f"'{fmt.label_en}' does not take procedure '{slug}'."
                + (f" Did you mean '{hit}'?" if hit else "")
                + f" Procedures: {', '.join(known)}",
                field="procedure",
            )
    return chosen or None


def _options(fmt: HandoffFormat, encoding: str | None, bom: bool | None) -> FormatOptions:
    try:
        return fmt.options().with_encoding(encoding, bom)
    except ConfigError as exc:
        raise HandoffError(
            "config_invalid",
            f"連携ファイルの設定に誤りがあります。\n{exc}",
            f"The hand-off configuration is not valid.\n{exc}",
        ) from exc


def _file_name(fmt: HandoffFormat, since: dt.date, until: dt.date, procedures: Sequence[str] | None) -> str:
    stem = fmt.file_stem if not (fmt.one_procedure and procedures) else f"{fmt.file_stem}_{procedures[0]}"
    return f"{stem}_{since:%Y%m%d}-{until:%Y%m%d}.csv"


def _make(
    fmt: HandoffFormat,
    accepted: Sequence[selectors.Accepted],
    *,
    options: FormatOptions,
    actor,
    department: Department | None,
    since: dt.date,
    until: dt.date,
    procedures: list[str] | None,
    purpose: str,
    channel: str,
    client_ip: str | None,
    reexport_of: HandoffExport | None,
    stream: BinaryIO | None,
) -> ExportOutcome:
    purpose = purpose.strip()[:PURPOSE_MAX_LENGTH]
    records = selectors.case_records(accepted)
    with translation.override("ja"):
        result = fmt.write(records, None, options)  # raises before anything is recorded
    case_ids = [r.case.pk for r in records]
    person_ids = selectors.person_ids_of(records)
    with transaction.atomic():
        previously = selectors.previously_exported(fmt.name, case_ids)
        export = HandoffExport.objects.create(
            format=fmt.name,
            exported_by=actor if _is_staff(actor) else None,
            actor_label=str(getattr(actor, "email", "") or actor or "system"),
            channel=channel,
            department=department,
            since=since,
            until=until,
            procedures=procedures or [],
            reexport_of=reexport_of,
            encoding=options.codec,
            line_ending=options.line_ending,
            headers=result.headers,
            case_count=len(records),
            row_count=result.rows,
            previously_exported=previously,
            person_ids=person_ids,
            sha256=result.sha256,
            size=result.size,
            file_name=_file_name(fmt, since, until, procedures),
            purpose=purpose,
        )
        HandoffExportCase.objects.bulk_create(
            [
                HandoffExportCase(export=export, case_id=case_id, position=i)
                for i, case_id in enumerate(case_ids)
            ]
        )
        # One row for the whole file: what was written (the header), whose cases, whose registry records.
        audit.record_access(
            actor=actor,
            action="export",
            object_type=AUDIT_OBJECT,
            object_id=export.pk,
            person_id=person_ids[0] if len(person_ids) == 1 else None,
            fields=[
                *result.headers,
                *(f"case:{r.reference}" for r in records),
                *(f"person:{pk}" for pk in person_ids),
            ],
            purpose=purpose,
            channel=channel,
            client_ip=client_ip,
        )
    if stream is not None:
        stream.write(result.content)
    return ExportOutcome(export=export, result=result)


def export_cases(
    format_name: str,
    *,
    since: dt.date,
    until: dt.date,
    procedures: Sequence[str] | None = None,
    stream: BinaryIO | None = None,
    actor,
    department: Department | None = None,
    encoding: str | None = None,
    bom: bool | None = None,
    purpose: str = "",
    channel: str = "cli",
    client_ip: str | None = None,
) -> ExportOutcome:
    """Write the cases accepted from `since` to `until` (both included) that the format takes, as its file.

    `procedures` narrows them (a format of one procedure needs exactly one). Staff export their own
    department's cases; `department` narrows the command's export. `encoding`/`bom` override the configured
    ones. HandoffError (a MadoguchiError) when the export cannot be made; then nothing is recorded or written.
    """
    fmt = register.get(format_name)
    department = _check_actor(actor, department)
    _check_period(since, until)
    chosen = _check_procedures(fmt, procedures)
    options = _options(fmt, encoding, bom)
    taken = chosen if chosen is not None else fmt.procedures
    accepted = selectors.accepted_cases(
        since=since,
        until=until,
        procedures=taken,
        department_id=department.pk if department is not None else None,
    )
    return _make(
        fmt,
        accepted,
        options=options,
        actor=actor,
        department=department,
        since=since,
        until=until,
        procedures=chosen,
        purpose=purpose or PURPOSE.format(label=fmt.label_ja),
        channel=channel,
        client_ip=client_ip,
        reexport_of=None,
        stream=stream,
    )


def reexport(
    export_id: int,
    *,
    actor,
    stream: BinaryIO | None = None,
    encoding: str | None = None,
    bom: bool | None = None,
    channel: str = "cli",
    client_ip: str | None = None,
) -> ExportOutcome:
    """The cases of an earlier export, written again in its format (as the cases and configuration are now).

    Recorded as a new export pointing at the first, and audited the same way. Staff re-export their own
    department's exports only.
    """
    department_id = actor.department_id if _is_staff(actor) else None
    _check_actor(actor, None)
    original = selectors.export_of(export_id=export_id, department_id=department_id)
    if original is None:
        raise HandoffError(
            "export_not_found",
            f"書き出しの記録 #{export_id} はありません。",
            f"There is no export #{export_id}.",
        )
    fmt = register.get(original.format)
    encoding = encoding or ("utf-8" if original.encoding.startswith("utf-8") else original.encoding)
    if bom is None:
        bom = original.encoding == "utf-8-sig"
    options = _options(fmt, encoding, bom)
    return _make(
        fmt,
        selectors.cases_of_export(original),
        options=options,
        actor=actor,
        department=original.department,
        since=original.since,
        until=original.until,
        procedures=list(original.procedures) or None,
        purpose=REEXPORT_PURPOSE.format(label=fmt.label_ja, original=original.pk),
        channel=channel,
        client_ip=client_ip,
        reexport_of=original,
        stream=stream,
    )

"""Every write to cases: keyword-only, typed, one transaction, emits domain events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F
from django.utils import timezone

from madoguchi.accounts import selectors as account_selectors
from madoguchi.cases import background, rendering, sandbox, selectors, workflow
from madoguchi.cases.models import (
    Case,
    CaseAttachment,
    CaseCount,
    CaseHistory,
    CaseMessage,
    CaseNote,
    Channel,
    Direction,
    IdempotentRequest,
    RenderFailure,
    RenderStatus,
    Status,
)
from madoguchi.core import events
from madoguchi.core.clock import add_business_days
from madoguchi.core.errors import MadoguchiError
from madoguchi.mynumber import intake as my_number_intake
from madoguchi.procedures import schema
from madoguchi.procedures.fields import registry
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.selectors import spec_of

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
_UPLOAD_TYPES = registry.names_where("is_upload")
_SUBMIT_ONLY_TYPES = registry.names_where("submit_only")


class CaseValidationError(Exception):
    """The submitted data does not satisfy the procedure's form; `errors` maps field id → messages.

    `cleaned` holds the values that were valid, without those of fields asked only on submission (a page
    that shows the form again needs them; a 個人番号 is never carried around).
    """

    def __init__(self, errors: Mapping[str, list[Any]], cleaned: Mapping[str, Any] | None = None) -> None:
        super().__init__("invalid case data")
        self.errors = dict(errors)
        self.cleaned = dict(cleaned or {})


class UploadRejected(MadoguchiError):
    """An upload that cannot be accepted (empty, too large, another type, cannot be re-rendered)."""


class ApplyNotAllowed(MadoguchiError):
    """The user cannot apply for this procedure online (the API answers 409); `code` says why."""

    http_status = 409


PROCEDURE_NOT_ONLINE = "procedure_not_online"
IDENTITY_VERIFICATION_REQUIRED = "identity_verification_required"


@dataclass(frozen=True)
class TransitionResult:
    case: Case
    history: CaseHistory


def new_reference() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _applicant_name(cleaned: Mapping[str, Any], applicant) -> str:
    for key in ("applicant_name", "name", "reporter_name"):
        value = cleaned.get(key)
        if isinstance(value, str) and value:
            return value[:100]
    return (getattr(applicant, "display_name", "") or "")[:100]


def _count_status_change(department_id: int, from_status: str, to_status: str) -> None:
    """Move one case between the per-status counters (rows updated in a fixed order: no deadlocks)."""
    if from_status == to_status:
        return
    deltas = {
        status: delta for status, delta in ((from_status, -1), (to_status, 1)) if status != Status.DRAFT
    }
    for status in sorted(deltas):
        counter = CaseCount.objects.filter(department_id=department_id, status=status)
        if counter.update(n=F("n") + deltas[status]):
            continue
        try:
            with transaction.atomic():
                CaseCount.objects.create(department_id=department_id, status=status, n=deltas[status])
        except IntegrityError:
            counter.update(n=F("n") + deltas[status])


def rebuild_case_counts() -> int:
    """Recount every department and status from the case table (after bulk loads outside the services)."""
    with transaction.atomic():
        CaseCount.objects.all().delete()
        rows = (
            Case.objects.exclude(status=Status.DRAFT)
            .values("department_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        CaseCount.objects.bulk_create(
            CaseCount(department_id=row["department_id"], status=row["status"], n=row["n"]) for row in rows
        )
    return CaseCount.objects.count()


def _emit_status_change(case: Case, history: CaseHistory) -> None:
    events.emit(
        "case.status_changed",
        {
            "case_id": case.pk,
            "reference": case.reference,
            "action": history.action,
            "from": history.from_status,
            "to": history.to_status,
            "visible_to_applicant": history.visible_to_applicant,
            "note": history.note if history.visible_to_applicant else "",
            "applicant_id": case.applicant_id,
        },
    )


def _without_file_claims(spec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop client-supplied values of file fields: a file counts only when it is a stored attachment."""
    file_ids = {f.id for f in spec.fields if f.kind.is_upload}
    return {key: value for key, value in raw.items() if key not in file_ids}


def _without_submit_only(spec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop values of fields asked only on submission: a draft never keeps a 個人番号."""
    submit_only = {f.id for f in spec.submit_only_fields}
    return {key: value for key, value in raw.items() if key not in submit_only}


def apply_refusal(user, procedure: Procedure) -> ApplyNotAllowed | None:
    """Why `user` cannot apply for `procedure` online now, or None when they can.

    The procedure must be online (its record and its current spec), and the account must have the identity
    the spec asks for (`identity_level: verified` needs a link to the resident register). `procedure`
    needs `current_version` loaded.
    """
    spec = spec_of(procedure.current_version)
    if not (procedure.online and spec.online):
        return ApplyNotAllowed(
            PROCEDURE_NOT_ONLINE,
            "この手続きはオンラインでは申請できません。窓口でお手続きください。",
            "This procedure cannot be applied for online. Please apply at the city office counter.",
        )
    if not account_selectors.meets_identity_level(user, spec.identity_level):
        return ApplyNotAllowed(
            IDENTITY_VERIFICATION_REQUIRED,
            "この手続きは本人確認が必要です。マイページの「本人確認」でアカウントを住民記録と紐付けてから申請するか、"
            "窓口でお手続きください。",
            "This procedure needs an identity check. Link your account to the resident register on My Page "
            "(identity check) and apply again, or apply at the city office counter.",
        )
    return None


def ensure_can_apply(user, procedure: Procedure) -> None:
    """Raise ApplyNotAllowed unless `user` may apply for `procedure` online (see `apply_refusal`)."""
    refusal = apply_refusal(user, procedure)
    if refusal is not None:
        raise refusal


def _open_draft_of(applicant, procedure: Procedure) -> Case | None:
    return (
        Case.objects.filter(applicant=applicant, procedure=procedure, status=Status.DRAFT)
        .order_by("-created_at", "-id")
        .first()
    )


def open_draft(*, applicant, procedure: Procedure) -> tuple[Case, bool]:
    """The applicant's open draft of the procedure, or a new one for its current version: (case, created).

    A resident has at most one draft per procedure (the partial unique constraint
    `case_one_draft_per_procedure`). When two requests race (two clicks, two tabs), both try to insert; the
    database lets one win and the other reads the winner's draft, on PostgreSQL and SQLite alike.
    """
    for _attempt in range(5):
        existing = _open_draft_of(applicant, procedure)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=new_reference(),
                    channel=Channel.ONLINE,
                    procedure=procedure,
                    procedure_version=procedure.current_version,
                    department_id=procedure.department_id,
                    applicant=applicant,
                    status=Status.DRAFT,
                )
            return case, True
        except IntegrityError:
            continue  # another request opened the draft first (or, rarely, the reference was taken)
    raise RuntimeError("could not open a draft")


def discard_draft(*, applicant, reference: str) -> bool:
    """Delete the applicant's draft `reference` with its uploads; the files go after the commit.

    Only a draft of this applicant (a submitted case is never deleted: it is withdrawn). Returns False when
    there is no such draft (already discarded, submitted meanwhile, or another resident's).
    """
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(reference=reference, applicant=applicant, status=Status.DRAFT)
            .first()
        )
        if case is None:
            return False
        attachments = list(case.attachments.all())
        names = [f.name for a in attachments for f in (a.file, a.safe_file) if f]
        CaseAttachment.objects.filter(case=case).delete()
        case.delete()  # notices of the draft go with it (CASCADE); a draft has no history, messages or notes
        storage = CaseAttachment._meta.get_field("file").storage

        def delete_files() -> None:
            for name in names:
                try:
                    storage.delete(name)
                except OSError:
                    logger.warning("an upload of a discarded draft could not be deleted: %s", name)

        transaction.on_commit(delete_files)
    return True


def start_draft(*, applicant, procedure: Procedure) -> Case:
    """Open a draft application for the procedure's current version (or the one already open)."""
    return open_draft(applicant=applicant, procedure=procedure)[0]


def save_draft_step(
    *, case: Case, step_id: str, raw: Mapping[str, Any], household: Sequence[Mapping[str, Any]] | None = None
) -> schema.Result:
    """Validate one step; store what the applicant typed either way, so nothing they wrote is lost.

    Fields asked only on submission (a 個人番号) are neither validated nor stored here: a draft never holds them.

    `household` lists the applicant's household members from the register ({"id", "name"}) when the account
    is linked; household_member fields then choose from it (and keep the members' register ids).
    """
    spec = spec_of(case.procedure_version)
    raw = _without_submit_only(spec, _without_file_claims(spec, raw))
    result = schema.validate(
        spec.draft_form(),
        {**case.draft_data, **raw},
        step_id=step_id,
        files=attachment_files(case),
        household=household,
        today=timezone.localdate(),
    )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Status.DRAFT:
            raise workflow.TransitionNotAllowed(
                "not_a_draft",
                "この申請はすでに提出されています。マイページで状態を確認してください。",
                "This application has already been submitted. See its status on My Page.",
            )
        locked.draft_data = {**locked.draft_data, **raw}
        locked.current_step = step_id
        locked.save(update_fields=["draft_data", "current_step"])
    case.draft_data, case.current_step = locked.draft_data, locked.current_step
    return result


def attachment_files(case: Case) -> dict[str, list[dict]]:
    files: dict[str, list[dict]] = {}
    for attachment in case.attachments.filter(field_id__gt=""):
        files.setdefault(attachment.field_id, []).append(
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
            }
        )
    return files


def check_draft(
    *,
    case: Case,
    registry_values: Mapping[str, Any] | None = None,
    household: Sequence[Mapping[str, Any]] | None = None,
) -> schema.Result:
    """The draft as its review page shows it: every step validated, without the fields asked on submission.

    `registry_values` (the register's values of a linked account) replace what the draft holds, as on
    submission. Nothing is written.
    """
    spec = spec_of(case.procedure_version)
    return schema.validate(
        spec.draft_form(),
        {**case.draft_data, **(registry_values or {})},
        files=attachment_files(case),
        household=household,
        today=timezone.localdate(),
    )


def _submitted_event(case: Case, procedure_slug: str) -> None:
    """One event for a new case: subscribers (notify, automation) learn of it once, with what they need."""
    events.emit(
        "case.submitted",
        {
            "case_id": case.pk,
            "reference": case.reference,
            "procedure": procedure_slug,
            "department": case.department_id,
            "channel": case.channel,
            "applicant_id": case.applicant_id,
        },
    )


def _due_date(spec, now) -> Any:
    sla = int(spec.sla_business_days or 0)
    return add_business_days(timezone.localdate(now), sla) if sla else None


def submit_case(
    *,
    case: Case,
    actor,
    raw: Mapping[str, Any] | None = None,
    household: Sequence[Mapping[str, Any]] | None = None,
) -> Case:
    """Validate the whole form and submit a draft: case + first history row + `case.submitted`, atomically.

    This is the one validation of the whole form on submission: a page passes what it got (the fields asked
    only on submission, the register's values) and shows the CaseValidationError's messages.
    A 個人番号 in `raw` goes to the vault in the same transaction; `Case.data` keeps only a marker
    (`mynumber.intake`).
    """
    spec = spec_of(case.procedure_version)
    data = _without_file_claims(spec, {**case.draft_data, **(raw or {})})
    result = schema.validate(
        spec, data, files=attachment_files(case), household=household, today=timezone.localdate()
    )
    if result.errors:
        raise CaseValidationError(result.errors, cleaned=_without_submit_only(spec, result.cleaned))
    transition = workflow.require(actor, workflow.Action.SUBMIT, case)
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        workflow.require(actor, workflow.Action.SUBMIT, locked)
        locked.data = my_number_intake.move_my_numbers_to_vault(
            spec=spec, cleaned=result.cleaned, reference=locked.reference, actor=actor, case=locked
        )
        locked.draft_data = {}
        locked.applicant_name = _applicant_name(result.cleaned, actor)
        locked.status = transition.target
        locked.submitted_at = now
        locked.status_changed_at = now
        locked.due_date = _due_date(spec, now)
        locked.save(
            update_fields=[
                "data",
                "draft_data",
                "applicant_name",
                "status",
                "submitted_at",
                "status_changed_at",
                "due_date",
            ]
        )
        CaseHistory.objects.create(
            case=locked, action="submit", from_status=Status.DRAFT, to_status=locked.status, actor=actor
        )
        _submitted_event(locked, case.procedure.slug)
        _count_status_change(locked.department_id, Status.DRAFT, locked.status)
    return locked


def create_and_submit_case(
    *,
    applicant,
    procedure: Procedure,
    raw: Mapping[str, Any],
    channel: str = Channel.ONLINE,
    household: Sequence[Mapping[str, Any]] | None = None,
) -> Case:
    """One call for API clients and other channels: validate, then write the submitted case in one transaction.

    No draft row is written: four statements (case, history, outbox, status counter) and the commit. The
    counter update comes last, so its row lock is held only for the commit.
    """
    return submit_new_case(
        applicant=applicant, procedure=procedure, raw=raw, channel=channel, household=household
    ).case


def submit_new_case(
    *,
    applicant,
    procedure: Procedure,
    raw: Mapping[str, Any],
    channel: str = Channel.ONLINE,
    household: Sequence[Mapping[str, Any]] | None = None,
) -> TransitionResult:
    """`create_and_submit_case`, also returning the history row it wrote (callers answering with the new
    case's timeline need not read it back). `procedure` needs `current_version` loaded."""
    # The case does not exist yet: its applicant is the actor, so the table alone decides.
    workflow.check(workflow.Action.SUBMIT, Status.DRAFT, workflow.actor_kind(applicant))
    spec = spec_of(procedure.current_version)
    raw = _without_file_claims(spec, raw)
    result = schema.validate(spec, raw, files={}, household=household, today=timezone.localdate())
    if result.errors:
        raise CaseValidationError(result.errors)
    for _attempt in range(5):
        now = timezone.now()
        reference = new_reference()
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=reference,
                    channel=channel,
                    procedure=procedure,
                    procedure_version_id=procedure.current_version_id,
                    department_id=procedure.department_id,
                    applicant=applicant,
                    applicant_name=_applicant_name(result.cleaned, applicant),
                    data=my_number_intake.move_my_numbers_to_vault(
                        spec=spec,
                        cleaned=result.cleaned,
                        reference=reference,
                        actor=applicant,
                        applicant=applicant,
                    ),
                    status=Status.SUBMITTED,
                    submitted_at=now,
                    status_changed_at=now,
                    due_date=_due_date(spec, now),
                )
                history = CaseHistory.objects.create(
                    case=case,
                    action="submit",
                    from_status=Status.DRAFT,
                    to_status=case.status,
                    actor=applicant,
                )
                _submitted_event(case, procedure.slug)
                _count_status_change(case.department_id, Status.DRAFT, case.status)
                return TransitionResult(case=case, history=history)
        except IntegrityError:
            if Case.objects.filter(reference=reference).exists():
                continue  # a reference collision (about one in a trillion): draw another
            raise
    raise RuntimeError("could not allocate a unique case reference")


COUNTER_NOTE = "窓口で受付（書かない窓口）"


def create_counter_case(
    *,
    procedure: Procedure,
    raw: Mapping[str, Any],
    person,
    staff,
    version=None,
    note: str = "",
) -> Case:
    """File a case a clerk filled in with the resident at the counter (channel=counter, no applicant account).

    Validated once, here, with the form of `version` (default: the procedure's current version) as the
    counter asks it: without file fields (the clerk sees the documents themselves) and without fields asked
    only on submission (a 個人番号 is written by hand on the printed form, never typed at the counter).
    Then, in one transaction: the case, its first history row (actor: the clerk), a `case.submitted` outbox
    event and the status counter, as `create_and_submit_case` does. `person` is the registry person the clerk
    identified, or None. Raises CaseValidationError or TransitionNotAllowed; nothing is written then.
    """
    workflow.require_counter_intake(staff)
    return _file_without_applicant(
        channel=Channel.COUNTER,
        procedure=procedure,
        raw=raw,
        person=person,
        actor=staff,
        version=version,
        note=note or COUNTER_NOTE,
    )


PAPER_NOTE = "紙の申請書を読み取り受付（AI-OCR）"


def create_paper_case(
    *,
    procedure: Procedure,
    raw: Mapping[str, Any],
    person,
    actor,
    version=None,
    note: str = "",
) -> Case:
    """File a case read from a scanned paper form (channel=paper; madoguchi.intake).

    Validated as at the counter (without file fields and fields asked only on submission). `actor` is the
    staff member who verified the last unsure field, or None when every field was read without a person.
    Raises CaseValidationError; nothing is written then.
    """
    return _file_without_applicant(
        channel=Channel.PAPER,
        procedure=procedure,
        raw=raw,
        person=person,
        actor=actor,
        version=version,
        note=note or PAPER_NOTE,
    )


def _file_without_applicant(
    *, channel: str, procedure: Procedure, raw: Mapping[str, Any], person, actor, version, note: str
) -> Case:
    """The counter's and the paper intake's filing: validate with the form as paper asks it, then in one
    transaction the case, its first history row, a `case.submitted` outbox event and the status counter."""
    version = version or procedure.current_version
    spec = spec_of(version)
    form = spec.without_field_types((*_UPLOAD_TYPES, *_SUBMIT_ONLY_TYPES))
    result = schema.validate(form, dict(raw), files={}, household=None, today=timezone.localdate())
    if result.errors:
        raise CaseValidationError(result.errors, cleaned=result.cleaned)
    for _attempt in range(5):
        now = timezone.now()
        reference = new_reference()
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=reference,
                    channel=channel,
                    procedure=procedure,
                    procedure_version=version,
                    department_id=procedure.department_id,
                    applicant=None,
                    person=person,
                    applicant_name=_counter_applicant_name(form, result.cleaned, person),
                    data=result.cleaned,
                    status=Status.SUBMITTED,
                    submitted_at=now,
                    status_changed_at=now,
                    due_date=_due_date(spec, now),
                )
                CaseHistory.objects.create(
                    case=case,
                    action=workflow.Action.SUBMIT,
                    from_status=Status.DRAFT,
                    to_status=case.status,
                    actor=actor,
                    note=note,
                )
                _submitted_event(case, procedure.slug)
                _count_status_change(case.department_id, Status.DRAFT, case.status)
                return case
        except IntegrityError:
            if Case.objects.filter(reference=reference).exists():
                continue
            raise
    raise RuntimeError("could not allocate a unique case reference")


def _counter_applicant_name(form, cleaned: Mapping[str, Any], person) -> str:
    """The queue's name of a counter case: the form's person.name field, else the usual keys, else the
    registry person's name."""
    for f in form.fields:
        value = cleaned.get(f.id)
        if f.prefill == "person.name" and isinstance(value, str) and value:
            return value[:100]
    return _applicant_name(cleaned, None) or (getattr(person, "name", "") or "")[:100]


def _invalid_assignee() -> workflow.TransitionNotAllowed:
    """The refusal of an assignee who cannot hold the case. One wording whatever the reason (another
    department, a resident, an inactive account, an unknown email in the API), so it reveals no account."""
    return workflow.TransitionNotAllowed(
        "invalid_assignee",
        "担当者には、この申請の担当課で審査を行う職員（有効なアカウント）を選んでください。"
        "他の課の職員や住民のアカウント、無効になったアカウントは選べません。",
        "The assignee must be an active staff account of this case's department that works on cases. "
        "Staff of other departments, resident accounts and deactivated accounts cannot be chosen.",
    )


def _assignee_of(case: Case, *, actor, assignee):
    """The staff member an assign action hands the case to: `assignee`, read afresh, or the actor."""
    if assignee is None:
        return actor
    if assignee.pk is None:  # an account that does not exist (e.g. an unknown email in the API)
        raise _invalid_assignee()
    colleague = selectors.assignable_staff(department_id=case.department_id).filter(pk=assignee.pk).first()
    if colleague is None:
        raise _invalid_assignee()
    return colleague


def transition(*, case: Case, action: str, actor, note: str = "", assignee=None) -> TransitionResult:
    """Apply one workflow action. Illegal actions raise TransitionNotAllowed; nothing is written then.

    `assignee` (assign only) hands the case to a colleague: an active staff member of the case's department
    who works on cases (`selectors.assignable_staff`). Without it the actor takes the case.
    """
    note = note.strip()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if action == workflow.Action.SUBMIT or locked.status == Status.DRAFT:
            # A draft becomes a case only through submit_case, which validates the whole form.
            raise workflow.TransitionNotAllowed(
                "invalid_transition",
                "下書きの申請は、内容を確認してから「申請する」で提出してください。",
                "Submit a draft from its review page, after checking its contents.",
            )
        rule = workflow.require(actor, action, locked)
        if rule.note_required and not note:
            raise workflow.TransitionNotAllowed(
                "note_required",
                "理由またはメッセージを入力してください。",
                "Please enter a reason or message.",
            )
        if assignee is not None and action != workflow.Action.ASSIGN:
            raise workflow.TransitionNotAllowed(
                "invalid_assignee",
                "担当者を指定できるのは「担当する」操作のときだけです。担当者を外してもう一度お試しください。",
                "An assignee can be given only with the assign action. Leave it out and try again.",
            )
        is_assign = action == workflow.Action.ASSIGN
        new_assignee = _assignee_of(locked, actor=actor, assignee=assignee) if is_assign else None
        from_status = locked.status
        now = timezone.now()
        fields = []
        if rule.target is not None and rule.target != from_status:  # assigning keeps the status as it is
            locked.status = rule.target
            locked.status_changed_at = now
            fields += ["status", "status_changed_at"]
        if is_assign:
            locked.assignee = new_assignee
            fields.append("assignee")
        if action == workflow.Action.SUBMIT_FOR_DECISION:
            locked.reviewed_by = actor
            fields.append("reviewed_by")
        if action in workflow.DECISIONS:
            locked.decided_by = actor
            fields.append("decided_by")
        if locked.status in workflow.CLOSED:
            locked.closed_at = now
            fields.append("closed_at")
        if fields:
            locked.save(update_fields=fields)
        _count_status_change(locked.department_id, from_status, locked.status)
        history_note = note
        if is_assign:
            history_note = note or f"担当: {locked.assignee}"
        history = CaseHistory.objects.create(
            case=locked,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            actor=actor,
            note=history_note,
            visible_to_applicant=rule.visible_to_applicant,
        )
        if action in {workflow.Action.REQUEST_INFORMATION, workflow.Action.PROVIDE_INFORMATION} and note:
            CaseMessage.objects.create(
                case=locked,
                direction=Direction.TO_APPLICANT if actor.is_office_staff else Direction.FROM_APPLICANT,
                sender=actor,
                body=note,
            )
        _emit_status_change(locked, history)
    return TransitionResult(case=locked, history=history)


def bulk_transition(
    *, case_ids: Iterable[int], action: str, actor, note: str = ""
) -> tuple[list[Case], dict]:
    """Apply an action to many cases; each case is its own transaction. Returns (done, {reference: error})."""
    done: list[Case] = []
    failed: dict[str, workflow.TransitionNotAllowed] = {}
    for case in Case.objects.filter(pk__in=list(case_ids), department_id=actor.department_id).order_by("id"):
        try:
            done.append(transition(case=case, action=action, actor=actor, note=note).case)
        except workflow.TransitionNotAllowed as exc:
            failed[case.reference] = exc
    return done, failed


PREVIEW_PAGES = selectors.PREVIEW_PAGES  # pages shown inline on the case page (`selectors.preview_pages`)


def attachment_preview(*, attachment: CaseAttachment, page: int) -> tuple[bytes, str]:
    """(bytes, content type) of page `page` (1-based) of the re-rendered copy, for an <img> on the case page:
    the copy itself for an image, the page's stored JPEG for a PDF copy. Only a READY copy is ever read;
    anything else raises rendering.RenderingError."""
    if attachment.render_status != RenderStatus.READY or not 1 <= page <= (attachment.page_count or 1):
        raise rendering.RenderingError(
            "broken", "この添付ファイルのページは表示できません。", "This page cannot be shown."
        )
    with attachment.safe_file.open("rb") as handle:
        data = handle.read()
    if attachment.safe_content_type == rendering.PDF:
        return rendering.page_jpeg_of_safe_copy(data, page - 1), "image/jpeg"
    if page != 1:
        raise rendering.RenderingError(
            "broken", "この添付ファイルのページは表示できません。", "This page cannot be shown."
        )
    return data, attachment.safe_content_type


def add_internal_note(*, case: Case, author, body: str) -> CaseNote:
    return CaseNote.objects.create(case=case, author=author, body=body.strip())


ALLOWED_UPLOAD_TYPES = {
    "application/pdf": (b"%PDF",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
UPLOAD_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_content_type(head: bytes) -> str | None:
    for content_type, magics in ALLOWED_UPLOAD_TYPES.items():
        if any(head.startswith(magic) for magic in magics):
            return content_type
    return None


def attach_file(
    *, case: Case, uploaded: UploadedFile, by, field_id: str = "", max_bytes: int | None = None
) -> CaseAttachment:
    """Store an upload outside the web root after checking its real type (magic bytes), size and readability.

    What can never be re-rendered for staff (a damaged file, a password-protected PDF, too many pages or pixels)
    is refused here, while the resident can still fix it; this check is quick (no page is drawn). The
    re-rendered copy is made after commit, outside the request (`render_attachment`: the Celery default
    queue, or this process's background thread without a broker), in a limited process.
    """
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if uploaded.size is None or uploaded.size == 0:
        raise UploadRejected(
            "empty_file",
            "ファイルが空です。もう一度選んでください。",
            "The file is empty. Please choose it again.",
        )
    if uploaded.size > limit:
        mb = limit // (1024 * 1024)
        raise UploadRejected(
            "too_large",
            f"ファイルが大きすぎます（上限 {mb} MB）。小さくしてからもう一度お送りください。",
            f"The file is too large (limit {mb} MB). Please make it smaller and try again.",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise UploadRejected(
            "unsupported_type",
            "この種類のファイルは受け付けられません。PDF、JPEG、PNGのいずれかでお送りください。",
            "This type of file is not accepted. Please send a PDF, JPEG or PNG file.",
        )
    data = uploaded.read()
    uploaded.seek(0)
    try:
        page_count = rendering.check_renderable(data, content_type, max_pages=settings.RENDER_MAX_PAGES)
    except rendering.RenderingError as exc:
        raise UploadRejected(exc.code, exc.ja, exc.en) from exc
    name = (uploaded.name or "file").rsplit("/", 1)[-1][:200]
    attachment = CaseAttachment(
        case=case,
        field_id=field_id,
        uploaded_by=by,
        original_name=name,
        content_type=content_type,
        size=uploaded.size,
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
    )
    attachment.file.save(f"{secrets.token_hex(16)}.{UPLOAD_EXTENSIONS[content_type]}", uploaded, save=False)
    attachment.save()
    transaction.on_commit(partial(_schedule_rendering, attachment.pk), robust=True)
    return attachment


def attach_step_files(
    *, case: Case, step_id: str, uploads: Mapping[str, Sequence[UploadedFile]], by
) -> dict[str, list[schema.Message]]:
    """Attach the files sent with one step of a draft; returns what was refused, per field id.

    `uploads` maps a field id to the files sent for it (what the request holds; other keys are ignored).
    A file field takes at most `max_files` files (one unless `multiple`). No service removes a draft's
    attachment yet, so uploads that would go over the limit are refused as a whole rather than exceed it.
    Each file is checked by `attach_file`, up to the field's `max_bytes`.
    """
    step = spec_of(case.procedure_version).draft_form().step(step_id)
    problems: dict[str, list[schema.Message]] = {}
    attached = attachment_files(case)
    for field in step.fields:
        if not field.kind.is_upload:
            continue
        files = list(uploads.get(field.id, ()))
        limit = (field.max_files if field.multiple else 1) or None
        if files and limit is not None and len(attached.get(field.id, [])) + len(files) > limit:
            problems[field.id] = [_attachment_limit_message(limit)]
            continue
        for uploaded in files:
            try:
                attach_file(case=case, uploaded=uploaded, by=by, field_id=field.id, max_bytes=field.max_bytes)
            except UploadRejected as exc:
                problems.setdefault(field.id, []).append(schema.Message("upload_rejected", exc.ja, exc.en))
    return problems


def _attachment_limit_message(limit: int) -> schema.Message:
    return schema.Message(
        "attachment_limit",
        f"このファイル欄にはすでに添付済みです（{limit}個まで）。差し替えが必要な場合は、このまま申請して、"
        "受付後に担当課へご連絡ください。",
        f"A file is already attached here (at most {limit}). If you need to replace it, send the application "
        "and contact the department afterwards.",
    )


# ---------------------------------------------------------------------------------------------------------
# The safe copy of an upload: rendered in a limited process, never in a web request (docs/security.md)

RENDER_MAX_ATTEMPTS = 3  # renderings that ran out of wall-clock time before the file is refused
RENDER_STALE_AFTER = dt.timedelta(minutes=2)  # a claim older than the wall limit plus this: its process died


def render_limits() -> rendering.Limits:
    return rendering.Limits(
        max_pages=settings.RENDER_MAX_PAGES,
        max_page_operations=settings.RENDER_MAX_PAGE_OPERATIONS,
        max_overdraw=float(settings.RENDER_MAX_OVERDRAW),
        max_total_pixels=settings.RENDER_MAX_MEGAPIXELS * 1_000_000,
    )


def sandbox_limits() -> sandbox.SandboxLimits:
    return sandbox.SandboxLimits(
        cpu_seconds=settings.RENDER_CPU_SECONDS,
        memory_bytes=settings.RENDER_MEMORY_MB * 1024 * 1024,
        wall_seconds=float(settings.RENDER_TIMEOUT_SECONDS),
        concurrency=settings.RENDER_CONCURRENCY,
        slot_dir=str(Path(settings.VAR_DIR) / "render-slots"),
    )


def _schedule_rendering(attachment_id: int) -> None:
    """After the upload's commit: hand the rendering to Celery (a broker is configured) or to this process's
    background thread (no broker). Either way the request that uploaded returns at once."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from madoguchi.cases.tasks import render_attachment as task

        task.delay(attachment_id)
    elif getattr(settings, "RENDER_IN_BACKGROUND", True):
        background.submit(render_attachment_by_id, attachment_id)
    else:
        render_attachment_by_id(attachment_id)  # the tests: at once, in the rendering process all the same


def render_attachment_by_id(attachment_id: int) -> str:
    """Render one attachment if it still waits; returns its render status ("missing": no such row)."""
    attachment = CaseAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return "missing"  # the upload's transaction was rolled back after all
    return render_attachment(attachment=attachment).render_status


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.RENDER_TIMEOUT_SECONDS) - RENDER_STALE_AFTER


def _claim_rendering(attachment: CaseAttachment) -> bool:
    """Take the attachment on (one renderer at a time; a claim whose process died is taken over)."""
    claimed = (
        CaseAttachment.objects.filter(pk=attachment.pk, render_status=RenderStatus.PENDING)
        .filter(models.Q(render_started_at__isnull=True) | models.Q(render_started_at__lt=_stale_before()))
        .update(render_started_at=timezone.now(), render_attempts=F("render_attempts") + 1)
    )
    return claimed == 1


def render_attachment(*, attachment: CaseAttachment) -> CaseAttachment:
    """Make the re-rendered copy staff may open, once; returns the attachment as it now stands.

    Runs from the Celery task or the background thread after the upload, and from `render_pending` — never
    from a download or another web request. The file is rendered by `cases.sandbox.render_isolated` in a
    separate process with CPU, memory and wall-time limits, outside any transaction. A file refused by the
    rendering (damaged, too complex, over a limit) is marked failed with the reason; a rendering that ran out
    of wall-clock time stays pending and is tried again later, at most RENDER_MAX_ATTEMPTS times. The
    original stays stored either way.
    """
    if attachment.render_status != RenderStatus.PENDING or not _claim_rendering(attachment):
        return CaseAttachment.objects.get(pk=attachment.pk)
    current = CaseAttachment.objects.get(pk=attachment.pk)
    rendered, failure = None, ""
    try:
        with current.file.storage.open(current.file.name, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        failure = RenderFailure.MISSING
    if not failure:
        outcome: list[sandbox.Outcome] = []
        try:
            rendered = sandbox.render_isolated(
                data,
                current.content_type,
                limits=render_limits(),
                sandbox=sandbox_limits(),
                outcome=outcome,
            )
        except rendering.RenderingError as exc:
            failure = exc.code
        except sandbox.SandboxUnavailable as exc:
            if current.render_attempts < RENDER_MAX_ATTEMPTS:
                logger.warning(
                    "attachment %s: rendering not finished, tried again later: %s", current.pk, exc
                )
                CaseAttachment.objects.filter(pk=current.pk, render_status=RenderStatus.PENDING).update(
                    render_started_at=None
                )
                return CaseAttachment.objects.get(pk=current.pk)
            logger.warning(
                "attachment %s: rendering not finished after %s tries: %s",
                current.pk,
                RENDER_MAX_ATTEMPTS,
                exc,
            )
            failure = RenderFailure.TOO_COMPLEX
        for ended in outcome:
            (logger.warning if ended.returncode else logger.debug)(
                "attachment %s rendered in %.2f s (exit %s)%s",
                current.pk,
                ended.seconds,
                ended.returncode,
                f": {ended.stderr.strip()[-300:]}" if ended.returncode and ended.stderr.strip() else "",
            )
    return _record_rendering(current, rendered, failure)


def _record_rendering(
    attachment: CaseAttachment, rendered: rendering.RenderedFile | None, failure: str
) -> CaseAttachment:
    with transaction.atomic():
        current = CaseAttachment.objects.select_for_update().get(pk=attachment.pk)
        if current.render_status != RenderStatus.PENDING:
            return current
        current.rendered_at = timezone.now()
        if rendered is None:
            logger.warning("attachment %s could not be re-rendered: %s", current.pk, failure)
            current.render_status = RenderStatus.FAILED
            current.render_failure = failure if failure in RenderFailure.values else RenderFailure.BROKEN
            current.save(update_fields=["render_status", "render_failure", "rendered_at"])
            return current
        extension = UPLOAD_EXTENSIONS[rendered.content_type]
        current.safe_file.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(rendered.data), save=False)
        current.safe_content_type = rendered.content_type
        current.safe_size = len(rendered.data)
        current.page_count = rendered.page_count
        current.render_status = RenderStatus.READY
        current.save(
            update_fields=[
                "safe_file",
                "safe_content_type",
                "safe_size",
                "page_count",
                "render_status",
                "rendered_at",
            ]
        )
    return current


def pending_renderings(*, case: Case | None = None):
    """Attachments waiting for a rendering that nobody is doing: never taken on (its scheduling was lost, or
    it is from before re-rendering), or taken on by a process that died."""
    waiting = CaseAttachment.objects.filter(render_status=RenderStatus.PENDING).filter(
        models.Q(render_started_at__isnull=True) | models.Q(render_started_at__lt=_stale_before())
    )
    return waiting.filter(case=case) if case is not None else waiting


def render_pending(*, case: Case | None = None, limit: int = 100, in_background: bool = True) -> int:
    """Schedule (or, with `in_background` False, do) the renderings nobody is doing; returns how many.

    Celery beat calls it every minute; the staff case page calls it for its case (scheduling only: no page
    waits for a rendering); `madoguchi attachments render` calls it in the foreground."""
    ids = list(pending_renderings(case=case).order_by("id").values_list("id", flat=True)[:limit])
    recent = timezone.now() - dt.timedelta(minutes=1)
    for attachment_id in ids:
        if in_background:
            # A fresh upload is already on its way (on_commit); the page need not schedule it twice.
            if (
                case is not None
                and CaseAttachment.objects.filter(
                    pk=attachment_id, render_started_at__isnull=True, created_at__gt=recent
                ).exists()
            ):
                continue
            _schedule_rendering(attachment_id)
        else:
            render_attachment_by_id(attachment_id)
    return len(ids)


# ---------------------------------------------------------------------------------------------------------
# Idempotency keys (the API's `Idempotency-Key` header on case creation)

IDEMPOTENCY_RETENTION = dt.timedelta(hours=24)  # a retry within this time gets the first answer
IDEMPOTENCY_ABANDONED = dt.timedelta(minutes=5)  # a claim without an answer this old: its call died
_IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as a UUID or a ULID is


class IdempotencyKeyError(MadoguchiError):
    """An `Idempotency-Key` that cannot be honoured; `http_status` says how the API answers."""

    http_status = 422


class IdempotencyKeyInvalid(IdempotencyKeyError):
    http_status = 400


class IdempotencyKeyInProgress(IdempotencyKeyError):
    http_status = 409


@dataclass(frozen=True)
class IdempotencyClaim:
    """Either a fresh claim on a key (`request_id`, the call goes ahead) or the stored answer to replay."""

    request_id: int | None
    status_code: int | None = None
    body: dict | None = None

    @property
    def replay(self) -> bool:
        return self.request_id is None


def request_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def claim_idempotency_key(*, user, endpoint: str, key: str, body: Any) -> IdempotencyClaim:
    """Claim `key` for this call of `endpoint` by `user`, or return the answer of the call that claimed it.

    The claim is its own committed row, so a parallel retry sees it at once. The same key with another body
    raises IdempotencyKeyError (422); while the first call still runs, IdempotencyKeyInProgress (409); a key
    that is not 1–255 visible ASCII characters, IdempotencyKeyInvalid (400). A key older than
    IDEMPOTENCY_RETENTION is free again.
    """
    if not _IDEMPOTENCY_KEY_RE.fullmatch(key or ""):
        raise IdempotencyKeyInvalid(
            "idempotency_key_invalid",
            "Idempotency-Key ヘッダーは、1〜255文字の半角英数字・記号で指定してください（例：UUID）。",
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters (for example a UUID).",
        )
    digest = request_hash(body)
    # This account's expired keys go now (beat purges everyone's hourly; without a broker, only this runs).
    IdempotentRequest.objects.filter(
        user=user, created_at__lt=timezone.now() - IDEMPOTENCY_RETENTION
    ).delete()
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    user=user, endpoint=endpoint, key=key, request_hash=digest, created_at=now
                )
            return IdempotencyClaim(request_id=row.pk)
        except IntegrityError:
            pass
        row = IdempotentRequest.objects.filter(user=user, endpoint=endpoint, key=key).first()
        if row is None:
            continue  # purged or released meanwhile: claim it again
        expired = row.created_at < now - IDEMPOTENCY_RETENTION
        abandoned = row.status_code is None and row.created_at < now - IDEMPOTENCY_ABANDONED
        if expired or abandoned:
            IdempotentRequest.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.request_hash != digest:
            raise IdempotencyKeyError(
                "idempotency_key_reused",
                "この Idempotency-Key は、内容の異なる別の申請ですでに使われています。"
                "同じ申請を再送するときは同じ内容で、新しい申請には新しいキーを指定してください。",
                "This Idempotency-Key was already used for a request with a different body. Send the same "
                "body to retry that request, or use a new key for a new request.",
            )
        if row.status_code is None:
            raise IdempotencyKeyInProgress(
                "idempotency_key_in_progress",
                "同じ Idempotency-Key の申請をまだ処理しています。数秒待ってから、同じ内容でもう一度送ってください。",
                "A request with this Idempotency-Key is still being processed. Wait a few seconds and send "
                "the same request again.",
            )
        return IdempotencyClaim(request_id=None, status_code=row.status_code, body=json.loads(row.response))
    raise IdempotencyKeyInProgress(
        "idempotency_key_in_progress",
        "同じ Idempotency-Key の申請をまだ処理しています。数秒待ってから、同じ内容でもう一度送ってください。",
        "A request with this Idempotency-Key is still being processed. Wait a few seconds and send the same "
        "request again.",
    )


@contextmanager
def idempotent_call(claim: IdempotencyClaim | None) -> Iterator[None]:
    """Release the claim when the call fails (nothing was written), so the key may be used again."""
    try:
        yield
    except BaseException:
        if claim is not None and claim.request_id is not None:
            IdempotentRequest.objects.filter(pk=claim.request_id, status_code__isnull=True).delete()
        raise


def answer_once(
    claim: IdempotencyClaim | None, work: Callable[[], tuple[Case, dict]], *, status_code: int
) -> dict:
    """Run `work` (a write returning the case and the JSON answer) and, with a claim, store the answer in the
    same transaction: a stored answer always means the case exists, and a claim without one that it does not."""
    if claim is None:
        return work()[1]
    with transaction.atomic():
        case, body = work()
        IdempotentRequest.objects.filter(pk=claim.request_id).update(
            status_code=status_code, response=json.dumps(body, ensure_ascii=False), case=case
        )
    return body


def purge_idempotency_keys(*, now: dt.datetime | None = None) -> int:
    """Delete the keys older than IDEMPOTENCY_RETENTION; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_RETENTION
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

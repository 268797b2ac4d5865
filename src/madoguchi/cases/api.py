"""Cases over the API. Thin, like views: parse → selector/service → schema.

Two routers: `resident_router` (/api/v1/me/cases; the portal session, own cases only, anyone else's case is a
404) and `office_router` (/api/v1/office; a staff API token, the staff member's department only, every read of
a case written to the audit log with channel "api").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from madoguchi.api.auth import resident_session, staff_token
from madoguchi.api.errors import (
    VALIDATION_MESSAGE,
    ApiError,
    ErrorAnswer,
    error_body,
    error_responses,
    field_error,
    hinted_status,
    own_message,
    problem_of,
    validation_failed,
)
from madoguchi.cases import selectors, services, workflow
from madoguchi.cases.models import Case, CaseHistory, Channel
from madoguchi.cases.models import Status as CaseStatus
from madoguchi.cases.prefill import merge_registry, registry_prefill
from madoguchi.core.audit import client_ip_of
from madoguchi.core.text import BIDI_CONTROLS, unsafe_character
from madoguchi.procedures import selectors as procedure_selectors

resident_router = Router(auth=resident_session, tags=["resident: cases"])
office_router = Router(auth=staff_token, tags=["office"])


def _form_problems(exc: services.CaseValidationError) -> dict[str, Any]:
    fields = {field_id: [problem_of(m) for m in messages] for field_id, messages in exc.errors.items()}
    return error_body("validation_error", *VALIDATION_MESSAGE, fields)


# The cases' own exceptions in the API's one error shape (api/errors.py), registered by the assembly (api.api):
# a form the procedure's validation refused is a 422 naming the fields; an action the state machine or the
# apply policy refuses is the status the exception carries (409), saying why.
ERROR_ANSWERS = {
    services.CaseValidationError: ErrorAnswer(422, _form_problems),
    workflow.TransitionNotAllowed: ErrorAnswer(hinted_status, own_message),
    services.ApplyNotAllowed: ErrorAnswer(hinted_status, own_message),
    services.IdempotencyKeyError: ErrorAnswer(hinted_status, own_message),
}


REFERENCE_RE = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELD_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_FIELDS = 200
MAX_TEXT = 10_000
MAX_LIST = 100
MAX_DEPTH = 3
MAX_NOTE = 4_000


# --------------------------------------------------------------------------------------------------------------
# Schemas


class Localized(Schema):
    ja: str
    en: str


class ProcedureRef(Schema):
    slug: str
    name: Localized


class TimelineEntry(Schema):
    action: str
    from_status: str
    to_status: str
    note: str
    created_at: dt.datetime


class StaffTimelineEntry(TimelineEntry):
    actor: str | None
    visible_to_applicant: bool


class ResidentCase(Schema):
    reference: str
    procedure: ProcedureRef
    channel: str
    status: str
    status_label: Localized
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    status_changed_at: dt.datetime | None
    due_date: dt.date | None
    closed_at: dt.datetime | None
    actions: list[str] = Field(description="Actions the resident may take now, e.g. withdraw.")


class ResidentCaseDetail(ResidentCase):
    data: dict[str, Any]
    timeline: list[TimelineEntry]


class ResidentCasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ResidentCase]


class OfficeCase(Schema):
    reference: str
    procedure: ProcedureRef
    channel: str
    status: str
    status_label: Localized
    applicant_name: str
    assignee: str | None
    submitted_at: dt.datetime | None
    status_changed_at: dt.datetime | None
    due_date: dt.date | None
    overdue: bool


class OfficeCaseDetail(OfficeCase):
    procedure_version: int
    department: str
    person_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    data: dict[str, Any]
    timeline: list[StaffTimelineEntry]
    actions: list[str] = Field(description="Actions this staff member may take now.")
    reviewed_by: str | None = Field(
        description="Email of the staff member who sent the case for decision (審査者), if anyone has."
    )
    review_summary: str = Field(description="The reviewer's summary sent with submit_for_decision.")
    decided_by: str | None = Field(
        description="Email of the staff member who approved or rejected it (決裁者)."
    )


class OfficeQueuePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OfficeCase]


def _check_value(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise PydanticCustomError(
                "value_too_long", "a value is longer than {limit} characters", {"limit": MAX_TEXT}
            )
        return
    if value is None or isinstance(value, bool | int | float):
        return
    if depth >= MAX_DEPTH:
        raise PydanticCustomError("value_too_deep", "a value is nested too deeply")
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise PydanticCustomError("too_long", "a list has more than {limit} items", {"limit": MAX_LIST})
        for item in value:
            _check_value(item, depth + 1)
        return
    if isinstance(value, dict):
        if len(value) > MAX_LIST:
            raise PydanticCustomError("too_long", "an object has more than {limit} keys", {"limit": MAX_LIST})
        for key, item in value.items():
            if len(key) > 60:
                raise PydanticCustomError("field_id_invalid", "a key is too long")
            _check_value(item, depth + 1)


def _plain_text(value: str) -> str:
    """Refuse bidi controls, control characters (other than newlines and tabs) and the like (`core.text`)."""
    problem = unsafe_character(value, multiline=True)
    if problem is not None:
        kind = "bidi_control" if problem in BIDI_CONTROLS else "invalid_characters"
        raise PydanticCustomError(
            kind,
            "the text contains a character that cannot be used: U+{point}",
            {"point": f"{ord(problem):04X}"},
        )
    return value


class CaseCreate(Schema):
    """An application: the procedure's slug and the form data keyed by field id (see the procedure's spec)."""

    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(..., min_length=1, max_length=80, examples=["juminhyo-copy"])
    data: dict[str, Any] = Field(
        default_factory=dict, examples=[{"applicant_name": "緑 太郎", "copies": 1, "agree": True}]
    )

    @field_validator("data")
    @classmethod
    def data_is_form_shaped(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Bound the size and shape of the data before the procedure's own validation sees it."""
        if len(data) > MAX_FIELDS:
            raise PydanticCustomError("too_many_fields", "more than {limit} fields", {"limit": MAX_FIELDS})
        for key, value in data.items():
            if not FIELD_ID_RE.match(key):
                raise PydanticCustomError("field_id_invalid", "field ids look like applicant_name")
            _check_value(value, 0)
        return data


class Withdraw(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=MAX_NOTE, description="Optional reason, shown to the department.")

    @field_validator("note")
    @classmethod
    def note_is_plain_text(cls, value: str) -> str:
        return _plain_text(value)


class TransitionRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(..., min_length=1, max_length=40, examples=["assign"])
    note: str = Field(
        "",
        max_length=MAX_NOTE,
        description="Required for request_information, submit_for_decision (the reviewer's summary), "
        "return_to_review and reject.",
    )
    assignee: str | None = Field(
        None,
        max_length=254,
        description="For assign: email of a staff member of the same department (default: yourself).",
    )

    @field_validator("action", "note", "assignee")
    @classmethod
    def is_plain_text(cls, value: str | None) -> str | None:
        return _plain_text(value) if value else value


class QueueQuery(Schema):
    status: CaseStatus | None = None
    procedure: str = Field("", max_length=80, description="Procedure slug.")
    channel: Channel | None = None
    overdue: bool = False
    assigned_to_me: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class PageQuery(Schema):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


# --------------------------------------------------------------------------------------------------------------
# Building the responses


def _localized_label(choice: Any) -> dict[str, str]:
    labels = {}
    for lang in ("ja", "en"):
        with translation.override(lang):
            labels[lang] = str(choice.label)
    return labels


def _status_label(status: str) -> dict[str, str]:
    if status in CaseStatus.values:
        return _localized_label(CaseStatus(status))
    return {"ja": status, "en": status}


def _procedure_ref(case: Case) -> dict[str, Any]:
    procedure = case.procedure
    return {"slug": procedure.slug, "name": {"ja": procedure.name_ja, "en": procedure.name_en}}


def _resident_case(case: Case, resident) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "procedure": _procedure_ref(case),
        "channel": case.channel,
        "status": case.status,
        "status_label": _status_label(case.status),
        "created_at": case.created_at,
        "submitted_at": case.submitted_at,
        "status_changed_at": case.status_changed_at,
        "due_date": case.due_date,
        "closed_at": case.closed_at,
        "actions": [t.action.value for t in workflow.actions_for(resident, case)],
    }


def _timeline_entry(entry: CaseHistory) -> dict[str, Any]:
    return {
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "note": entry.note,
        "created_at": entry.created_at,
    }


def _resident_case_detail(
    case: Case, resident, timeline: Iterable[CaseHistory] | None = None
) -> dict[str, Any]:
    if timeline is None:
        timeline = selectors.timeline_for_applicant(case)
    return {
        **_resident_case(case, resident),
        "data": case.data if case.status != CaseStatus.DRAFT else case.draft_data,
        "timeline": [_timeline_entry(e) for e in timeline if e.visible_to_applicant],
    }


def _office_case(case: Case, today: dt.date) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "procedure": _procedure_ref(case),
        "channel": case.channel,
        "status": case.status,
        "status_label": _status_label(case.status),
        "applicant_name": case.applicant_name,
        "assignee": case.assignee.email if case.assignee_id else None,
        "submitted_at": case.submitted_at,
        "status_changed_at": case.status_changed_at,
        "due_date": case.due_date,
        "overdue": bool(case.due_date and case.due_date < today and case.status in workflow.UNDECIDED),
    }


def _office_case_detail(case: Case, staff) -> dict[str, Any]:
    timeline = [
        {
            **_timeline_entry(e),
            "actor": e.actor.email if e.actor_id else None,
            "visible_to_applicant": e.visible_to_applicant,
        }
        for e in selectors.timeline_for_staff(case)
    ]
    return {
        **_office_case(case, timezone.localdate()),
        "procedure_version": case.procedure_version.number,
        "department": case.department.code,
        "person_id": case.person_id,
        "created_at": case.created_at,
        "closed_at": case.closed_at,
        "data": case.data,
        "timeline": timeline,
        "actions": [t.action.value for t in workflow.actions_for(staff, case)],
        "reviewed_by": case.reviewed_by.email if case.reviewed_by_id else None,
        "review_summary": selectors.review_summary(case),
        "decided_by": case.decided_by.email if case.decided_by_id else None,
    }


# The JSON types a field accepts in `data` come from its type (`FieldType.json_types`; the portal posts the
# same values as strings).
_TYPE_WORDS = {
    str: ("文字列", "a string"),
    int: ("整数", "a whole number"),
    bool: ("true/false", "true or false"),
    dict: ("オブジェクト（{…}）", "an object ({…})"),
    list: ("配列（[…]）", "an array ([…])"),
}


def _accepted_types(field) -> tuple[type, ...]:
    return field.kind.json_types(field)


def _has_accepted_type(field, value: Any, accepted: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in accepted:  # bool is an int in Python, not in JSON
        return False
    if not isinstance(value, accepted):
        return False
    if isinstance(value, list):
        item_types = field.kind.json_item_types(field)
        return all(isinstance(item, item_types) for item in value)
    if isinstance(value, dict):
        return all(isinstance(item, str | None) for item in value.values())
    return True


def _form_problems(spec, data: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """What the procedure's own validation cannot know about JSON: unknown ids, wrong JSON types, files.

    Files are never accepted here: a file field's value would otherwise be taken for the metadata of an
    upload that never happened.
    """
    fields = {f.id: f for f in spec.fields}
    problems: dict[str, list[dict[str, str]]] = {}
    for field_id, value in data.items():
        field = fields.get(field_id)
        if field is None:
            problems[field_id] = [
                field_error(
                    "unknown_field",
                    "この手続きのフォームにない項目です。手続きの spec.form にある ID を使ってください。",
                    "This procedure's form has no such field. Use the ids in the procedure's spec.form.",
                )
            ]
            continue
        if value is None:
            continue
        if field.kind.is_upload:
            problems[field_id] = [
                field_error(
                    "file_not_supported",
                    "ファイルは API では送れません。ファイルの添付が必要な場合はポータルから申請してください。",
                    "Files cannot be sent through the API. If you need to attach a file, apply on the portal.",
                )
            ]
            continue
        accepted = _accepted_types(field)
        if not _has_accepted_type(field, value, accepted):
            words = [_TYPE_WORDS[t] for t in accepted]
            problems[field_id] = [
                field_error(
                    "wrong_type",
                    f"値の型が正しくありません。{'または'.join(w[0] for w in words)}で送ってください。",
                    f"The value has the wrong type. Send {' or '.join(w[1] for w in words)}.",
                )
            ]
    return problems


def _reference(raw: str) -> str:
    """Case references are read out over the phone; accept lower case and spaces, 404 for anything else."""
    reference = raw.strip().upper()
    if not REFERENCE_RE.match(reference):
        raise Http404("not a case reference")
    return reference


# --------------------------------------------------------------------------------------------------------------
# Resident endpoints


IDEMPOTENCY_HEADER_HELP = (
    "Optional. A key of your own (1–255 visible ASCII characters; a UUID is a good choice) that makes "
    "retries safe: a second request with the same key and the same body within 24 hours does not create a "
    "second case but returns the first answer again (same status and body, with the header "
    "`Idempotent-Replayed: true`). The same key with a different body is refused with 422 "
    "`idempotency_key_reused`; while the first request is still running, 409 `idempotency_key_in_progress`. "
    "A request that fails (4xx) stores nothing: fix it and send it again with the same key. Keys are per "
    "account."
)


@resident_router.post(
    "",
    response={201: ResidentCaseDetail, **error_responses(401, 403, 404, 409, 413, 422)},
    summary="Apply: create and submit a case in one call",
)
def create_case(
    request: HttpRequest,
    payload: CaseCreate,
    response: HttpResponse,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HEADER_HELP),
):
    """Validate the data against the procedure's current form and submit it (channel "online").

    File fields cannot be sent here; a procedure whose required fields include a file must be applied for on
    the portal.

    **Retries.** Send an `Idempotency-Key` header (a UUID of your own) to make a retry safe: the same key and
    body within 24 hours return the first answer instead of creating a second case (`Idempotent-Replayed:
    true`); the same key with another body is a 422 (`idempotency_key_reused`), and a retry while the first
    request runs a 409 (`idempotency_key_in_progress`). Failed requests store nothing.
    """
    claim = None
    if idempotency_key is not None:
        claim = services.claim_idempotency_key(
            user=request.auth, endpoint="cases.create", key=idempotency_key, body=payload.model_dump()
        )
        if claim.replay:
            response["Idempotent-Replayed"] = "true"
            return Status(claim.status_code, claim.body)
    with services.idempotent_call(claim):
        return Status(201, _create_case(request, payload, claim))


def _create_case(request: HttpRequest, payload: CaseCreate, claim) -> dict[str, Any]:
    procedure = (
        procedure_selectors.get_procedure(payload.procedure) if SLUG_RE.match(payload.procedure) else None
    )
    if procedure is None:
        raise ApiError(
            404,
            "procedure_not_found",
            "指定された手続きが見つかりません。手続きの一覧（/api/v1/procedures）で slug を確認してください。",
            "No such procedure. Check its slug in the list at /api/v1/procedures.",
        )
    services.ensure_can_apply(request.auth, procedure)  # a 409 (api/errors.py) when not
    spec = procedure_selectors.spec_of(procedure.current_version)
    problems = _form_problems(spec, payload.data)
    if problems:
        raise ApiError(422, "validation_error", *VALIDATION_MESSAGE, fields=problems)
    # Once-only, as on the portal: for a linked account the register's values replace whatever was sent.
    # (An audited read: done before the write's transaction, so its audit row commits on its own.)
    registry = registry_prefill(request.auth, spec, client_ip=client_ip_of(request))
    raw = merge_registry(payload.data, spec.fields, registry)

    def submit() -> tuple[Case, dict[str, Any]]:
        submitted = services.submit_new_case(
            applicant=request.auth,
            procedure=procedure,
            raw=raw,
            channel=Channel.ONLINE,
            household=registry.household,
        )
        # Answer from what was just written (the case and its one history row) instead of reading it back;
        # as JSON, so that a replay of an idempotent request answers with exactly the same body.
        detail = _resident_case_detail(submitted.case, request.auth, timeline=[submitted.history])
        return submitted.case, ResidentCaseDetail.model_validate(detail).model_dump(mode="json")

    return services.answer_once(claim, submit, status_code=201)


@resident_router.get(
    "",
    response={200: ResidentCasePage, **error_responses(401, 403, 422)},
    summary="My cases, newest first",
)
def list_my_cases(request: HttpRequest, page: Query[PageQuery]):
    cases = selectors.cases_of_applicant(user=request.auth)
    items = cases[page.offset : page.offset + page.limit]
    return {
        "count": cases.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [_resident_case(c, request.auth) for c in items],
    }


@resident_router.get(
    "/{reference}",
    response={200: ResidentCaseDetail, **error_responses(401, 403, 404)},
    summary="One of my cases",
)
def get_my_case(request: HttpRequest, reference: str):
    case = selectors.case_of_applicant(user=request.auth, reference=_reference(reference))
    return _resident_case_detail(case, request.auth)


@resident_router.post(
    "/{reference}/withdraw",
    response={200: ResidentCaseDetail, **error_responses(401, 403, 404, 409, 413, 422)},
    summary="Withdraw one of my open cases",
)
def withdraw_my_case(request: HttpRequest, reference: str, payload: Withdraw | None = None):
    case = selectors.case_of_applicant(user=request.auth, reference=_reference(reference))
    services.transition(
        case=case, action=workflow.Action.WITHDRAW, actor=request.auth, note=payload.note if payload else ""
    )
    case = selectors.case_of_applicant(user=request.auth, reference=case.reference)
    return _resident_case_detail(case, request.auth)


# --------------------------------------------------------------------------------------------------------------
# Staff endpoints


@office_router.get(
    "/queue",
    response={200: OfficeQueuePage, **error_responses(401, 403, 422)},
    summary="The department's queue",
)
def office_queue(request: HttpRequest, filters: Query[QueueQuery]):
    """Open cases of the token owner's department, earliest due date first (never drafts)."""
    queue = selectors.office_queue(
        staff=request.auth,
        filters=selectors.QueueFilter(
            status=filters.status.value if filters.status else "",
            procedure=filters.procedure,
            channel=filters.channel.value if filters.channel else "",
            overdue=filters.overdue,
            assigned_to_me=filters.assigned_to_me,
        ),
    )
    today = timezone.localdate()
    items = queue[filters.offset : filters.offset + filters.limit]
    return {
        "count": queue.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_office_case(c, today) for c in items],
    }


@office_router.get(
    "/cases/{reference}",
    response={200: OfficeCaseDetail, **error_responses(401, 403, 404)},
    summary="One case (audited read)",
)
def office_case(request: HttpRequest, reference: str):
    """Every call writes a row to the audit log (purpose case_review, channel api, client IP)."""
    case = selectors.case_for_staff(
        staff=request.auth,
        reference=_reference(reference),
        purpose="case_review",
        channel="api",
        client_ip=client_ip_of(request),
    )
    return _office_case_detail(case, request.auth)


def _assignee(email: str | None):
    """The account with this email, or None for 'myself'. The service decides whether it may hold the case.

    An email no account has becomes an unsaved account, which the service refuses like any other that cannot
    hold the case, after the same workflow checks: the answer never tells whether an account exists.
    """
    if not email:
        return None
    user_model = get_user_model()
    email = email.strip()
    return user_model.objects.filter(email__iexact=email).first() or user_model(email=email)


@office_router.post(
    "/cases/{reference}/transitions",
    response={200: OfficeCaseDetail, **error_responses(401, 403, 404, 409, 413, 422)},
    summary="Take a workflow action on a case",
)
def transition_case(request: HttpRequest, reference: str, payload: TransitionRequest):
    """Actions: assign, request_information, approve, reject, complete. 409 when not possible now.

    `assignee` (assign only) hands the case to a colleague of the department; an email that cannot hold the
    case is a 422 on the field `assignee` (code `invalid_assignee`).
    """
    staff = request.auth
    case = selectors.case_for_staff(
        staff=staff,
        reference=_reference(reference),
        purpose="case_transition",
        channel="api",
        client_ip=client_ip_of(request),
    )
    try:
        result = services.transition(
            case=case,
            action=payload.action,
            actor=staff,
            note=payload.note,
            assignee=_assignee(payload.assignee),
        )
    except workflow.TransitionNotAllowed as exc:
        if exc.code == "invalid_assignee":  # a problem of one input field: a 422 naming it
            raise validation_failed("assignee", exc.code, exc.message_ja, exc.message_en) from exc
        raise
    return _office_case_detail(result.case, staff)

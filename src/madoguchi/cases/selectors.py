"""Every read of cases that a view or API needs: scoped by owner or department, audited for staff."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Replace
from django.http import Http404
from django.utils import timezone

from madoguchi.accounts.models import UserKind
from madoguchi.cases import workflow
from madoguchi.cases.models import Case, CaseAttachment, CaseCount, RenderStatus, Status
from madoguchi.core import audit
from madoguchi.residents import access

QUEUE_PAGE_SIZE = 50


def cases_of_applicant(*, user) -> QuerySet[Case]:
    """A resident's own cases, newest first (drafts included)."""
    return (
        Case.objects.filter(applicant=user)
        .select_related("procedure", "department")
        .order_by("-created_at", "-id")
    )


def case_of_applicant(*, user, reference: str) -> Case:
    """The resident's own case by reference; anyone else's is indistinguishable from a missing one (404)."""
    case = (
        Case.objects.filter(applicant=user, reference=reference)
        .select_related("procedure", "procedure_version", "department")
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return case


UNASSIGNED = "none"  # QueueFilter.assignee: cases nobody holds yet


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""
    procedure: str = ""
    channel: str = ""
    overdue: bool = False
    assigned_to_me: bool = False
    assignee: int | str | None = None  # a staff member's id, UNASSIGNED, or None for anyone
    q: str = ""  # a 受付番号, a name (kanji or kana) or a phone number: `search_condition`


# The form fields that hold the applicant's name in kana or a phone number (procedures/*.yaml), searched by q.
KANA_KEYS = ("applicant_kana", "registrant_kana", "notifier_kana", "insured_kana", "child_kana")
PHONE_KEYS = ("applicant_phone", "phone", "notifier_phone", "registrant_phone", "insured_phone")
_REFERENCE = re.compile(r"[A-Z0-9]{4}-?[A-Z0-9]{4}")
_SPACES = re.compile(r"[\s\u3000]+")


def _compact(expression):
    """The text of `expression` without half- or full-width spaces (「緑 花子」 is found as 「緑花子」)."""
    inner = Replace(expression, Value(" "), Value(""), output_field=TextField())
    return Replace(inner, Value("\u3000"), Value(""), output_field=TextField())


def search_kind(q: str) -> str:
    """What a search text looks like: "reference", "phone" or "name" (what the audit row records)."""
    from madoguchi.jp.kana import normalise_width

    text = _SPACES.sub("", unicodedata.normalize("NFKC", normalise_width(q))).upper()
    if _REFERENCE.fullmatch(text):
        return "reference"
    digits = re.sub(r"[-()‐－ー]", "", text)
    if digits.isdigit() and len(digits) >= 4:
        return "phone"
    return "name"


def search_condition(q: str) -> Q:
    """Cases whose 受付番号, applicant's name (kanji, or kana in hiragana, katakana or half-width) or phone
    number (digits, with or without hyphens) match `q`; spaces and widths do not matter."""
    from madoguchi.jp.kana import normalise_width, to_katakana

    text = _SPACES.sub("", unicodedata.normalize("NFKC", normalise_width(q)))
    kind = search_kind(q)
    if kind == "reference":
        upper = text.upper()
        return Q(reference=upper if "-" in upper else f"{upper[:4]}-{upper[4:]}")
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        condition = Q()
        for key in PHONE_KEYS:
            condition |= Q(**{f"phone_{key}__contains": digits})
        return condition
    kana = _SPACES.sub("", to_katakana(text))
    condition = Q(name_compact__icontains=text) | Q(person_kana_compact__contains=kana)
    for key in KANA_KEYS:
        condition |= Q(**{f"kana_{key}__contains": kana})
    return condition


def with_search(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """`qs` narrowed to the cases `q` finds (see `search_condition`)."""
    if not q.strip():
        return qs
    kind = search_kind(q)
    if kind == "phone":
        qs = qs.alias(**{f"phone_{key}": KT(f"data__{key}") for key in PHONE_KEYS})
    if kind == "name":
        qs = qs.alias(
            name_compact=_compact(F("applicant_name")),
            person_kana_compact=_compact(F("person__name_kana")),
            **{f"kana_{key}": _compact(KT(f"data__{key}")) for key in KANA_KEYS},
        )
    return qs.filter(search_condition(q))


def assignable_staff(*, department_id: int | None) -> QuerySet:
    """Who may be made a case's assignee (担当者): the department's active staff who work cases, by name."""
    if department_id is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(
            kind=UserKind.STAFF,
            is_active=True,
            department_id=department_id,
            role__in=workflow.ASSIGNEE_ROLES,
        )
        .order_by("display_name", "email", "id")
    )


def department_cases(*, staff) -> QuerySet[Case]:
    """Every submitted case of the staff member's department (no drafts); no personal data is read here."""
    return Case.objects.filter(department_id=staff.department_id).exclude(status=Status.DRAFT)


def office_queue(*, staff, filters: QueueFilter, today: dt.date | None = None) -> QuerySet[Case]:
    """The department's queue (never drafts), sorted by due date, then age. Without a status filter: the
    cases in progress (`workflow.IN_PROGRESS`); overdue: undecided (`workflow.UNDECIDED`) and past due."""
    today = today or timezone.localdate()
    qs = Case.objects.filter(department_id=staff.department_id).exclude(status=Status.DRAFT)
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif not filters.q:  # a search finds closed cases too
        qs = qs.filter(status__in=workflow.IN_PROGRESS)
    if filters.procedure:
        qs = qs.filter(procedure__slug=filters.procedure)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.overdue:
        qs = qs.filter(status__in=workflow.UNDECIDED, due_date__lt=today)
    if filters.q:
        qs = with_search(qs, filters.q)
    if filters.assigned_to_me:
        qs = qs.filter(assignee=staff)
    if filters.assignee == UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    return qs.select_related("procedure", "assignee").order_by("due_date", "id")


def queue_counts(*, staff, today: dt.date | None = None) -> dict[str, int]:
    """Counts per status (kept by the services in CaseCount) and of overdue undecided cases (index range)."""
    today = today or timezone.localdate()
    counts = {
        row.status: row.n for row in CaseCount.objects.filter(department_id=staff.department_id) if row.n
    }
    counts["overdue"] = Case.objects.filter(
        department_id=staff.department_id, status__in=workflow.UNDECIDED, due_date__lt=today
    ).count()
    return counts


# The staff case page (`office`) and the attachment previews it embeds are one look (`core.audit`, "One look,
# one row, across the requests of one page"): the page's row lists every item of the form data and each preview
# page it shows (`attachment_page_item`), and each preview's URL carries the look token of its own item
# (`attachment_page_look_token`). A preview's request is the same look narrowed to its page: with a valid token
# it writes nothing; without one (or with an expired, altered or another staff member's) it writes its own row,
# purpose case_review, listing that one page. Rows written before this named the purpose attachment_preview.
CASE_PAGE_PURPOSE = "case_review"
PREVIEW_PAGES = 5  # pages of an attachment shown inline on the case page; the rest are in the download


def attachment_page_item(attachment_id: int, page: int) -> str:
    """The data item of one page of an attachment's re-rendered copy shown as an image (an audit row's field;
    the office's audit page words it, `office.labels.audit_field_label`)."""
    return f"attachment:{attachment_id}:{page}"


def preview_pages(attachment: CaseAttachment) -> list[int]:
    """The pages of an attachment shown inline on the case page: the first PREVIEW_PAGES of its re-rendered
    copy, none until that copy is ready (the upload as sent is never shown)."""
    if attachment.render_status != RenderStatus.READY:
        return []
    return list(range(1, min(attachment.page_count or 1, PREVIEW_PAGES) + 1))


def case_page_items(case: Case) -> list[str]:
    """What the staff case page shows of a case: every item of its form data and each attachment page it
    previews (for `case_for_staff(fields=...)`)."""
    previews = [
        attachment_page_item(attachment.pk, page)
        for attachment in case.attachments.order_by("created_at", "id")
        for page in preview_pages(attachment)
    ]
    return [*sorted(case.data.keys()), *previews]


def _case_look(staff, case: Case, fields: Iterable[str], purpose: str, channel: str) -> dict[str, Any]:
    """A look at `fields` of a case: what its audit row and look tokens name."""
    return {
        "actor": staff,
        "action": "read",
        "object_type": "case",
        "object_id": case.reference,
        "person_id": case.person_id,
        "fields": fields,
        "purpose": purpose,
        "channel": channel,
    }


def case_for_staff(
    *,
    staff,
    reference: str,
    purpose: str = "case_review",
    channel: str = "screen",
    client_ip=None,
    fields: Callable[[Case], Iterable[str]] | None = None,
    look_token: str = "",
) -> Case:
    """A case of the staff member's own department, with the read written to the audit log.

    `fields`: the data items this look shows, from the case found (default: every item of its form data).
    `look_token`: an embedded image's, from the page that shows it (`attachment_page_look_token`); valid for
    this very look, the page's row stands for it and nothing is written. It never grants access: another
    department's case is refused (404 and a 'refused' row) with or without one.
    """
    case = (
        Case.objects.filter(reference=reference, department_id=staff.department_id)
        .exclude(status=Status.DRAFT)
        .select_related(
            "procedure",
            "procedure_version",
            "department",
            "applicant",
            "assignee",
            "person",
            "reviewed_by",
            "decided_by",
        )
        .first()
    )
    if case is None:
        other = Case.objects.filter(reference=reference).exclude(status=Status.DRAFT).first()
        if other is not None:  # another department's case: the staff member sees a 404, the auditor a refusal
            audit.record_access(
                actor=staff,
                action="refused",
                object_type="case",
                object_id=other.reference,
                person_id=other.person_id,
                fields=(),
                purpose=f"{purpose}: not a case of the staff member's department",
                channel=channel,
                client_ip=client_ip,
            )
        raise Http404("no such case in this department")
    shown = sorted(case.data.keys()) if fields is None else list(fields(case))
    audit.record_access(
        **_case_look(staff, case, shown, purpose, channel), client_ip=client_ip, look_token=look_token
    )
    return case


def attachment_page_look_token(*, staff, case: Case, attachment_id: int, page: int) -> str:
    """The look token for the URL of an attachment page's preview on the case page, whose request recorded the
    case page's look listing it (`case_for_staff(fields=case_page_items)`); "" when it did not (the preview's
    request then writes its own row)."""
    return audit.look_token(
        **_case_look(staff, case, [attachment_page_item(attachment_id, page)], CASE_PAGE_PURPOSE, "screen")
    )


def via_case_for_staff(*, staff, reference: str) -> access.ViaCase:
    """The case a staff member opens its applicant's registry record through (`residents.access.person_for_staff`):
    the applicant's person, and whether it is a submitted case of the staff member's department. One read, not
    audited here: the access layer writes the row, a refusal included."""
    row = Case.objects.filter(reference=reference).values("person_id", "department_id", "status").first()
    if row is None:
        return access.ViaCase(reference=reference, person_id=None, open_to_staff=False)
    department_id = getattr(staff, "department_id", None)
    open_to_staff = (
        bool(department_id) and row["department_id"] == department_id and row["status"] != Status.DRAFT
    )
    return access.ViaCase(reference=reference, person_id=row["person_id"], open_to_staff=open_to_staff)


def timeline_for_applicant(case: Case):
    return case.history.filter(visible_to_applicant=True).select_related("actor")


def timeline_for_staff(case: Case):
    return case.history.select_related("actor")


def review_summary(case: Case) -> str:
    """The reviewer's summary (審査の所見) of the latest submit_for_decision, or "" when never sent."""
    latest = (
        case.history.filter(action=workflow.Action.SUBMIT_FOR_DECISION).order_by("-created_at", "-id").first()
    )
    return latest.note if latest is not None else ""


PRINT_PURPOSE = "form_print"


def case_for_print(*, reference: str, actor, channel: str = "cli", client_ip=None) -> Case | None:
    """A submitted case (never a draft) by 受付番号 for printing its form, with its version and person, the read
    written to the audit log as a print ("print", purpose form_print); None when there is no such case.

    For the operator's `madoguchi forms render --case` (`actor` is then a label such as "cli:<user>") and the
    counter's printing; a view for staff must scope by department first (`case_for_staff`).
    """
    case = (
        Case.objects.filter(reference=reference)
        .exclude(status=Status.DRAFT)
        .select_related("procedure", "procedure_version", "person")
        .first()
    )
    if case is None:
        return None
    audit.record_access(
        actor=actor,
        action="print",
        object_type="case",
        object_id=case.reference,
        person_id=case.person_id,
        fields=sorted({*case.data.keys(), "name", "address", "birth_date", "sex"}),
        purpose=PRINT_PURPOSE,
        channel=channel,
        client_ip=client_ip,
    )
    return case

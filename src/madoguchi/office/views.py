"""Staff pages (職員画面): sign-in, the department queue, case detail and actions, and the audit search.

Views stay thin: they parse the request, call a selector or service of `cases` / `accounts` / `core`, and
render. Every read of a case goes through `cases.selectors.case_for_staff`, which scopes it to the staff
member's department and writes the audit row; every action goes through `cases.services`, which enforces the
state machine whatever the page offered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import statistics
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts import mfa
from madoguchi.accounts.decorators import staff_required
from madoguchi.accounts.models import Role
from madoguchi.accounts.services import AccountError, sign_in
from madoguchi.booking import selectors as booking_selectors
from madoguchi.cases import rendering, selectors, services, workflow
from madoguchi.cases.models import RenderStatus, Status
from madoguchi.core import audit
from madoguchi.core.clock import business_days_between
from madoguchi.core.i18n import lang_of
from madoguchi.core.models import AuditEvent
from madoguchi.office import labels, pending_sign_in
from madoguchi.office.forms import (
    ActionForm,
    AssignForm,
    AuditSearchForm,
    NoteForm,
    QueueFilterForm,
    SignInForm,
    is_night,
)
from madoguchi.office.paging import audit_page, queue_page
from madoguchi.procedures import schema
from madoguchi.procedures.selectors import catalog, spec_of

logger = logging.getLogger(__name__)

PAGE_SIZE = selectors.QUEUE_PAGE_SIZE
AUDIT_PAGE_SIZE = 50


def auditor_required(view: Callable) -> Callable:
    """Only staff with the auditor role; other staff see a 403 page that says whom to ask."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role != Role.AUDITOR:
            return render(request, "office/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _assignable_staff(staff) -> list:
    """Who a case of the staff member's department may be handed to: the staff member first, then by name
    (sorted here, so the order is the same whatever the database's collation)."""
    return sorted(
        selectors.assignable_staff(department_id=staff.department_id),
        key=lambda user: (user.pk != staff.pk, user.display_name or user.email, user.pk),
    )


def _staff_choices(staff, colleagues: list | None = None) -> list[tuple[int, str]]:
    """(id, 'name（role）') of the assignable staff, for a select; the staff member's own entry says so."""
    if colleagues is None:
        colleagues = _assignable_staff(staff)
    choices = []
    for user in colleagues:
        values = {"name": user.display_name or user.email, "role": labels.role_label(user.role)}
        if user.pk == staff.pk:
            choices.append((user.pk, _("%(name)s（%(role)s・自分）") % values))
        else:
            choices.append((user.pk, _("%(name)s（%(role)s）") % values))
    return choices


def _safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# ---------------------------------------------------------------------------------------------------------
# Sign-in


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("office:queue")
    )
    current = request.user
    if (
        request.method == "GET"
        and current.is_authenticated
        and current.is_office_staff
        and mfa.second_factor_passed(current)
    ):
        return redirect(next_url)
    form = SignInForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=audit.client_ip_of(request),
                staff=True,
            )
        except AccountError as exc:
            error = exc.message(lang_of(request))
        else:
            if mfa.is_required(user):  # signed in only after the second factor (office.mfa_views)
                pending_sign_in.begin(request, user=user, next_url=next_url)
                return redirect("office:login_code")
            login(request, user)
            return redirect(next_url)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "office/login.html", {"form": form, "error": error, "next": next_url}, status=status
    )


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("ログアウトしました。"))
    return redirect("office:login")


# ---------------------------------------------------------------------------------------------------------
# Queue


def _due_text(due: dt.date | None, today: dt.date, cache: dict) -> tuple[str, bool]:
    """'残りN営業日' / '本日が期限' / 'N営業日超過' for a due date (営業日, jpholiday), and whether it is overdue."""
    if due is None:
        return "", False
    if due not in cache:
        cache[due] = business_days_between(today, due)
    days = cache[due]
    if due < today:
        if days == 0:  # passed over a weekend or holiday: late, but not yet by a whole business day
            return _("期限超過"), True
        return ngettext("%(days)d営業日超過", "%(days)d営業日超過", -days) % {"days": -days}, True
    if due == today or days == 0:
        return _("本日が期限"), False
    return ngettext("残り%(days)d営業日", "残り%(days)d営業日", days) % {"days": days}, False


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    staff = request.user
    if staff.role == Role.AUDITOR:  # an auditor reviews the log, not a case queue: land there
        return redirect("office:audit")
    lang = lang_of(request)
    department = staff.department
    procedures = (
        [(p.slug, p.name_for(lang)) for p in catalog(department=department.code, lang=lang)]
        if department
        else []
    )
    filter_form = QueueFilterForm(
        request.GET,
        procedures=procedures,
        assignees=[(str(pk), label) for pk, label in _staff_choices(staff)],
    )
    assignee = filter_form.value_of("assignee")
    filters = selectors.QueueFilter(
        status=filter_form.value_of("status"),
        procedure=filter_form.value_of("procedure"),
        channel=filter_form.value_of("channel"),
        overdue=filter_form.value_of("overdue"),
        assigned_to_me=filter_form.value_of("mine"),
        assignee=int(assignee) if assignee.isdigit() else (assignee or None),
        q=filter_form.value_of("q"),
    )
    if filters.q:  # a search is a look for someone's cases: audited (the kind of search, not its text)
        audit.record_access(
            actor=staff,
            action="search",
            object_type="case_queue",
            object_id=str(staff.department_id or ""),
            fields=[selectors.search_kind(filters.q)],
            purpose="case_search",
            channel="screen",
            client_ip=audit.client_ip_of(request),
        )
    searched_statuses = [s for s in Status.values if s != Status.DRAFT]
    today = timezone.localdate()
    # Without a status filter the queue shows the cases in progress (as cases.selectors.office_queue does),
    # read one status at a time so that every read is an ordered range of the (department, status,
    # due_date, id) index.
    page = queue_page(
        [
            selectors.office_queue(staff=staff, filters=replace(filters, status=status), today=today)
            for status in (
                [filters.status]
                if filters.status
                else (searched_statuses if filters.q else workflow.IN_PROGRESS)
            )
        ],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=PAGE_SIZE,
    )
    due_cache: dict = {}
    rows = []
    for case in page.items:
        due_text, overdue = _due_text(case.due_date, today, due_cache)
        rows.append(
            {
                "case": case,
                "procedure_name": case.procedure.name_for(lang),
                "badge": _badge(case),
                "channel_label": labels.channel_label(case.channel),
                "due_text": due_text,
                "overdue": overdue and case.status in workflow.UNDECIDED,
            }
        )
    counts = selectors.queue_counts(staff=staff, today=today)
    base_query = {
        key: value
        for key, value in (
            ("status", filters.status),
            ("procedure", filters.procedure),
            ("channel", filters.channel),
            ("overdue", "1" if filters.overdue else ""),
            ("mine", "1" if filters.assigned_to_me else ""),
            ("assignee", assignee),
            ("q", filters.q),
        )
        if value
    }
    status_links = [
        {
            "value": value,
            "label": labels.status_label(value),
            "count": counts.get(value, 0),
            "current": filters.status == value,
            "query": urlencode({**{k: v for k, v in base_query.items() if k != "status"}, "status": value}),
        }
        for value in Status.values
        if value != Status.DRAFT
    ]
    context = {
        "filter_form": filter_form,
        "filters": filters,
        "assignee_filter": assignee,
        "rows": rows,
        "page": page,
        "status_links": status_links,
        "open_count": sum(counts.get(s, 0) for s in workflow.IN_PROGRESS),
        "open_query": urlencode({k: v for k, v in base_query.items() if k != "status"}),
        "overdue_count": counts.get("overdue", 0),
        "next_query": urlencode({**base_query, "after": page.next_cursor}) if page.next_cursor else "",
        "previous_query": urlencode({**base_query, "before": page.previous_cursor})
        if page.previous_cursor
        else "",
        "first_query": urlencode(base_query),
        "can_approve": workflow.may_take(staff, workflow.Action.APPROVE),
    }
    return render(request, "office/queue.html", {"nav": "queue", **context})


@require_POST
@staff_required
def bulk_approve(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    back = _safe_next(request, request.POST.get("next"), reverse("office:queue"))
    if not back.startswith(reverse("office:queue")):
        back = reverse("office:queue")
    case_ids = sorted({int(value) for value in request.POST.getlist("case") if value.isdigit()})
    if not case_ids:
        messages.error(
            request, _("承認する申請を一覧のチェックボックスで選んでから、もう一度押してください。")
        )
        return redirect(back)
    if request.POST.get("confirmed") != "yes":  # the second step: what will be approved, nothing written yet
        chosen = list(
            selectors.department_cases(staff=request.user)
            .filter(pk__in=case_ids)
            .select_related("procedure")
            .order_by("id")
        )
        context = {
            "chosen": [
                {"case": case, "procedure_name": case.procedure.name_for(lang), "badge": _badge(case)}
                for case in chosen
            ],
            "back": back,
        }
        return render(request, "office/bulk_confirm.html", {"nav": "queue", **context})
    done, failed = services.bulk_transition(
        case_ids=case_ids, action=workflow.Action.APPROVE, actor=request.user
    )
    if done:
        messages.success(
            request,
            ngettext("%(count)d件を承認しました：%(refs)s", "%(count)d件を承認しました：%(refs)s", len(done))
            % {"count": len(done), "refs": "、".join(case.reference for case in done)},
        )
    for reference, error in failed.items():
        messages.error(
            request,
            _("%(ref)s は承認できませんでした：%(reason)s")
            % {"ref": reference, "reason": error.message(lang)},
        )
    missing = len(case_ids) - len(done) - len(failed)
    if missing > 0:
        messages.error(
            request,
            ngettext(
                "%(count)d件は見つかりませんでした（他の課の申請か、削除された申請です）。",
                "%(count)d件は見つかりませんでした（他の課の申請か、削除された申請です）。",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


# ---------------------------------------------------------------------------------------------------------
# Case detail and actions


def _case(request: HttpRequest, reference: str, purpose: str, **look):
    """The case, scoped to the staff member's department and audited (`look`: the optional `fields` and
    `look_token` of `selectors.case_for_staff`)."""
    return selectors.case_for_staff(
        staff=request.user,
        reference=reference,
        purpose=purpose,
        channel="screen",
        client_ip=audit.client_ip_of(request),
        **look,
    )


def _badge(case) -> dict:
    return {
        "css": case.status.replace("_", "-"),
        "symbol": workflow.status_symbol(case.status),
        "label": labels.status_label(case.status),
    }


@require_GET
@staff_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The case page: one audit row for the look, listing the form data and every attachment page previewed;
    the previews' URLs carry the look token of their page, so their requests write no second row."""
    case = _case(request, reference, selectors.CASE_PAGE_PURPOSE, fields=selectors.case_page_items)
    return _case_page(request, case)


def _case_page(
    request: HttpRequest, case, *, assign_form: AssignForm | None = None, status: int = 200
) -> HttpResponse:
    """The case detail page; `assign_form` carries a refused choice of assignee, shown next to its field."""
    lang = lang_of(request)
    spec = spec_of(case.procedure_version)
    timeline = [
        {
            "entry": entry,
            "action_label": labels.history_label(entry.action),
            "from_label": labels.status_label(entry.from_status) if entry.from_status else "",
            "to_label": labels.status_label(entry.to_status),
        }
        for entry in selectors.timeline_for_staff(case)
    ]
    actions = [
        {
            "rule": rule,
            "form_id": f"action-{rule.action}",
            "button_label": workflow.button_label(rule.action),
            "note_label": workflow.note_label(rule.action),
        }
        for rule in workflow.actions_for(request.user, case)
    ]
    assignee_choices = (
        _staff_choices(request.user)
        if any(item["rule"].action == workflow.Action.ASSIGN for item in actions)
        else []
    )
    assign_errors = list(assign_form.errors.get("assignee", [])) if assign_form is not None else []
    chosen = (
        assign_form.cleaned_data.get("assignee") if assign_form is not None and not assign_errors else None
    )
    today = timezone.localdate()
    due_text, overdue = _due_text(case.due_date, today, {})
    context = {
        "case": case,
        "procedure_name": case.procedure.name_for(lang),
        "badge": _badge(case),
        "channel_label": labels.channel_label(case.channel),
        "case_messages": [
            {"message": message, "direction_label": labels.DIRECTION_LABELS.get(message.direction, "")}
            for message in case.messages.select_related("sender")
        ],
        "sections": schema.display_rows(spec, case.data, lang),
        "visit": booking_selectors.visit_of_case(
            case=case, appointment_type_code=spec.visit.appointment_type if spec.visit else None, lang=lang
        ),
        "attachments": _attachments_of(request, case),
        "timeline": timeline,
        "notes": list(case.notes.select_related("author")),
        "actions": actions,
        "note_form": NoteForm(),
        "due_text": due_text,
        "overdue": overdue and case.status in workflow.UNDECIDED,
        "assignee_choices": assignee_choices,
        "assignee_selected": chosen or request.user.pk,
        "assign_errors": assign_errors,
        "review_summary": selectors.review_summary(case),
        "decision_rule": workflow.decision_by_another_staff(),
        "i_reviewed": case.reviewed_by_id == request.user.pk,
    }
    return render(request, "office/case_detail.html", {"nav": "queue", **context}, status=status)


def _confirm_decision(request: HttpRequest, case, *, action: str, note: str) -> HttpResponse:
    """The second step of approve and reject (決裁): what will happen, the reviewer's summary, and a button
    that posts the same action again with `confirmed`; works without JavaScript. Nothing is written yet."""
    lang = lang_of(request)
    context = {
        "case": case,
        "procedure_name": case.procedure.name_for(lang),
        "badge": _badge(case),
        "action": action,
        "action_label": workflow.button_label(action),
        "note": note,
        "note_label": workflow.note_label(action),
        "review_summary": selectors.review_summary(case),
    }
    return render(request, "office/case_confirm.html", {"nav": "queue", **context})


def _attachments_of(request: HttpRequest, case) -> list:
    """The case's attachments; a safe copy that nobody is making (a lost task, a worker that died) is handed
    to the background again. Scheduling only: no page waits for a rendering.

    Each attachment's `previews`: the pages shown inline (the re-rendered copy only), each with its URL for the
    image and for the link that opens it in full. Both carry the look token of that page when this request
    recorded the case page's look listing it (`case_detail`): opening the image in full within the token's
    few minutes is the same look at the same page, already in the page's row. Elsewhere (the page shown again
    after a refused assignment) the URLs carry none and each preview writes its own row."""
    attachments = list(case.attachments.order_by("created_at", "id"))
    if any(a.render_status == RenderStatus.PENDING for a in attachments):
        services.render_pending(case=case)
    for attachment in attachments:
        attachment.preview_pages = selectors.preview_pages(attachment)
        attachment.previews = [
            {
                "page": page,
                "url": audit.url_with_look_token(
                    reverse(
                        "office:attachment_preview",
                        kwargs={"reference": case.reference, "attachment_id": attachment.pk, "page": page},
                    ),
                    selectors.attachment_page_look_token(
                        staff=request.user, case=case, attachment_id=attachment.pk, page=page
                    ),
                ),
            }
            for page in attachment.preview_pages
        ]
    return attachments


@require_POST
@staff_required
def case_action(request: HttpRequest, reference: str) -> HttpResponse:
    lang = lang_of(request)
    case = _case(request, reference, "case_action")
    form = ActionForm(request.POST)
    if not form.is_valid():
        # A note that is too long or holds a refused character says so; anything else is a forged post.
        for error in form.errors.get("note") or [
            _("操作の内容を読み取れませんでした。画面を更新してもう一度お試しください。")
        ]:
            messages.error(request, error)
        return redirect("office:case_detail", reference=case.reference)
    action = form.cleaned_data["action"]
    if action in workflow.DECISIONS and request.POST.get("confirmed") != "yes":
        try:  # refuse at once what cannot be confirmed (wrong status, role, same reviewer, no reason)
            rule = workflow.require(request.user, action, case)
            if rule.note_required and not form.cleaned_data["note"].strip():
                raise workflow.TransitionNotAllowed(
                    "note_required",
                    "理由またはメッセージを入力してください。",
                    "Please enter a reason or message.",
                )
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message(lang))
            return redirect("office:case_detail", reference=case.reference)
        return _confirm_decision(request, case, action=action, note=form.cleaned_data["note"])
    assignee = None
    assign_form = None
    if action == workflow.Action.ASSIGN:
        colleagues = _assignable_staff(request.user)
        assign_form = AssignForm(request.POST, choices=_staff_choices(request.user, colleagues))
        if not assign_form.is_valid():
            return _case_page(request, case, assign_form=assign_form, status=400)
        chosen = assign_form.cleaned_data["assignee"]
        assignee = next((user for user in colleagues if user.pk == chosen), None)
    try:
        services.transition(
            case=case, action=action, actor=request.user, note=form.cleaned_data["note"], assignee=assignee
        )
    except workflow.TransitionNotAllowed as exc:
        if exc.code == "invalid_assignee" and assign_form is not None:
            assign_form.add_error("assignee", exc.message(lang))
            return _case_page(request, case, assign_form=assign_form, status=400)
        messages.error(request, exc.message(lang))
    else:
        messages.success(
            request, _("「%(action)s」を行いました。") % {"action": labels.history_label(action)}
        )
    return redirect("office:case_detail", reference=case.reference)


@require_POST
@staff_required
def add_note(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference, "case_note")
    form = NoteForm(request.POST)
    if form.is_valid() and form.cleaned_data["body"].strip():
        services.add_internal_note(case=case, author=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("内部メモを追加しました。"))
    else:
        errors = form.errors.get("body") or [_("メモの内容を入力してください。")]
        for error in errors:
            messages.error(request, error)
    return redirect(f"{reverse('office:case_detail', kwargs={'reference': case.reference})}#notes")


@require_GET
@staff_required
def download_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    case = _case(request, reference, "attachment_download")
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment on this case")
    # Only the re-rendered copy is ever served, and a download never renders: the copy is made in the
    # background after the upload (docs/security.md "Uploads"). The upload as sent stays stored as evidence.
    detail = reverse("office:case_detail", kwargs={"reference": case.reference})
    if attachment.render_status == RenderStatus.PENDING:
        messages.info(
            request,
            _(
                "この添付ファイルは確認中です（安全なコピーを作成中）。通常は1分ほどでできます。"
                "しばらくしてから、もう一度開いてください。"
            ),
        )
        return redirect(f"{detail}#attachment-{attachment.pk}")
    if attachment.render_status != RenderStatus.READY:
        messages.error(
            request,
            _(
                "この添付ファイルは安全な形式に変換できなかったため表示できません。"
                "「追加情報を依頼する」で、申請者にファイルをもう一度送るよう依頼してください。"
            ),
        )
        return redirect(f"{detail}#attachment-{attachment.pk}")
    try:
        handle = attachment.safe_file.open("rb")
    except (FileNotFoundError, ValueError):
        logger.error("attachment %s: the safe copy %s is missing", attachment.pk, attachment.safe_file.name)
        messages.error(
            request,
            _(
                "この添付ファイルの安全なコピーが保管場所に見つかりません。システム管理者に連絡してください"
                "（元のファイルは別に保管されています）。"
            ),
        )
        return redirect(f"{detail}#attachment-{attachment.pk}")
    stem, dot, _suffix = attachment.original_name.rpartition(".")
    extension = services.UPLOAD_EXTENSIONS[attachment.safe_content_type]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem if dot else attachment.original_name}.{extension}",
        content_type=attachment.safe_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@staff_required
def attachment_preview(request: HttpRequest, reference: str, attachment_id: int, page: int) -> HttpResponse:
    """One page of the re-rendered copy as an image for the case page (the upload as sent is never served).
    The look at this page is the case page's look narrowed to it: with the page's look token for it (the image's
    URL carries it) the page's row stands for it; without one, or with an expired, altered or another staff
    member's, it writes its own row. Access is checked exactly as without a token."""
    case = _case(
        request,
        reference,
        selectors.CASE_PAGE_PURPOSE,
        fields=lambda _case: [selectors.attachment_page_item(attachment_id, page)],
        look_token=audit.look_token_of(request),
    )
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment on this case")
    try:
        data, content_type = services.attachment_preview(attachment=attachment, page=page)
    except (rendering.RenderingError, FileNotFoundError, ValueError):
        raise Http404("no preview of this page") from None
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = "inline"
    return response


# ---------------------------------------------------------------------------------------------------------
# Audit search (監査)

LOOKUP_BASELINE_DAYS = 30  # a staff member's own history a day is compared with
LOOKUP_BASELINE_MIN_DAYS = 5  # fewer active days than this: only the fixed threshold applies
LOOKUP_WINDOW_MAX_DAYS = 92  # days checked at most (the end of the chosen period), to bound the query
LOOKUP_FLAGS_SHOWN = 100


def _unusual_lookups(
    *, start: dt.date, end: dt.date, actor_ids: list[int] | None, threshold: int
) -> list[dict]:
    """(staff, day, count) with more audit rows than `threshold`, or than mean + 3σ of their last 30 days.

    One GROUP BY (staff, local day) over the period plus the 30 days before it; the statistics are done
    here, on at most (staff × days) numbers. The baseline uses the staff member's active days only, needs
    at least five of them, and takes σ as at least 1 so that a perfectly regular history is not flagged
    for one extra look-up.
    """
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start - dt.timedelta(days=LOOKUP_BASELINE_DAYS), dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    events = AuditEvent.objects.filter(created_at__gte=since, created_at__lt=until, actor_id__isnull=False)
    if actor_ids is not None:
        events = events.filter(actor_id__in=actor_ids)
    per_actor: dict[int, dict[dt.date, int]] = {}
    for row in (
        events.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("actor_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_actor.setdefault(row["actor_id"], {})[row["day"]] = row["n"]
    flags = []
    for actor_id, days in per_actor.items():
        for day, count in days.items():
            if not start <= day <= end:
                continue
            history = [
                n for other, n in days.items() if day - dt.timedelta(days=LOOKUP_BASELINE_DAYS) <= other < day
            ]
            mean = statistics.fmean(history) if history else 0.0
            limit = (
                mean + 3 * max(statistics.pstdev(history), 1.0)
                if len(history) >= LOOKUP_BASELINE_MIN_DAYS
                else None
            )
            over_threshold = count > threshold
            over_usual = limit is not None and count > limit
            if over_threshold or over_usual:
                flags.append(
                    {
                        "actor_id": actor_id,
                        "day": day,
                        "count": count,
                        "over_threshold": over_threshold,
                        "over_usual": over_usual,
                        "mean": round(mean, 1),
                        "limit": round(limit, 1) if limit is not None else None,
                    }
                )
    flags.sort(key=lambda flag: (-flag["count"], flag["day"], flag["actor_id"]))
    flags = flags[:LOOKUP_FLAGS_SHOWN]
    emails = dict(
        get_user_model()
        .objects.filter(pk__in={flag["actor_id"] for flag in flags})
        .values_list("pk", "email")
    )
    for flag in flags:
        flag["staff"] = emails.get(flag["actor_id"], f"#{flag['actor_id']}")
        flag["query"] = urlencode(
            {"staff": flag["staff"], "date_from": flag["day"].isoformat(), "date_to": flag["day"].isoformat()}
            if flag["actor_id"] in emails
            else {"date_from": flag["day"].isoformat(), "date_to": flag["day"].isoformat()}
        )
    return flags


AUDIT_CSV_MAX_ROWS = 100_000
AUDIT_CSV_COLUMNS = (
    ("番号", "No."),
    ("日時", "Date and time"),
    ("職員", "Staff member"),
    ("操作の種類", "Action"),
    ("操作コード", "Action code"),
    ("対象", "Object"),
    ("対象ID", "Object ID"),
    ("住民ID", "Person ID"),
    ("項目", "Data items"),
    ("目的", "Purpose"),
    ("目的コード", "Purpose code"),
    ("経路", "Channel"),
    ("IPアドレス", "IP address"),
)


# A cell a spreadsheet would read as a formula: an actor's email such as `=cmd|'/C calc'!A0@example.jp` (an
# address a resident may sign up with) must reach the auditor's Excel as text, not run there.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(values: list) -> list:
    """Text cells that start like a formula get a leading apostrophe (OWASP "CSV injection"); numbers stay."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values]


def _audit_csv(request: HttpRequest, form: AuditSearchForm, events) -> HttpResponse:
    """The rows of a search as CSV (UTF-8 with BOM, for Excel), newest first, at most AUDIT_CSV_MAX_ROWS;
    the export is itself audited, with the filters used and the number of rows."""
    en = lang_of(request) == "en"
    rows = list(events.order_by("-created_at", "-chain", "-seq")[:AUDIT_CSV_MAX_ROWS])
    audit.record_access(
        actor=request.user,
        action="export",
        object_type="audit_log",
        object_id=f"csv:{len(rows)}",
        person_id=form.cleaned_data["person_id"],
        fields=form.used_filters(),
        purpose="audit",
        channel="screen",
        client_ip=audit.client_ip_of(request),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([en_label if en else ja_label for ja_label, en_label in AUDIT_CSV_COLUMNS])
    for event in rows:
        writer.writerow(
            _csv_cells(
                [
                    f"{event.chain}-{event.seq}",
                    timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor_label,
                    labels.audit_action_label(event.action),
                    event.action,
                    labels.audit_object_label(event.object_type),
                    event.object_id,
                    "" if event.person_id is None else event.person_id,
                    " ".join(event.fields),
                    labels.audit_purpose_label(event.purpose),
                    event.purpose,
                    labels.audit_channel_label(event.channel),
                    event.client_ip or "",
                ]
            )
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@auditor_required
def audit_search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET)
    page = None
    staff_not_found = False
    rows = []
    lookup_flags: list[dict] = []
    lookup_period: tuple[dt.date, dt.date] | None = None
    threshold = int(getattr(settings, "AUDIT_DAILY_LOOKUP_THRESHOLD", 100))
    if form.is_valid():
        actor_ids = None
        if form.cleaned_data["staff"]:
            actor_ids = list(
                get_user_model()
                .objects.filter(email__iexact=form.cleaned_data["staff"])
                .values_list("pk", flat=True)
            )
            staff_not_found = not actor_ids
        events = form.apply(AuditEvent.objects.all(), actor_ids=actor_ids)
        if request.GET.get("format") == "csv" and not staff_not_found:
            return _audit_csv(request, form, events)
        page = audit_page(
            events, after=request.GET.get("after"), before=request.GET.get("before"), size=AUDIT_PAGE_SIZE
        )
        rows = [
            {
                "event": event,
                "night": is_night(event.created_at),
                "action_label": labels.audit_action_label(event.action),
                "purpose_label": labels.audit_purpose_label(event.purpose),
                "object_label": labels.audit_object_label(event.object_type),
                "channel_label": labels.audit_channel_label(event.channel),
                "field_labels": [labels.audit_field_label(code) for code in event.fields],
            }
            for event in page.items
        ]
        end = form.cleaned_data["date_to"] or timezone.localdate()
        start = form.cleaned_data["date_from"] or end - dt.timedelta(days=LOOKUP_BASELINE_DAYS - 1)
        start = max(start, end - dt.timedelta(days=LOOKUP_WINDOW_MAX_DAYS - 1))
        lookup_period = (start, end)
        if not staff_not_found:
            lookup_flags = _unusual_lookups(start=start, end=end, actor_ids=actor_ids, threshold=threshold)
        audit.record_access(
            actor=request.user,
            action="search",
            object_type="audit_log",
            object_id="search",
            person_id=form.cleaned_data["person_id"],
            fields=form.used_filters(),
            purpose="audit",
            channel="screen",
            client_ip=audit.client_ip_of(request),
        )
    base_query = {
        key: request.GET[key]
        for key in ("staff", "person_id", "date_from", "date_to", "night")
        if request.GET.get(key)
    }
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "csv_query": urlencode({**base_query, "format": "csv"}),
        "staff_not_found": staff_not_found,
        "lookup_flags": lookup_flags,
        "lookup_period": lookup_period,
        "lookup_threshold": threshold,
        "next_query": urlencode({**base_query, "after": page.next_cursor})
        if page and page.next_cursor
        else "",
        "previous_query": (
            urlencode({**base_query, "before": page.previous_cursor}) if page and page.previous_cursor else ""
        ),
    }
    status = 400 if form.errors else 200
    return render(request, "office/audit.html", {"nav": "audit", **context}, status=status)

"""Staff pages of the FAQ (職員画面): the knowledge base with its history, the department's inquiries with the
reply form and 「FAQにする」, and the analytics page.

Access as in the office app (`accounts.decorators.staff_required`). Entries and inquiries are changed only by staff of
the owning department (the services check it again); reading an inquiry writes an audit row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.faq import selectors, services
from madoguchi.faq.categories import category_table
from madoguchi.faq.forms import (
    LANGUAGE_TABS,
    EntrySettingsForm,
    NewEntryForm,
    ReplyForm,
    VersionForm,
    category_choices,
)
from madoguchi.faq.models import InquiryStatus, Language

ENTRIES_PER_PAGE = 50
INQUIRIES_PER_PAGE = 50
ANALYTICS_PERIODS = (7, 30, 90, 365)


def _faq_office(request: HttpRequest, tab: str) -> dict:
    """The FAQ office's part of an office page: its menu entry, its sub-navigation (faq/office/_base.html) with
    the number of open inquiries. The rest of the header comes from office.context_processors."""
    department = request.user.department
    return {
        "nav": "faq",
        "tab": tab,
        "open_inquiries": selectors.inquiry_counts(staff=request.user)[InquiryStatus.OPEN]
        if department
        else 0,
    }


def _department_code(request: HttpRequest) -> str:
    return request.user.department.code if request.user.department_id else ""


# ---- entries ----------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    query = request.GET.get("q", "").strip()[:200]
    category = request.GET.get("category", "")
    category = category if category_table().get(category) else ""
    active = request.GET.get("active", "")
    mine = request.GET.get("mine") == "1"
    rows = selectors.office_entries(
        query=query,
        category=category,
        department_id=request.user.department_id if mine else None,
        active=active if active in {"active", "inactive"} else "",
    )
    page = Paginator(rows, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "faq/office/entries.html",
        {
            **_faq_office(request, "entries"),
            "page": page,
            "count": len(rows),
            "query": query,
            "category": category,
            "active": active,
            "mine": mine,
            "categories": category_choices(lang, blank=str(_("すべて"))),
            "page_query": query_string.urlencode(),
            "language_labels": dict(Language.choices),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def entry_new(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    # From the review list: the question residents asked, answered by the new entry (marked as reviewed).
    review_question = (request.POST if request.method == "POST" else request.GET).get("review_question", "")
    form = NewEntryForm(
        request.POST if request.method == "POST" else None,
        initial={"question": review_question} if review_question else None,
        lang=lang,
        department_code=_department_code(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if review_question:
                entry = services.create_entry_from_question(
                    staff=request.user, review_question=review_question, **form.cleaned_data
                )
            else:
                entry = services.create_faq_entry(staff=request.user, **form.cleaned_data)
        except services.FaqError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang))
        else:
            messages.success(request, _("FAQ %(id)s を作成しました。") % {"id": entry.faq_id})
            return redirect("faq:office_entry", faq_id=entry.faq_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "faq/office/entry_new.html",
        {**_faq_office(request, "entries"), "form": form, "review_question": review_question},
        status=status,
    )


def _entry_page(
    request, entry, *, edit_lang, version_form=None, settings_form=None, status=200
) -> HttpResponse:
    lang = lang_of(request)
    current = selectors.current_version(entry, edit_lang)
    can_edit = request.user.department_id == entry.department_id
    if version_form is None:
        initial = (
            {"question": current.question, "answer": current.answer, "keywords": "\n".join(current.keywords)}
            if current
            else {}
        )
        version_form = VersionForm(initial=initial)
    if settings_form is None:
        settings_form = EntrySettingsForm(
            initial={
                "category": entry.category,
                "procedure_slug": entry.procedure_slug,
                "is_active": entry.is_active,
            },
            lang=lang,
            department_code=entry.department.code,
        )
    labels = dict(Language.choices)
    return render(
        request,
        "faq/office/entry.html",
        {
            **_faq_office(request, "entries"),
            "entry": entry,
            "category": category_table().get(entry.category),
            "edit_lang": edit_lang,
            "edit_lang_label": labels[edit_lang],
            "tabs": [
                {"code": code, "label": labels[code], "current": code == edit_lang} for code in LANGUAGE_TABS
            ],
            "current": current,
            "can_edit": can_edit,
            "version_form": version_form,
            "settings_form": settings_form,
            "history": selectors.entry_history(entry),
            "language_labels": labels,
        },
        status=status,
    )


def _edit_lang(value: str | None) -> str:
    return value if value in Language.values else Language.JA


@staff_required
@require_http_methods(["GET", "POST"])
def entry_detail(request: HttpRequest, faq_id: str) -> HttpResponse:
    """One entry: its text in one language (edit → a new version) and every version so far."""
    entry = selectors.entry_for_staff(faq_id)
    edit_lang = _edit_lang(request.POST.get("lang") if request.method == "POST" else request.GET.get("lang"))
    if request.method == "GET":
        return _entry_page(request, entry, edit_lang=edit_lang)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            version = services.save_faq_version(
                entry=entry, staff=request.user, lang=edit_lang, **form.cleaned_data
            )
        except services.FaqError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang_of(request)))
        else:
            if version is None:
                messages.info(request, _("内容が変わっていないため、新しい版は作りませんでした。"))
            else:
                messages.success(request, _("新しい版を保存しました。住民への回答にすぐ使われます。"))
            return redirect(f"{request.path}?lang={edit_lang}")
    return _entry_page(request, entry, edit_lang=edit_lang, version_form=form, status=400)


@staff_required
@require_POST
def entry_settings(request: HttpRequest, faq_id: str) -> HttpResponse:
    entry = selectors.entry_for_staff(faq_id)
    lang = lang_of(request)
    form = EntrySettingsForm(request.POST, lang=lang, department_code=entry.department.code)
    if form.is_valid():
        try:
            changed = services.update_entry_settings(entry=entry, staff=request.user, **form.cleaned_data)
        except services.FaqError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang))
        else:
            if changed:
                messages.success(request, _("設定を保存しました。"))
            else:
                messages.info(request, _("設定は変わっていません。"))
            return redirect("faq:office_entry", faq_id=entry.faq_id)
    return _entry_page(request, entry, edit_lang=Language.JA, settings_form=form, status=400)


# ---- inquiries --------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def inquiry_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", InquiryStatus.OPEN)
    status = status if status in InquiryStatus.values or status == "all" else InquiryStatus.OPEN
    inquiries = selectors.inquiry_queue(staff=request.user, status="" if status == "all" else status)
    page = Paginator(inquiries, INQUIRIES_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.inquiry_counts(staff=request.user)
    status_links = [
        {"code": code, "label": label, "count": counts[code], "current": code == status}
        for code, label in InquiryStatus.choices
    ]
    return render(
        request,
        "faq/office/inquiries.html",
        {
            **_faq_office(request, "inquiries"),
            "page": page,
            "status": status,
            "status_links": status_links,
            "total": sum(counts.values()),
            "categories": dict(category_choices(lang_of(request))),
        },
    )


def _inquiry_page(request, inquiry, *, reply_form=None, status=200) -> HttpResponse:
    return render(
        request,
        "faq/office/inquiry.html",
        {
            **_faq_office(request, "inquiries"),
            "inquiry": inquiry,
            "thread": selectors.inquiry_thread(inquiry),
            "reply_form": reply_form or ReplyForm(),
            "category": category_table().get(inquiry.category),
        },
        status=status,
    )


@staff_required
@require_GET
def inquiry_detail(request: HttpRequest, reference: str) -> HttpResponse:
    inquiry = selectors.inquiry_for_staff(
        staff=request.user, reference=reference, client_ip=client_ip_of(request)
    )
    return _inquiry_page(request, inquiry)


@staff_required
@require_POST
def inquiry_reply(request: HttpRequest, reference: str) -> HttpResponse:
    inquiry = selectors.inquiry_for_staff(
        staff=request.user, reference=reference, client_ip=client_ip_of(request)
    )
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_inquiry(inquiry=inquiry, staff=request.user, body=form.cleaned_data["body"])
        except services.FaqError as exc:
            form.add_error("body", exc.message(lang_of(request)))
        else:
            messages.success(request, _("回答を送りました。住民のマイページとメールに届きます。"))
            return redirect("faq:office_inquiry", reference=inquiry.reference)
    return _inquiry_page(request, inquiry, reply_form=form, status=400)


@staff_required
@require_POST
def inquiry_close(request: HttpRequest, reference: str) -> HttpResponse:
    inquiry = selectors.inquiry_for_staff(
        staff=request.user, reference=reference, client_ip=client_ip_of(request)
    )
    services.close_inquiry(inquiry=inquiry, staff=request.user)
    messages.success(request, _("問い合わせを完了にしました。"))
    return redirect("faq:office_inquiry", reference=inquiry.reference)


@staff_required
@require_http_methods(["GET", "POST"])
def inquiry_promote(request: HttpRequest, reference: str) -> HttpResponse:
    """「FAQにする」: a new FAQ entry from the question and a staff reply, edited before saving."""
    lang = lang_of(request)
    inquiry = selectors.inquiry_for_staff(
        staff=request.user, reference=reference, client_ip=client_ip_of(request)
    )
    if request.method == "POST":
        form = NewEntryForm(request.POST, lang=lang, department_code=_department_code(request))
        if form.is_valid():
            try:
                entry = services.promote_reply_to_faq(
                    inquiry=inquiry, staff=request.user, **form.cleaned_data
                )
            except services.FaqError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang))
            else:
                messages.success(
                    request,
                    _("FAQ %(id)s を作成しました。住民への回答にすぐ使われます。") % {"id": entry.faq_id},
                )
                return redirect("faq:office_entry", faq_id=entry.faq_id)
        status = 400
    else:
        replies = [m for m in selectors.inquiry_thread(inquiry) if m.direction == "to_resident"]
        category = inquiry.category
        if category and category_table().department_code_for(category) != _department_code(request):
            category = ""
        form = NewEntryForm(
            initial={
                "category": category,
                "question": inquiry.question,
                "answer": replies[-1].body if replies else "",
            },
            lang=lang,
            department_code=_department_code(request),
        )
        status = 200
    return render(
        request,
        "faq/office/promote.html",
        {**_faq_office(request, "inquiries"), "inquiry": inquiry, "form": form},
        status=status,
    )


# ---- review: questions that went badly ---------------------------------------------------------------------------

REVIEW_TABS = ("", "abstained", "unsure", "unhelpful")


@staff_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Questions the chat did not answer, answered unsurely, or whose answer residents marked unhelpful, grouped
    by text: add one as a phrasing of an entry, answer it with a new entry, or dismiss it (one step each)."""
    lang = lang_of(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in REVIEW_TABS else ""
    groups = selectors.review_groups(kind=kind, lang=lang)
    own = selectors.department_entries(staff=request.user, lang=lang)
    own_ids = {e.faq_id for e in own}
    rows = []
    for group in groups:
        preselected = next((e.faq_id for e in group.offered if e.faq_id in own_ids), "")
        rows.append({"group": group, "preselected": preselected})
    return render(
        request,
        "faq/office/review.html",
        {
            **_faq_office(request, "review"),
            "rows": rows,
            "kind": kind,
            "kinds": [
                ("", _("すべて")),
                ("abstained", _("答えられなかった")),
                ("unsure", _("自信のない回答")),
                ("unhelpful", _("役に立たなかった")),
            ],
            "own_entries": own,
            "review_days": selectors.REVIEW_DAYS,
        },
    )


def _back_to_review(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    url = reverse("faq:office_review")
    return redirect(f"{url}?kind={kind}" if kind in REVIEW_TABS and kind else url)


@staff_required
@require_POST
def review_phrasing(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    faq_id = request.POST.get("faq_id", "")
    try:
        version = services.add_phrasing(
            staff=request.user, faq_id=faq_id, question=request.POST.get("question", ""), lang=Language.JA
        )
    except services.FaqError as exc:
        messages.error(request, exc.message(lang))
    else:
        if version is None:
            messages.success(
                request, _("%(id)s にはすでにこの言い方があります。確認済みにしました。") % {"id": faq_id}
            )
        else:
            messages.success(
                request, _("%(id)s に言い換えを追加しました（新しい版として保存）。") % {"id": faq_id}
            )
    return _back_to_review(request)


@staff_required
@require_POST
def review_dismiss(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    try:
        services.dismiss_question(staff=request.user, question=request.POST.get("question", ""))
    except services.FaqError as exc:
        messages.error(request, exc.message(lang))
    else:
        messages.success(request, _("対応不要として一覧から外しました。"))
    return _back_to_review(request)


# ---- analytics --------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in ANALYTICS_PERIODS else 30
    data = selectors.analytics(days=days, lang=lang_of(request))
    return render(
        request,
        "faq/office/analytics.html",
        {
            **_faq_office(request, "analytics"),
            "data": data,
            "days": days,
            "periods": ANALYTICS_PERIODS,
            "daily_bars": _daily_bars(data.daily),
        },
    )


def _daily_bars(daily: list[selectors.CountRow]) -> dict:
    """Geometry of the questions-per-day chart: one column per day in a 100-high SVG, abstained ones inside."""
    largest = max((row.count for row in daily), default=0) or 1
    width = 10
    bars = []
    for i, row in enumerate(daily):
        total = 100.0 * row.count / largest
        abstained = 100.0 * row.extra["abstained"] / largest
        bars.append(
            {
                "x": i * width + 1,
                "width": width - 2,
                "y": f"{100 - total:.2f}",
                "height": f"{total:.2f}",
                "abstained_y": f"{100 - abstained:.2f}",
                "abstained_height": f"{abstained:.2f}",
                "row": row,
            }
        )
    return {"bars": bars, "view_width": max(len(daily), 1) * width, "largest": largest}

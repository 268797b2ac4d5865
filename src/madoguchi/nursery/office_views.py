"""Office pages for nursery allocation rounds (利用調整): list, new (sheet or cases), detail, run, override,
publish. Only staff of 子育て支援課 (department `kosodate`); everybody else gets a plain 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.accounts.decorators import staff_required
from madoguchi.core.i18n import lang_of
from madoguchi.nursery import selectors, services
from madoguchi.nursery.forms import NewRoundForm, OverrideForm, RunForm
from madoguchi.nursery.models import RoundStatus

DEPARTMENT = "kosodate"
ROWS_PER_PAGE = 200


def kosodate_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        department = getattr(request.user, "department", None)
        if department is None or department.code != DEPARTMENT:
            raise Http404("nursery rounds are for 子育て支援課 only")
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


@kosodate_required
@require_http_methods(["GET"])
def round_list(request: HttpRequest) -> HttpResponse:
    return render(request, "nursery/office/round_list.html", {"nav": "nursery", "rounds": selectors.rounds()})


@kosodate_required
@require_http_methods(["GET", "POST"])
def round_new(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = NewRoundForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["source"] == "cases":
                rnd = services.import_round_from_cases(
                    round_id=data["round_id"],
                    reference_date=data["reference_date"],
                    facilities=services.facilities_from_file(data["facilities_file"]),
                    staff=request.user,
                )
            else:
                rnd = services.import_round_from_sheet(
                    round_id=data["round_id"],
                    reference_date=data["reference_date"],
                    facilities_file=data["facilities_file"],
                    applications_file=data["applications_file"],
                    combinations_file=data["combinations_file"],
                    staff=request.user,
                )
        except services.NurseryError as exc:
            problems = exc.messages(lang_of(request))
        else:
            messages.success(request, _("申込を取り込みました。内容を確認して割り当てを実行してください。"))
            return redirect("nursery:round", round_id=rnd.round_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "nursery/office/round_new.html",
        {"nav": "nursery", "form": form, "problems": problems},
        status=status,
    )


def _detail(request: HttpRequest, rnd, *, problems=(), run_form=None, status=200) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in selectors.FILTERS:
        show = "all"
    query = request.GET.get("q", "")[:60]
    rows = selectors.child_rows(rnd, lang=lang_of(request), show=show, query=query)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    last = rnd.overrides.order_by("-created_at", "-id").first()
    context = {
        "round": rnd,
        "summary": selectors.summary(rnd),
        "rows": page.object_list,
        "page": page,
        "total_rows": len(rows),
        "show": show,
        "q": query,
        "filters": selectors.FILTERS,
        "overrides": rnd.overrides.select_related("staff").order_by("-created_at", "-id"),
        "blocking_pairs": (rnd.result or {}).get("blocking_pairs", []),
        "last_override": last,
        "run_form": run_form or RunForm(),
        "problems": problems,
        "can_change": rnd.status == RoundStatus.ALLOCATED,
        "can_run": rnd.status != RoundStatus.PUBLISHED,
        "notes": [n.get("en" if lang_of(request) == "en" else "ja") for n in rnd.notes],
    }
    return render(request, "nursery/office/round_detail.html", {"nav": "nursery", **context}, status=status)


@kosodate_required
@require_http_methods(["GET"])
def round_detail(request: HttpRequest, round_id: str) -> HttpResponse:
    return _detail(request, selectors.round_by_id(round_id))


@kosodate_required
@require_POST
def round_run(request: HttpRequest, round_id: str) -> HttpResponse:
    rnd = selectors.round_by_id(round_id)
    form = RunForm(request.POST)
    if not form.is_valid():
        return _detail(request, rnd, run_form=form, status=400)
    try:
        services.run_round(round=rnd, staff=request.user, objective=form.cleaned_data["objective"])
    except services.NurseryError as exc:
        return _detail(request, rnd, problems=exc.messages(lang_of(request)), status=400)
    messages.success(request, _("割り当てを実行し、検証しました。"))
    return redirect("nursery:round", round_id=rnd.round_id)


@kosodate_required
@require_http_methods(["GET", "POST"])
def round_override(request: HttpRequest, round_id: str, child_id: str) -> HttpResponse:
    rnd = selectors.round_by_id(round_id)
    choices = selectors.child_choices(rnd, child_id)
    if choices is None or not rnd.result:
        raise Http404("no such child in this round")
    current = rnd.result["assignments"].get(child_id) or ""
    form = OverrideForm(
        request.POST if request.method == "POST" else None, choices=choices, initial={"facility_id": current}
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            override = services.override_assignment(
                round=rnd,
                child_id=child_id,
                facility_id=form.cleaned_data["facility_id"] or None,
                reason=form.cleaned_data["reason"],
                staff=request.user,
            )
        except services.NurseryError as exc:
            problems = exc.messages(lang_of(request))
        else:
            if override.blocking_pairs:
                messages.warning(
                    request,
                    _(
                        "変更を保存しました。この結果にはブロッキングペアが %(n)d 件あります（下の一覧を確認してください）。"
                    )
                    % {"n": len(override.blocking_pairs)},
                )
            else:
                messages.success(request, _("変更を保存しました。ブロッキングペアはありません。"))
            return redirect(reverse("nursery:round", kwargs={"round_id": rnd.round_id}) + "?show=overridden")
    status = 400 if request.method == "POST" else 200
    context = {"round": rnd, "child_id": child_id, "form": form, "problems": problems, "current": current}
    return render(request, "nursery/office/override.html", {"nav": "nursery", **context}, status=status)


@kosodate_required
@require_http_methods(["GET", "POST"])
def round_publish(request: HttpRequest, round_id: str) -> HttpResponse:
    rnd = selectors.round_by_id(round_id)
    if request.method == "POST":
        try:
            sent = services.publish_round(round=rnd, staff=request.user)
        except services.NurseryError as exc:
            return _detail(request, rnd, problems=exc.messages(lang_of(request)), status=400)
        messages.success(request, _("結果を公開しました（通知 %(n)d 件）。") % {"n": sent})
        return redirect("nursery:round", round_id=rnd.round_id)
    return render(
        request,
        "nursery/office/publish.html",
        {"nav": "nursery", "round": rnd, "summary": selectors.summary(rnd), "linked": rnd.case_links.count()},
    )

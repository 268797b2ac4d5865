"""The staff's benefit desk: counter and paper applications entered on the resident's behalf.

A clerk finds the household (宛名番号, name, kana, birth date: `residents.access`, audited with the purpose
給付・手当・保険の資格確認) or opens the 確認書 a resident mailed back by the number or QR code printed on it; sees
whether the household is eligible and every application it already has (any channel, side by side, audited);
enters the account (the 公金受取口座 the city holds, or bank and branch by code with their names, the holder
folded to 全銀 kana); reviews what will be paid; confirms; and prints the receipt (受付番号). A household with an
open application gets no second one (`services.apply_by_staff`). A household that declines (辞退) is entered
the same way, with its own review step (`services.decline_by_staff`). Deciders reject an application or send it
back for a new account (`services.reject`, `services.return_to_resident`), and withdraw a decline
(`services.withdraw_decline`, audited).

Thin: every write is a `benefits.services` call; who may is `benefits.access`. Works without JavaScript;
`benefits/desk.js` shows bank and branch names as they are typed, finds codes by name and prints.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.core import audit
from madoguchi.core.audit import client_ip_of
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.i18n import lang_of
from madoguchi.jp.banks import search_banks, search_branches
from madoguchi.jp.wareki import DateParseError, parse_date
from madoguchi.residents import access as registry

from . import selectors, services, zengin
from .access import benefits_staff_required, may_decide
from .forms import ACCOUNT_FIELDS, ACCOUNT_TYPE_CHOICES, ReasonForm, StaffAccountForm, describe_account
from .models import Application, ApplicationStatus, Channel, Program

PURPOSE = registry.BENEFIT_ELIGIBILITY
MAX_INPUT = 100
SEARCH_FIELDS = ("atena_number", "name", "name_kana", "birth_date")


def _program(slug: str) -> Program:
    program = selectors.program_by_slug(slug)
    if program is None:
        raise Http404("no such program")
    return program


def _title(program: Program, lang: str) -> str:
    return program.title_en if lang == "en" and program.title_en else program.title_ja


def _audit_applications(request: HttpRequest, applications, purpose: str) -> None:
    for application in applications:
        audit.record_access(
            actor=request.user,
            action="view",
            object_type="benefits.application",
            object_id=application.pk,
            fields=["household", "bank_account", "holder_kana", "amount"],
            purpose=purpose,
            client_ip=client_ip_of(request),
        )


def _application_rows(applications, lang: str) -> list[dict]:
    rows = []
    for application in applications:
        bank, branch = describe_account(application.bank_code, application.branch_code)
        payments = sorted(application.payments.all(), key=lambda p: p.pk)
        rows.append(
            {
                "a": application,
                "bank": bank,
                "branch": branch,
                "payment": payments[-1] if payments else None,
                "type": dict(ACCOUNT_TYPE_CHOICES).get(application.account_type, application.account_type),
                "open": application.status in services.OPEN_STATUSES
                or application.status == ApplicationStatus.DECLINED,
            }
        )
    return rows


# --- the desk: choose a program, find a household, open a 確認書 ---------------------------------------


@benefits_staff_required
@require_http_methods(["GET"])
def desk_home(request: HttpRequest) -> HttpResponse:
    """The programs staff take applications for now; straight to the desk when there is one."""
    programs = selectors.programs()
    open_programs = [
        p
        for p in programs
        if services.staff_entry_problem(p, Channel.COUNTER) is None
        or services.staff_entry_problem(p, Channel.PAPER) is None
    ]
    if len(open_programs) == 1:
        return redirect("benefits:desk", slug=open_programs[0].slug)
    return render(
        request,
        "benefits/desk_home.html",
        {"nav": "benefits_desk", "programs": programs, "open_slugs": {p.slug for p in open_programs}},
    )


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest, slug: str) -> HttpResponse:
    """Find the household: 宛名番号 (one match opens it), or name, kana and birth date (POSTed, so that names
    never appear in URLs or access logs); or a 確認書 number (GET: it names nobody)."""
    program = _program(slug)
    lang = lang_of(request)
    source = request.POST if request.method == "POST" else {}
    query = {name: source.get(name, "")[:MAX_INPUT].strip() for name in SEARCH_FIELDS}
    channel = source.get("channel") or request.GET.get("channel", Channel.COUNTER)
    if channel not in services.STAFF_CHANNELS:
        channel = Channel.COUNTER
    reference = request.GET.get("reference", "")[:MAX_INPUT].strip()
    errors: list[dict] = []
    result = None
    if reference:
        confirmation = selectors.confirmation_by_reference(program, reference)
        if confirmation is not None:
            return redirect("benefits:paper_entry", slug=program.slug, number=confirmation.number)
        errors.append(
            {
                "target": "reference",
                "message": _(
                    "この給付金の確認書番号として見つかりません。確認書の右上の番号（例：C1-123）を確かめて入力し直すか、"
                    "QRコードを読み取ってください。"
                ),
            }
        )
    elif any(query.values()):
        birth_date = None
        if query["birth_date"]:
            try:
                birth_date = parse_date(query["birth_date"])
            except DateParseError:
                errors.append(
                    {
                        "target": "search-birth_date",
                        "message": _(
                            "生年月日を読み取れません。例：1980-01-01 または 昭和55年1月1日 の形で入力してください。"
                        ),
                    }
                )
        if not (query["atena_number"] or query["name"] or query["name_kana"]):
            errors.append(
                {
                    "target": "search-atena_number",
                    "message": _(
                        "宛名番号・氏名・フリガナのいずれかを入力してください（生年月日だけでは検索できません）。"
                    ),
                }
            )
        if not errors:
            try:
                result = registry.search_persons_for_staff(
                    staff=request.user,
                    query=registry.PersonQuery(
                        name=query["name"],
                        name_kana=query["name_kana"],
                        birth_date=birth_date,
                        atena_number=query["atena_number"],
                    ),
                    purpose=PURPOSE,
                    client_ip=client_ip_of(request),
                )
            except registry.AccessError as exc:
                errors.append({"target": "search-atena_number", "message": exc.message(lang)})
            else:
                if query["atena_number"] and len(result.persons) == 1:
                    return redirect(
                        reverse(
                            "benefits:counter_entry"
                            if channel == Channel.COUNTER
                            else "benefits:paper_person",
                            args=[program.slug, result.persons[0].id],
                        )
                    )
    return render(
        request,
        "benefits/desk.html",
        {
            "nav": "benefits_desk",
            "program": program,
            "program_title": _title(program, lang),
            "query": query,
            "channel": channel,
            "channels": [(c, label) for c, label in Channel.choices if c in services.STAFF_CHANNELS],
            "reference": reference,
            "error_items": errors,
            "result": result,
            "problems": {
                c: (p.message(lang) if p else "")
                for c in services.STAFF_CHANNELS
                for p in [services.staff_entry_problem(program, c)]
            },
            "today": selectors.entered_today_by(program, request.user),
            "may_decide": may_decide(request.user),
        },
        status=400 if errors else 200,
    )


@benefits_staff_required
@require_http_methods(["GET"])
def bank_lookup(request: HttpRequest) -> JsonResponse:
    """Bank and branch names for codes, or banks (branches of `bank`) by name: for `desk.js`. No personal data."""
    bank_code = request.GET.get("bank", "")[:10]
    branch_code = request.GET.get("branch", "")[:10]
    text = request.GET.get("q", "")[:40]
    bank_name, branch_name = describe_account(bank_code, branch_code) if bank_code else ("", "")
    answer: dict = {"bank": bank_name, "branch": branch_name}
    if text:
        if request.GET.get("kind") == "branch":
            answer["results"] = [{"code": b.code, "name": b.name} for b in search_branches(bank_code, text)]
        else:
            answer["results"] = [{"code": b.code, "name": b.name} for b in search_banks(text)]
    return JsonResponse(answer)


# --- the entry: one household, its eligibility, its applications, the account, review, confirm ----------


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def counter_entry(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    program = _program(slug)
    household_id = selectors.household_on(person_id, program.base_date)
    return _entry(request, program, Channel.COUNTER, person_id, household_id)


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def paper_person(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """A mailed application without a 確認書 number: the household found by a search, channel paper."""
    program = _program(slug)
    household_id = selectors.household_on(person_id, program.base_date)
    return _entry(request, program, Channel.PAPER, person_id, household_id)


@benefits_staff_required
@require_http_methods(["GET", "POST"])
def paper_entry(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """A mailed 確認書 keyed by its number: the household it was printed for, channel paper."""
    program = _program(slug)
    confirmation = selectors.confirmation_by_reference(program, number[:MAX_INPUT])
    if confirmation is None:
        raise Http404("no such confirmation")
    household_id = confirmation.eligibility.household_id
    head = selectors.head_on(household_id, program.base_date)
    if head is None:
        raise Http404("no member on the base date")
    audit.record_access(
        actor=request.user,
        action="view",
        object_type="benefits.confirmation",
        object_id=confirmation.pk,
        fields=["household", "bank_account", "holder_kana", "amount"],
        purpose="給付金の確認書の入力（郵送）",
        client_ip=client_ip_of(request),
    )
    return _entry(
        request, program, Channel.PAPER, head, household_id, confirmation_number=confirmation.number
    )


def _entry(
    request: HttpRequest,
    program: Program,
    channel: str,
    person_id: int,
    household_id: int | None,
    *,
    confirmation_number: str = "",
) -> HttpResponse:
    lang = lang_of(request)
    person = registry.person_for_staff(
        staff=request.user, person_id=person_id, purpose=PURPOSE, client_ip=client_ip_of(request)
    )  # PersonAccessRefused is a 404 (and audited)
    status = selectors.household_eligibility(program, household_id)
    applications = selectors.household_applications(program.pk, household_id) if household_id else []
    _audit_applications(request, applications, "給付金の申請受付（世帯の申請の確認）")
    problem = services.staff_entry_problem(program, channel)
    open_ones = [a for a in applications if _standing(a)]
    declines = [a for a in open_ones if a.is_decline]
    returned = (
        open_ones[0]
        if len(open_ones) == 1 and open_ones[0].status == ApplicationStatus.RETURNED_TO_RESIDENT
        else None
    )
    if problem is not None and problem.code == "eligibility_not_computed":
        mode = "closed"
    elif status.eligibility is None:
        mode = "not_eligible"
    elif returned is not None:  # a correction is no new application: also after the deadline (a bank return)
        mode = "correct"
    elif declines:
        mode = "declined"
    elif open_ones:
        mode = "applied"
    elif problem is not None:
        mode = "closed"
    else:
        mode = "new"
    confirmation = getattr(status.eligibility, "confirmation", None) if status.eligibility else None
    has_public = bool(confirmation and confirmation.has_account and mode == "new")
    public_problem = ""
    if has_public:  # an account the city holds but the bank no longer has (a branch closed): not offered
        problems = services.account_problems(services.account_of(confirmation))
        if problems:
            has_public = False
            public_problem = problems[0].en if lang == "en" else problems[0].ja
    initial = {"holder_kana": zengin.cut_to(zengin.fold_to_zengin(person.name_kana), 30)}
    step = "form"
    errors: list[dict] = []
    form = StaffAccountForm(has_public_account=has_public, lang=lang, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "review")
        if action in ("decline_review", "decline") and mode != "new":
            errors.append({"target": "", "message": _stale_message(mode, problem, lang)})
        elif action == "decline_review":
            step = "decline_review"
        elif action == "decline":
            outcome = _confirm_decline(request, program, channel, household_id, lang)
            if isinstance(outcome, HttpResponse):
                return outcome
            errors.append({"target": "", "message": outcome})
            applications = selectors.household_applications(program.pk, household_id)
            _audit_applications(request, applications, "給付金の申請受付（世帯の申請の確認）")
            standing = [a for a in applications if _standing(a)]
            if standing:
                mode = "declined" if any(a.is_decline for a in standing) else "applied"
        elif mode not in ("new", "correct"):
            errors.append({"target": "", "message": _stale_message(mode, problem, lang)})
        elif action == "edit":
            form = StaffAccountForm(
                has_public_account=has_public,
                lang=lang,
                initial={name: request.POST.get(name, "")[:60] for name in ("source", *ACCOUNT_FIELDS)},
            )
        else:
            form = StaffAccountForm(request.POST, has_public_account=has_public, lang=lang, initial=initial)
            if form.is_valid():
                if action == "confirm":
                    outcome = _confirm(request, program, channel, household_id, returned, form, lang)
                    if isinstance(outcome, HttpResponse):
                        return outcome
                    errors.append({"target": "", "message": outcome})
                    applications = selectors.household_applications(program.pk, household_id)
                    _audit_applications(request, applications, "給付金の申請受付（世帯の申請の確認）")
                    standing = [a for a in applications if _standing(a)]
                    if standing and mode == "new":
                        mode = "declined" if any(a.is_decline for a in standing) else "applied"
                else:
                    step = "review"
            else:
                errors.extend(
                    {"target": form[name].auto_id if name != "__all__" else "", "message": message}
                    for name, items in form.errors.items()
                    for message in items
                )
    account = form.cleaned_data.get("account") if step == "review" else None
    shown = account or (confirmation if step == "review" else None)
    bank, branch = describe_account(shown.bank_code, shown.branch_code) if shown else ("", "")
    return render(
        request,
        "benefits/desk_entry.html",
        {
            "nav": "benefits_desk",
            "program": program,
            "program_title": _title(program, lang),
            "channel": channel,
            "channel_label": dict(Channel.choices)[channel],
            "person": person,
            "status": status,
            "eligibility": status.eligibility,
            "confirmation": confirmation,
            "confirmation_number": confirmation_number,
            "public_bank": describe_account(confirmation.bank_code, confirmation.branch_code)
            if has_public
            else ("", ""),
            "public_problem": public_problem,
            "public_type": dict(ACCOUNT_TYPE_CHOICES).get(
                confirmation.account_type, confirmation.account_type
            )
            if has_public
            else "",
            "rows": _application_rows(applications, lang),
            "mode": mode,
            "problem": problem.message(lang) if problem else "",
            "returned": returned,
            "form": form,
            "step": step,
            "review": {
                "account": shown,
                "bank": bank,
                "branch": branch,
                "type": dict(ACCOUNT_TYPE_CHOICES).get(shown.account_type, shown.account_type)
                if shown
                else "",
                "public": step == "review" and account is None,
            },
            "hidden": [(name, form.data.get(name, "")) for name in ("source", *ACCOUNT_FIELDS)]
            if step == "review"
            else [],
            "error_items": errors,
            "may_decide": may_decide(request.user),
            "post_url": request.path,
            "declines": declines,
        },
        status=409 if errors and mode in ("applied", "declined") else 400 if errors else 200,
    )


def _standing(application: Application) -> bool:
    """An application that is still open, or a decline waiting for staff or in effect."""
    return application.status in services.OPEN_STATUSES or application.status == ApplicationStatus.DECLINED


def _stale_message(mode: str, problem, lang: str) -> str:
    if mode == "closed" and problem is not None:
        return problem.message(lang)
    if mode == "not_eligible":
        return _(
            "この世帯は支給対象ではないため、申請を登録できません。画面の説明に沿って住民に案内してください。"
        )
    if mode == "declined":
        return pgettext(
            "benefits decline",
            "この世帯は給付金の受給を辞退しています。申請も二重の辞退も登録できません。受け取る場合は、決裁者が辞退を"
            "撤回してから申請を登録してください。",
        )
    if mode == "correct":
        return pgettext(
            "benefits decline",
            "この世帯の申請は口座の確認のため差し戻されています。辞退する場合は、決裁者が先に申請を不支給・取下げに"
            "してから辞退を登録してください。",
        )
    return _(
        "この世帯にはすでに申請があります。二重の申請は登録できません。下の一覧で申請の内容を確かめてください。"
    )


def _confirm_decline(request, program, channel, household_id, lang) -> HttpResponse | str:
    """File the household's decline; the receipt, or a message saying what to do."""
    try:
        application = services.decline_by_staff(
            program=program, household_id=household_id, channel=channel, staff=request.user
        )
    except MadoguchiError as exc:
        return exc.message(lang)
    except IntegrityError:  # the database refused the slot at the same moment: nothing was written
        return pgettext(
            "benefits decline",
            "同じ世帯の申請か辞退が同時に登録されたため、この辞退は登録しませんでした。下の一覧で世帯の申請を確かめて"
            "ください。",
        )
    messages.success(
        request,
        pgettext(
            "benefits decline",
            "辞退を登録しました。受付番号 %(number)s の控えを印刷して住民に渡してください。",
        )
        % {"number": application.number},
    )
    return redirect("benefits:receipt", slug=program.slug, number=application.number)


def _confirm(request, program, channel, household_id, returned, form, lang) -> HttpResponse | str:
    """File the application (or the corrected account); the receipt, or a message saying what to do."""
    account = form.cleaned_data["account"]
    try:
        if returned is not None:
            application = services.correct_account(application=returned, account=account, staff=request.user)
        else:
            application = services.apply_by_staff(
                program=program,
                household_id=household_id,
                channel=channel,
                account=account,
                staff=request.user,
            )
    except services.AlreadyApplied as exc:
        return exc.message(lang)
    except MadoguchiError as exc:
        return exc.message(lang)
    except IntegrityError:  # the database refused a duplicate filed at the same moment: nothing was written
        return _(
            "同じ世帯の申請が同時に登録されたため、この申請は登録しませんでした。下の一覧で世帯の申請を確かめてください。"
        )
    messages.success(
        request,
        _("申請を登録しました。受付番号 %(number)s の控えを印刷して住民に渡してください。")
        % {"number": application.number},
    )
    return redirect("benefits:receipt", slug=program.slug, number=application.number)


# --- the receipt and one application (reject, send back) ----------------------------------------------


def _application(program: Program, number: str) -> Application:
    application = (
        Application.objects.filter(program=program, number=number[:MAX_INPUT])
        .select_related("eligibility", "staff")
        .prefetch_related("payments")
        .first()
    )
    if application is None:
        raise Http404("no such application")
    return application


@benefits_staff_required
@require_http_methods(["GET"])
def receipt(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """The receipt (受付控え) to print and hand over: 受付番号, amount, the account masked."""
    program = _program(slug)
    application = _application(program, number)
    _audit_applications(request, [application], "給付金の受付控えの発行")
    bank, branch = describe_account(application.bank_code, application.branch_code)
    return render(
        request,
        "benefits/desk_receipt.html",
        {
            "nav": "benefits_desk",
            "program": program,
            "program_title": _title(program, lang_of(request)),
            "a": application,
            "bank": bank,
            "branch": branch,
            "type": dict(ACCOUNT_TYPE_CHOICES).get(application.account_type, application.account_type),
            "printed_at": timezone.localtime(),
        },
    )


@benefits_staff_required
@require_http_methods(["GET"])
def application_detail(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    program = _program(slug)
    application = _application(program, number)
    return _detail(request, program, application, ReasonForm(lang=lang_of(request)), "", status=200)


def _detail(request, program, application, form, which: str, *, status: int, error: str = "") -> HttpResponse:
    lang = lang_of(request)
    _audit_applications(request, [application], "給付金の申請の確認")
    row = _application_rows([application], lang)[0]
    payment = row["payment"]
    in_file = bool(payment and payment.status in ("exported", "paid"))
    errors = [{"target": "", "message": error}] if error else []
    if form.is_bound and form.errors:
        errors += [{"target": f"reason-{which}", "message": m} for m in form.errors.get("reason", [])]
    head = selectors.head_on(application.household_id, program.base_date)
    household_url = reverse("benefits:counter_entry", args=[program.slug, head]) if head else ""
    return render(
        request,
        "benefits/desk_application.html",
        {
            "nav": "benefits_desk",
            "program": program,
            "program_title": _title(program, lang),
            "rows": [row],
            "a": application,
            "household_url": household_url,
            "may_decide": may_decide(request.user),
            "can_reject": not application.is_decline
            and application.status != ApplicationStatus.REJECTED
            and not in_file,
            "can_return": not application.is_decline
            and application.status in (ApplicationStatus.RECEIVED, ApplicationStatus.APPROVED)
            and not in_file,
            "can_withdraw_decline": application.is_decline
            and application.status in (ApplicationStatus.DECLINED, ApplicationStatus.CONFLICT),
            "form": form,
            "which": which,
            "error_items": errors,
        },
        status=status,
    )


@benefits_staff_required
@require_POST
def decide(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """Reject (不支給・取下げ) or send back for a new account, or withdraw a decline (辞退の撤回), with a reason:
    deciders only."""
    program = _program(slug)
    application = _application(program, number)
    lang = lang_of(request)
    if not may_decide(request.user):
        return render(
            request,
            "benefits/office_forbidden.html",
            {"nav": "benefits_desk", "deciders": True},
            status=403,
        )
    which = request.POST.get("decision", "")
    form = ReasonForm(request.POST, lang=lang)
    if which not in ("reject", "return", "withdraw_decline"):
        return _detail(
            request,
            program,
            application,
            form,
            which,
            status=400,
            error=pgettext(
                "benefits decline",
                "操作を選び直してください（不支給・取下げ、口座の確認のための差し戻し、または辞退の撤回）。",
            ),
        )
    if not form.is_valid():
        return _detail(request, program, application, form, which, status=400)
    try:
        if which == "withdraw_decline":
            services.withdraw_decline(
                application=application,
                staff=request.user,
                note=form.cleaned_data["reason"],
                client_ip=client_ip_of(request),
            )
            done = pgettext(
                "benefits decline",
                "辞退 %(number)s を撤回しました。この世帯は、あらためて申請できます。",
            )
        elif which == "reject":
            services.reject(application=application, staff=request.user, note=form.cleaned_data["reason"])
            done = pgettext("benefits staff", "申請 %(number)s を不支給・取下げにしました。")
        else:
            services.return_to_resident(
                application=application, staff=request.user, note=form.cleaned_data["reason"]
            )
            done = pgettext(
                "benefits staff",
                "申請 %(number)s を差し戻しました。新しい口座は窓口の入力画面で登録できます。",
            )
    except MadoguchiError as exc:
        fresh = _application(program, number)
        return _detail(request, program, fresh, form, which, status=409, error=exc.message(lang))
    messages.success(request, done % {"number": application.number})
    return redirect("benefits:application", slug=program.slug, number=application.number)

"""Resident portal pages. Thin: parse the request, call a selector or service, render.

Every case lookup goes through cases.selectors.case_of_applicant, so another resident's reference is a 404.
A resident whose account is linked to the registry gets the form's registry fields read-only from
accounts.selectors.registry_values_for; the server re-reads them on every POST (docs/identity.md).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts import selectors as account_selectors
from madoguchi.accounts import services as accounts
from madoguchi.accounts.decorators import resident_required
from madoguchi.accounts.emails import local_path
from madoguchi.accounts.identity.base import IdentityProviderError
from madoguchi.accounts.identity.registry import register as identity_providers
from madoguchi.booking import selectors as booking_selectors
from madoguchi.booking import services as booking_services
from madoguchi.cases import selectors as case_selectors
from madoguchi.cases import services as case_services
from madoguchi.cases import workflow
from madoguchi.cases.models import Status
from madoguchi.cases.prefill import RegistryPrefill, merge_registry, registry_prefill
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.jp.kana import suggest_reading
from madoguchi.notify import services as notify_services
from madoguchi.notify.models import Notice
from madoguchi.portal import forms
from madoguchi.procedures import schema
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures.spec import LIFE_EVENTS

NOTICES_PER_PAGE = 20


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ---- home and catalog --------------------------------------------------------------------------------------

# Life events (ライフイベント) residents can browse by, in the order of procedures.spec.LIFE_EVENTS.
LIFE_EVENT_LABELS = {
    "moving": gettext_lazy("引っ越し"),
    "birth": gettext_lazy("出産"),
    "childcare": gettext_lazy("子育て"),
    "marriage": gettext_lazy("結婚・離婚"),
    "death": gettext_lazy("おくやみ（ご家族が亡くなったとき）"),
    "elderly": gettext_lazy("高齢者・介護"),
    "disaster": gettext_lazy("災害にあったとき"),
    "waste": gettext_lazy("ごみ・リサイクル"),
    "tax": gettext_lazy("税金"),
    "health": gettext_lazy("健康・医療・保険"),
    "certificates": gettext_lazy("証明書がほしい"),
}
IDENTITY_LEVEL_LABELS = {
    "none": gettext_lazy("不要"),
    "email": gettext_lazy("メールアドレスの確認（この窓口への登録）"),
    "verified": gettext_lazy("マイナンバーカードなどによる本人確認"),
}


def _get_procedure_or_404(slug: str):
    procedure = procedure_selectors.get_procedure(slug)
    if procedure is None:
        raise Http404("no such procedure")
    return procedure


def _filter_choices(lang: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Departments and life events that have at least one active procedure, for the catalog filters."""
    procedures = procedure_selectors.catalog(lang=lang)
    departments = {p.department.code: p.department.name_for(lang) for p in procedures}
    used_events = {event for p in procedures for event in (p.life_events or [])}
    life_events = [
        (code, str(LIFE_EVENT_LABELS.get(code, code))) for code in LIFE_EVENTS if code in used_events
    ]
    return sorted(departments.items()), life_events


def home(request):
    _departments, life_events = _filter_choices(lang_of(request))
    return render(request, "portal/home.html", {"life_events": life_events})


def privacy_policy(request):
    """個人情報の取扱い: what the service keeps, why, who sees it (audited), and how to ask about it."""
    return render(request, "portal/privacy.html", {"lang": lang_of(request)})


def accessibility_policy(request):
    """ウェブアクセシビリティ方針: the JIS X 8341-3:2016 target and the results of the automated checks."""
    return render(request, "portal/accessibility.html", {"lang": lang_of(request)})


def catalog(request):
    lang = lang_of(request)
    query = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "").strip()
    life_event = request.GET.get("life_event", "").strip()
    departments, life_events = _filter_choices(lang)
    if department not in dict(departments):
        department = ""
    if life_event not in dict(life_events):
        life_event = ""
    procedures = procedure_selectors.catalog(
        query=query, department=department, life_event=life_event, lang=lang
    )
    return render(
        request,
        "portal/catalog.html",
        {
            "query": query,
            "department": department,
            "life_event": life_event,
            "departments": departments,
            "life_events": life_events,
            "life_event_labels": dict(life_events),
            "results": [
                {
                    "procedure": p,
                    "name": p.name_for(lang),
                    "department": p.department.name_for(lang),
                    "summary": p.current_version.spec.get("description", {}).get(lang, ""),
                }
                for p in procedures
            ],
            "filtered": bool(query or department or life_event),
        },
    )


def procedure_detail(request, slug: str):
    lang = lang_of(request)
    procedure = _get_procedure_or_404(slug)
    spec = procedure_selectors.spec_of(procedure.current_version)
    refusal = case_services.apply_refusal(request.user, procedure)
    return render(
        request,
        "portal/procedure_detail.html",
        {
            "procedure": procedure,
            "name": spec.name.get(lang),
            "department": procedure.department.name_for(lang),
            "description": spec.description.get(lang),
            "eligibility": spec.eligibility.get(lang),
            "bring": [item.get(lang) for item in spec.bring],
            "fee": spec.fee.get(lang),
            "deadline": spec.deadline.get(lang) if spec.deadline else "",
            "sla_business_days": spec.sla_business_days,
            "online": spec.online and procedure.online,
            "identity_level": spec.identity_level,
            "identity_label": IDENTITY_LEVEL_LABELS.get(spec.identity_level, spec.identity_level),
            "can_apply_online": refusal is None,
            "needs_verification": refusal is not None
            and refusal.code == case_services.IDENTITY_VERIFICATION_REQUIRED,
            "steps": [step.title.get(lang) for step in spec.steps],
            "life_events": [LIFE_EVENT_LABELS[e] for e in spec.life_events if e in LIFE_EVENT_LABELS],
        },
    )


# ---- applying ----------------------------------------------------------------------------------------------


@resident_required
@require_http_methods(["GET", "POST"])
def apply(request, slug: str):
    """POST (the procedure page's button, CSRF-checked): resume the resident's open draft of this procedure,
    or open one, and go to where it was left. Two parallel posts give one draft (`open_draft`).

    GET (a bookmark, an old link, another site's link or image): the procedure page with the button, and
    nothing else; no draft is made.
    """
    if request.method != "POST":
        return procedure_detail(request, slug)
    procedure = _get_procedure_or_404(slug)
    try:
        case_services.ensure_can_apply(request.user, procedure)
    except case_services.ApplyNotAllowed as exc:
        if exc.code == case_services.IDENTITY_VERIFICATION_REQUIRED:
            messages.warning(request, _verification_needed_text())
        else:
            messages.warning(request, _("この手続きはオンラインでは申請できません。窓口でお手続きください。"))
        return redirect("portal:procedure", slug=slug)
    case, created = case_services.open_draft(applicant=request.user, procedure=procedure)
    if not created:
        messages.info(request, _("保存してある下書きの続きから入力できます。"))
    return _redirect_to_current_step(case)


def _draft_form_of(case):
    """The steps of the online form. Fields asked only on submission (a 個人番号) are on the review page."""
    return procedure_selectors.spec_of(case.procedure_version).draft_form()


def _redirect_to_current_step(case):
    spec = _draft_form_of(case)
    step_ids = [step.id for step in spec.steps]
    step_id = case.current_step if case.current_step in step_ids else step_ids[0]
    return redirect("portal:apply_step", reference=case.reference, step_id=step_id)


@resident_required
def resume(request, reference: str):
    """Continue a draft where it was left (links from My Page)."""
    case, elsewhere = _draft_of(request, reference)
    return elsewhere or _redirect_to_current_step(case)


def _verification_needed_text() -> str:
    return _(
        "この手続きをオンラインで申請するには、本人確認（アカウントと住民記録の紐付け）が必要です。"
        "マイページの「本人確認」をご覧ください。"
    )


def _draft_of(request, reference: str):
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)
    if case.status != Status.DRAFT:
        messages.info(request, _("この申請はすでに提出されています。状況は次のとおりです。"))
        return case, redirect("portal:case", reference=reference)
    spec = procedure_selectors.spec_of(case.procedure_version)
    if not account_selectors.meets_identity_level(request.user, spec.identity_level):
        messages.warning(request, _verification_needed_text())
        return case, redirect("portal:procedure", slug=case.procedure.slug)
    return case, None


# ---- the registry (住民記録) in forms ---------------------------------------------------------------------------


def _furigana_pairs(fields) -> list[tuple[str, str]]:
    """(name field, kana field) pairs of a step: the kana field and the name field just before it."""
    pairs = []
    previous = None
    for f in fields:
        if previous is not None and f.kind.is_reading_of(f, previous):
            pairs.append((previous.id, f.id))
        previous = f
    return pairs


def _suggest_missing_kana(fields, values: dict, errors: dict, registry: RegistryPrefill) -> dict[str, str]:
    """Without JavaScript: an empty フリガナ next to a typed name gets a suggestion to check (not saved yet)."""
    suggestions = {}
    for name_id, kana_id in _furigana_pairs(fields):
        if kana_id in registry.values or not any(m.code == "required" for m in errors.get(kana_id, [])):
            continue
        name = values.get(name_id)
        reading = suggest_reading(name) if isinstance(name, str) and len(name) <= 50 else ""
        if reading:
            suggestions[kana_id] = reading
            errors[kana_id] = [
                schema.Message(
                    "kana_suggested",
                    "氏名から読みの候補を入力しました。正しいか確認し、違う場合は直してください。",
                    "We filled in a suggested reading from the name. Check it and correct it if needed.",
                )
            ]
    return suggestions


def _step_position(spec, step_id: str) -> int:
    for index, step in enumerate(spec.steps):
        if step.id == step_id:
            return index
    raise Http404("no such step")


def _anchor_of(field_context: dict) -> str:
    """The element an error-summary link jumps to: the input, or the first choice of a group."""
    options = field_context.get("options") or field_context.get("members") or field_context.get("parts")
    if field_context.get("is_group") and options:
        return options[0]["id"]
    return field_context["input_id"]


def _step_context(
    request, case, spec, index: int, values: dict, errors: dict, lang: str, registry: RegistryPrefill
) -> dict:
    step = spec.steps[index]
    files = case_services.attachment_files(case)
    rendered_fields = []
    error_items = []
    for field in step.fields:
        field_errors = errors.get(field.id, [])
        value = files.get(field.id) if field.kind.is_upload else values.get(field.id)
        context = schema.field_context(
            field,
            value,
            field_errors,
            lang,
            spec=spec,
            readonly=field.id in registry.readonly,
            household=registry.household,
        )
        # A conditional field is in the page either way; it is hidden while its condition does not hold
        # (the answers saved so far), and the script shows it as soon as the answer changes.
        context["show_when"] = schema.condition_json(field)
        context["shown"] = schema.field_shown(spec, field, values, files=files)
        rendered_fields.append(context)
        for message in field_errors:
            target = _anchor_of(context)
            if message.part:
                target = f"{context['input_id']}-{message.part.replace('_', '-')}"
            error_items.append({"target": target, "label": context["label"], "message": message.text(lang)})
    previous_url = (
        reverse("portal:apply_step", args=[case.reference, spec.steps[index - 1].id])
        if index > 0
        else reverse("portal:procedure", args=[case.procedure.slug])
    )
    return {
        "case": case,
        "spec": spec,
        "step": step,
        "step_title": step.title.get(lang),
        "step_description": step.description.get(lang) if step.description else "",
        "step_number": index + 1,
        "step_count": len(spec.steps),
        "steps_range": [
            {"number": n + 1, "state": "done" if n < index else ("current" if n == index else "todo")}
            for n in range(len(spec.steps))
        ],
        "fields": rendered_fields,
        "has_files": any(field.kind.is_upload for field in step.fields),
        "error_items": error_items,
        "previous_url": previous_url,
        "procedure_name": case.procedure.name_for(lang),
        "lang": lang,
        "registry_fields": any(field.id in registry.readonly for field in step.fields),
        "address_withheld": registry.withheld
        and any(field.prefill in account_selectors.PROTECTED_KEYS for field in step.fields),
        "furigana_pairs": ",".join(
            f"f-{name_id}:f-{kana_id}"
            for name_id, kana_id in _furigana_pairs(step.fields)
            if kana_id not in registry.readonly
        ),
    }


@resident_required
@require_http_methods(["GET", "POST"])
def apply_step(request, reference: str, step_id: str):
    lang = lang_of(request)
    case, elsewhere = _draft_of(request, reference)
    if elsewhere:
        return elsewhere
    spec = _draft_form_of(case)
    index = _step_position(spec, step_id)
    step = spec.steps[index]
    registry = registry_prefill(request.user, spec, client_ip=client_ip_of(request))

    if request.method == "GET":
        errors = {}
        values = {**case.draft_data, **registry.values}
        if request.GET.get("check"):
            result = schema.validate(
                spec,
                values,
                step_id=step.id,
                files=case_services.attachment_files(case),
                household=registry.household,
                today=timezone.localdate(),
            )
            errors = result.errors
        context = _step_context(request, case, spec, index, values, errors, lang, registry)
        return render(request, "portal/apply_step.html", context)

    upload_errors = case_services.attach_step_files(
        case=case,
        step_id=step.id,
        uploads={key: request.FILES.getlist(key) for key in request.FILES},
        by=request.user,
    )
    raw = merge_registry(schema.raw_from_post(step.fields, request.POST.getlist), step.fields, registry)
    # Household members are checked against the register when the account is linked.
    result = case_services.save_draft_step(case=case, step_id=step.id, raw=raw, household=registry.household)
    # An upload's own message says what was wrong with the file; it replaces "please attach a file".
    errors = {**result.errors, **upload_errors}

    if request.POST.get("action") == "save":
        messages.success(
            request,
            _("下書きを保存しました。マイページからいつでも続きを入力できます。"),
        )
        return redirect("portal:mypage")
    if errors:
        values = {**case.draft_data, **result.suggestions}
        values.update(_suggest_missing_kana(step.fields, values, errors, registry))
        context = _step_context(request, case, spec, index, values, errors, lang, registry)
        return render(request, "portal/apply_step.html", context, status=200)
    if index + 1 < len(spec.steps):
        return redirect("portal:apply_step", reference=case.reference, step_id=spec.steps[index + 1].id)
    return redirect("portal:review", reference=case.reference)


@resident_required
@require_http_methods(["GET", "POST"])
def discard_draft(request, reference: str):
    """Delete a draft after a confirmation page (a plain form: works without JavaScript)."""
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)  # 404 if not theirs
    if case.status != Status.DRAFT:
        messages.info(request, _("この申請はすでに提出されています。状況は次のとおりです。"))
        return redirect("portal:case", reference=reference)
    if request.method == "POST":
        case_services.discard_draft(applicant=request.user, reference=reference)
        messages.success(request, _("下書きを削除しました。"))
        return redirect("portal:mypage")
    return render(
        request,
        "portal/discard_draft.html",
        {"case": case, "procedure_name": case.procedure.name_for(lang_of(request))},
    )


def _first_step_with_errors(spec, errors) -> str:
    for step in spec.steps:
        if any(field.id in errors for field in step.fields):
            return step.id
    return spec.steps[0].id


@sensitive_post_parameters()  # a 個人番号 is posted here: no posted value goes into an error report
@resident_required
@require_http_methods(["GET", "POST"])
def review(request, reference: str):
    """Check the draft, ask the fields asked only on submission (a 個人番号, never kept in the draft), submit."""
    lang = lang_of(request)
    case, elsewhere = _draft_of(request, reference)
    if elsewhere:
        return elsewhere
    spec = procedure_selectors.spec_of(case.procedure_version)
    form = spec.draft_form()
    registry = registry_prefill(request.user, spec, client_ip=client_ip_of(request))
    asked_errors: dict[str, list[schema.Message]] = {}

    if request.method == "POST":
        asked = schema.raw_from_post(spec.submit_only_fields, request.POST.getlist)
        try:
            # The service validates the whole form once. The register's values are read again here:
            # whatever the draft holds, they are what is filed.
            case_services.submit_case(
                case=case, actor=request.user, raw={**asked, **registry.values}, household=registry.household
            )
        except case_services.CaseValidationError as exc:
            if not set(exc.errors) <= {f.id for f in spec.submit_only_fields}:
                messages.error(request, _("入力内容に問題があります。表示されている項目を直してください。"))
                step_id = _first_step_with_errors(form, exc.errors)
                return HttpResponseRedirect(
                    reverse("portal:apply_step", args=[case.reference, step_id]) + "?check=1"
                )
            asked_errors = exc.errors  # shown on this page, next to the fields asked here
            cleaned = exc.cleaned
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message(lang))
            return redirect("portal:case", reference=case.reference)
        else:
            return redirect("portal:receipt", reference=case.reference)
    else:
        result = case_services.check_draft(
            case=case, registry_values=registry.values, household=registry.household
        )
        if result.errors:
            messages.error(request, _("まだ入力されていない項目や、直す必要のある項目があります。"))
            step_id = _first_step_with_errors(form, result.errors)
            return HttpResponseRedirect(
                reverse("portal:apply_step", args=[case.reference, step_id]) + "?check=1"
            )
        cleaned = result.cleaned
    asked_fields = [
        schema.field_context(f, None, asked_errors.get(f.id), lang, spec=spec)
        for f in spec.submit_only_fields
    ]
    return render(
        request,
        "portal/review.html",
        {
            "case": case,
            "spec": spec,
            "sections": _review_sections(form, cleaned, case, lang),
            "asked_fields": asked_fields,
            "error_items": [
                {"target": context["input_id"], "label": context["label"], "message": message}
                for context in asked_fields
                for message in context["errors"]
            ],
            "procedure_name": case.procedure.name_for(lang),
            "last_step_url": reverse("portal:apply_step", args=[case.reference, form.steps[-1].id]),
        },
    )


def _review_sections(spec, cleaned, case, lang: str) -> list[dict]:
    """display_rows per step, each with a link back to the step to change it."""
    return [
        {
            "title": section.title,
            "rows": [  # a conditional question that was not asked is not listed
                row
                for f, row in zip(spec.step(section.step_id).fields, section.rows, strict=True)
                if schema.field_shown(spec, f, cleaned)
            ],
            "change_url": reverse("portal:apply_step", args=[case.reference, section.step_id]),
        }
        for section in schema.display_rows(spec, cleaned, lang)
    ]


@resident_required
def receipt(request, reference: str):
    lang = lang_of(request)
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)
    if case.status == Status.DRAFT:
        return redirect("portal:review", reference=reference)
    spec = procedure_selectors.spec_of(case.procedure_version)
    visit = booking_selectors.visit_of_case(
        case=case, appointment_type_code=spec.visit.appointment_type if spec.visit else None, lang=lang
    )
    return render(
        request,
        "portal/receipt.html",
        {"case": case, "spec": spec, "procedure_name": case.procedure.name_for(lang), "visit": visit},
    )


# ---- My Page -----------------------------------------------------------------------------------------------


@resident_required
def mypage(request):
    lang = lang_of(request)
    cases = list(case_selectors.cases_of_applicant(user=request.user))
    for case in cases:
        case.procedure_name = case.procedure.name_for(lang)
    return render(
        request,
        "portal/mypage.html",
        {
            "drafts": [c for c in cases if c.status == Status.DRAFT],
            "open_cases": [c for c in cases if c.status in workflow.IN_PROGRESS],
            "closed_cases": [c for c in cases if c.status in workflow.CLOSED],
            "unread_count": Notice.objects.filter(recipient=request.user, read_at__isnull=True).count(),
            "bookings": [
                {
                    "text": booking_services.describe(b, lang),
                    "reference": b.reference,
                    "manage_token": booking_services.manage_token(b),
                }
                for b in booking_selectors.bookings_of_user(request.user)
            ],
            "identity": account_selectors.identity_status(request.user),
            "identity_providers": [
                {"identifier": provider.identifier, "label": provider.label(lang)}
                for provider in identity_providers.enabled()
            ],
        },
    )


# ---- identity verification (本人確認) ---------------------------------------------------------------------------


def _identity_provider_or_404(identifier: str):
    provider = identity_providers.get(identifier)
    if provider is None:
        raise Http404("no such identity provider")
    return provider


@resident_required
@require_GET
def identity_start(request, provider: str):
    """Leave for the identity provider (a plain link: CSP form-action would stop a form posting off-site)."""
    plugin = _identity_provider_or_404(provider)
    if account_selectors.active_link_of(request.user) is not None:
        messages.info(request, _("このアカウントはすでに本人確認済みです。"))
        return redirect("portal:mypage")
    try:
        return plugin.start_login(request)
    except IdentityProviderError as exc:
        messages.error(request, exc.message(lang_of(request)))
        return redirect("portal:mypage")


@resident_required
@require_GET
def identity_callback(request, provider: str):
    """Back from the provider: check its answer, then link only on an exact single registry match."""
    lang = lang_of(request)
    plugin = _identity_provider_or_404(provider)
    try:
        claims = plugin.complete_login(request)
    except IdentityProviderError as exc:
        messages.error(request, exc.message(lang))
        return redirect("portal:mypage")
    outcome = accounts.link_by_identity_provider(
        user=request.user, claims=claims, provider=provider, client_ip=client_ip_of(request)
    )
    if outcome.linked:
        messages.success(request, outcome.message(lang))
    else:
        messages.warning(request, outcome.message(lang))
    return redirect("portal:mypage")


# ---- フリガナ suggestions ---------------------------------------------------------------------------------------

FURIGANA_MAX_NAME = 50
FURIGANA_WINDOW_SECONDS = 60
FURIGANA_LIMITS = {"session": 30, "ip": 120}  # requests per minute; one city-hall IP serves many counters


def _furigana_allowed(request) -> bool:
    """Count this request per session and per client IP; False once either is over its limit."""
    keys = {}
    if request.session.session_key:
        keys["session"] = f"furigana:session:{request.session.session_key}"
    ip = client_ip_of(request)
    if ip:
        keys["ip"] = f"furigana:ip:{ip}"
    allowed = True
    for kind, key in keys.items():
        if cache.add(key, 1, FURIGANA_WINDOW_SECONDS):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:
                cache.set(key, 1, FURIGANA_WINDOW_SECONDS)
                count = 1
        allowed = allowed and count <= FURIGANA_LIMITS[kind]
    return allowed


def _furigana_error(status: int, code: str, ja: str, en: str) -> JsonResponse:
    return JsonResponse(
        {"reading": "", "code": code, "message": {"ja": ja, "en": en}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
        headers={"Cache-Control": "no-store"},
    )


@require_GET
def furigana(request):
    """{"reading": "ミドリカワ　ハナコ"} for ?name=緑川 花子: a suggestion the resident checks; "" when unsure."""
    name = request.GET.get("name", "")
    if len(name) > FURIGANA_MAX_NAME:
        return _furigana_error(
            400,
            "too_long",
            f"氏名は{FURIGANA_MAX_NAME}文字以内で入力してください。",
            f"Please enter a name of at most {FURIGANA_MAX_NAME} characters.",
        )
    if not _furigana_allowed(request):
        return _furigana_error(
            429,
            "rate_limited",
            "読みの候補の取得が続いたため、しばらく候補を表示できません。フリガナを入力してください。",
            "Too many requests for readings. Please type the reading yourself.",
        )
    reading = suggest_reading(name) if name.strip() else ""
    return JsonResponse(
        {"reading": reading}, json_dumps_params={"ensure_ascii": False}, headers={"Cache-Control": "no-store"}
    )


def _case_page(request, case, *, reply_form=None, status=200):
    lang = lang_of(request)
    spec = procedure_selectors.spec_of(case.procedure_version)
    sections = schema.display_rows(spec, case.data, lang) if case.data else []
    can_reply = workflow.can(request.user, workflow.Action.PROVIDE_INFORMATION, case)
    if can_reply and reply_form is None:
        reply_form = forms.ReplyForm()
    return render(
        request,
        "portal/case_detail.html",
        {
            "case": case,
            "spec": spec,
            "procedure_name": case.procedure.name_for(lang),
            "timeline": case_selectors.timeline_for_applicant(case),
            "case_messages": case.messages.select_related("sender").order_by("created_at", "id"),
            "attachments": case.attachments.order_by("created_at", "id"),
            "sections": sections,
            "can_reply": can_reply,
            "can_withdraw": workflow.can(request.user, workflow.Action.WITHDRAW, case),
            "reply_form": reply_form if can_reply else None,
            "error_items": [],
        },
        status=status,
    )


@resident_required
def case_detail(request, reference: str):
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)
    return _case_page(request, case)


@resident_required
@require_POST
def case_reply(request, reference: str):
    lang = lang_of(request)
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)
    form = forms.ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_page(request, case, reply_form=form)
    try:
        with transaction.atomic():
            document = form.cleaned_data.get("document")
            if document:
                case_services.attach_file(case=case, uploaded=document, by=request.user)
            case_services.transition(
                case=case,
                action=workflow.Action.PROVIDE_INFORMATION,
                actor=request.user,
                note=form.cleaned_data["body"],
            )
    except case_services.UploadRejected as exc:
        form.add_error("document", exc.message(lang))
        return _case_page(request, case, reply_form=form)
    except workflow.TransitionNotAllowed as exc:
        messages.error(request, exc.message(lang))
        return redirect("portal:case", reference=case.reference)
    messages.success(request, _("返信を送りました。担当課が確認して審査を再開します。"))
    return redirect("portal:case", reference=case.reference)


@resident_required
@require_http_methods(["GET", "POST"])
def case_withdraw(request, reference: str):
    lang = lang_of(request)
    case = case_selectors.case_of_applicant(user=request.user, reference=reference)
    if not workflow.can(request.user, workflow.Action.WITHDRAW, case):
        messages.error(request, _("この申請は現在の状態では取り下げできません。"))
        return redirect("portal:case", reference=case.reference)
    form = forms.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case_services.transition(
                case=case,
                action=workflow.Action.WITHDRAW,
                actor=request.user,
                note=form.cleaned_data["reason"],
            )
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message(lang))
            return redirect("portal:case", reference=case.reference)
        messages.success(request, _("申請を取り下げました。"))
        return redirect("portal:case", reference=case.reference)
    return render(
        request,
        "portal/case_withdraw.html",
        {"case": case, "form": form, "procedure_name": case.procedure.name_for(lang)},
    )


@resident_required
def inbox(request):
    notices = (
        Notice.objects.filter(recipient=request.user).select_related("case").order_by("-created_at", "-id")
    )
    page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page, "lang": lang_of(request)})


@resident_required
@require_POST
def notice_read(request, notice_id: int):
    notify_services.mark_read(recipient=request.user, notice_id=notice_id)
    return redirect(_safe_next(request, reverse("portal:inbox")))


# ---- accounts ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request):
    """The same answer whether or not the address is registered (accounts.services.sign_up)."""
    if request.user.is_authenticated and request.user.is_resident:
        return redirect("portal:mypage")
    form = forms.SignUpForm(request.POST or None)
    next_path = local_path(request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "POST" and form.is_valid():
        try:
            email = accounts.sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
                language=lang_of(request),
                next_path=next_path,
            )
        except accounts.AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang_of(request)))
        else:
            # The browser that signed up (it knew the password) is signed in when the link is opened in it.
            request.session["portal_signup_email"] = email
            return redirect("portal:signup_done")
    return render(request, "portal/signup.html", {"form": form, "next": next_path})


def signup_done(request):
    return render(
        request, "portal/signup_done.html", {"email": request.session.get("portal_signup_email", "")}
    )


def _verify_email_failed(request, exc: accounts.AccountError):
    return render(
        request, "portal/verify_email.html", {"ok": False, "error": exc.message(lang_of(request))}, status=400
    )


def verify_email(request, uidb64: str, token: str):
    """Confirm the address; in the browser that signed up, also sign in and go on to where the resident
    was going (`next`, a path on this site only). Elsewhere the page says to sign in, keeping `next`."""
    next_path = local_path(request.GET.get("next") or "")
    try:
        user = accounts.verify_email(uidb64=uidb64, token=token)
    except accounts.AccountError as exc:
        return _verify_email_failed(request, exc)
    signed_up_here = request.session.get("portal_signup_email") == user.email
    if signed_up_here and user.is_resident and user.is_active:
        request.session.pop("portal_signup_email", None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("メールアドレスを確認し、ログインしました。"))
        return redirect(next_path or reverse("portal:mypage"))
    return render(request, "portal/verify_email.html", {"ok": True, "next": next_path})


def verify_email_old_link(request, token: str):
    """A link of the earlier format (reusable for 3 days): no longer accepted; says how to get a new one."""
    return _verify_email_failed(request, accounts.old_verification_link())


@require_http_methods(["GET", "POST"])
def resend_verification(request):
    """Send the confirmation email again. The answer is the same whether or not the address is known."""
    form = forms.ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.resend_verification(email=form.cleaned_data["email"], ip=client_ip_of(request))
        except accounts.AccountError as exc:
            form.add_error("email", exc.message(lang_of(request)))
        else:
            messages.success(
                request,
                _(
                    "登録されているメールアドレスで、確認が済んでいない場合は、確認メールを送りました。メールが届かないときは、迷惑メールのフォルダもご確認ください。"
                ),
            )
            return redirect("portal:login")
    return render(request, "portal/resend_verification.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_view(request):
    lang = lang_of(request)
    default_next = reverse("portal:mypage")
    if request.user.is_authenticated and request.user.is_resident:
        return redirect(_safe_next(request, default_next))
    form = forms.SignInForm(request.POST or None)
    not_verified = False
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.sign_in(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip_of(request),
                staff=False,
            )
        except accounts.AccountError as exc:
            form.add_error(None, exc.message(lang))
            not_verified = exc.code == "email_not_verified"
        else:
            login(request, user)
            return redirect(_safe_next(request, default_next))
    return render(
        request,
        "portal/login.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "not_verified": not_verified,
        },
    )


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, _("ログアウトしました。"))
    return redirect("portal:home")

"""Resident pages of the FAQ: the full-page chat (works without JavaScript), the JSON endpoint of the widget,
"was this helpful?", one entry, and inquiries to staff with their replies (My Page).

Thin: parse the request, call a service or selector, render. Inquiries are looked up by owner (404 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.decorators import resident_required
from madoguchi.cases import workflow
from madoguchi.core.audit import client_ip_of
from madoguchi.core.i18n import lang_of
from madoguchi.faq import selectors, services
from madoguchi.faq.forms import AskForm, InquiryForm, MessageForm
from madoguchi.faq.models import Intent

ASK_LIMIT = (30, 60)  # questions per client IP per minute
INQUIRY_LIMIT = (5, 3600)  # inquiries per client IP per hour (anonymous and signed in)


def _over_limit(request: HttpRequest, bucket: str, limit: tuple[int, int]) -> bool:
    """A simple fixed-window counter per client IP (cache-backed)."""
    allowed, window = limit
    key = f"faq:{bucket}:{client_ip_of(request) or 'unknown'}"
    if cache.add(key, 1, window):
        return False
    try:
        return cache.incr(key) > allowed
    except ValueError:
        cache.set(key, 1, window)
        return False


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# ---- the chat ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest) -> HttpResponse:
    """The full-page chat: a form POST answers with a page, so it works without JavaScript."""
    form = AskForm(request.POST if request.method == "POST" else None)
    result = None
    error = ""
    status = 200
    if request.method == "POST":
        if _over_limit(request, "ask", ASK_LIMIT):
            error = _("短い時間に質問が多すぎます。1分ほど待ってから、もう一度お試しください。")
            status = 429
        elif form.is_valid():
            result = services.ask(
                question=form.cleaned_data["question"],
                lang=form.cleaned_data.get("lang") or lang_of(request),
                user=request.user,
                channel="page",
            )
            form = AskForm(initial={"lang": lang_of(request)})
        else:
            status = 400
    return render(
        request,
        "faq/chat.html",
        {"form": form, "result": result, "error": error, "lang": lang_of(request)},
        status=status,
    )


def _entry_json(request: HttpRequest, view: selectors.EntryView | None) -> dict | None:
    if view is None:
        return None
    return {
        "id": view.faq_id,
        "category": view.category,
        "question": view.question,
        "answer": view.answer,
        "easy_answer": view.easy_answer,
        "lang": view.lang,
        "url": reverse("faq:entry", args=[view.faq_id]),
        "procedure": (
            {"name": view.procedure_name, "url": reverse("portal:procedure", args=[view.procedure_slug])}
            if view.procedure_slug
            else None
        ),
        "guide": (
            {
                "label": view.life_event_label,
                "url": f"{reverse('portal:catalog')}?life_event={view.life_event}",
            }
            if view.life_event
            else None
        ),
    }


def _result_json(request: HttpRequest, result: services.ChatResult) -> dict:
    inquiry_url = reverse("faq:inquiry_new")
    data = {
        **result.to_dict(),
        "kind": result.kind,
        "unsure": result.unsure,
        "lang": result.lang,
        "question": result.question,
        "shortened": result.shortened,
        "easy_preferred": result.easy_preferred,
        "token": result.token,
        "answer": _entry_json(request, result.best),
        "related": [
            {
                "id": v.faq_id,
                "question": v.question,
                "lang": v.lang,
                "url": reverse("faq:entry", args=[v.faq_id]),
            }
            for v in result.related
        ],
        "signed_in": result.signed_in,
        "inquiry_url": f"{inquiry_url}?from={result.token}" if result.token else inquiry_url,
    }
    if result.kind == Intent.STATUS:
        data["cases"] = [
            {
                "reference": case.reference,
                "procedure": case.procedure.name_for(lang_of(request)),
                "status": case.status,
                "status_label": workflow.status_label(case.status, workflow.RESIDENT),
                "url": reverse("portal:case", args=[case.reference]),
            }
            for case in result.cases
        ]
        data["mypage_url"] = reverse("portal:mypage")
        data["login_url"] = f"{reverse('portal:login')}?next={reverse('portal:mypage')}"
    return data


@require_POST
def ask_json(request: HttpRequest) -> JsonResponse:
    """The widget's endpoint (CSRF-protected POST): the answer as data; every text is shown with textContent."""
    if _over_limit(request, "ask", ASK_LIMIT):
        return JsonResponse(
            {
                "kind": "error",
                "message": _("短い時間に質問が多すぎます。1分ほど待ってから、もう一度お試しください。"),
            },
            status=429,
        )
    result = services.ask(
        question=request.POST.get("question", ""),
        lang=request.POST.get("lang") or lang_of(request),
        user=request.user,
        channel="widget",
    )
    return JsonResponse(_result_json(request, result), json_dumps_params={"ensure_ascii": False})


@require_POST
def feedback(request: HttpRequest) -> HttpResponse:
    """「役に立ちましたか？」 — a signed token names the question, so nobody can rate another's answer."""
    question = services.question_from_token(request.POST.get("token", ""))
    helpful = request.POST.get("helpful")
    if question is None or helpful not in {"yes", "no"}:
        message = _("回答の評価を受け付けられませんでした。もう一度質問してから、評価してください。")
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        return render(request, "faq/feedback.html", {"error": message}, status=400)
    services.record_feedback(question=question, helpful=helpful == "yes")
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return render(
        request,
        "faq/feedback.html",
        {
            "helpful": helpful == "yes",
            "inquiry_url": f"{reverse('faq:inquiry_new')}?from={request.POST['token']}",
        },
    )


@require_GET
def entry(request: HttpRequest, faq_id: str) -> HttpResponse:
    view = selectors.entry_view(faq_id, lang_of(request))
    return render(request, "faq/entry.html", {"entry": view, "lang": lang_of(request)})


# ---- inquiries ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def inquiry_new(request: HttpRequest) -> HttpResponse:
    """「職員に問い合わせる」: a ticket for the department owning the category; anonymous residents give an email."""
    lang = lang_of(request)
    signed_in = request.user.is_authenticated and request.user.is_resident
    if request.user.is_authenticated and not request.user.is_resident:
        return render(request, "portal/staff_account.html", status=403)
    token = request.POST.get("source") if request.method == "POST" else request.GET.get("from", "")
    chat_question = services.question_from_token(token or "")
    if request.method == "POST":
        form = InquiryForm(request.POST, lang=lang, signed_in=signed_in)
        if _over_limit(request, "inquiry", INQUIRY_LIMIT):
            form.add_error(
                None, _("短い時間にお問い合わせが多すぎます。しばらく待ってから、もう一度お送りください。")
            )
        elif form.is_valid():
            try:
                inquiry = services.open_inquiry(
                    question=form.cleaned_data["question"],
                    category=form.cleaned_data.get("category", ""),
                    resident=request.user if signed_in else None,
                    email=form.cleaned_data.get("email", ""),
                    lang=lang,
                    chat_question=chat_question,
                )
            except services.FaqError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message(lang))
            else:
                if signed_in:
                    messages.success(
                        request,
                        _(
                            "お問い合わせを受け付けました（受付番号 %(ref)s）。回答はこのページとメールでお知らせします。"
                        )
                        % {"ref": inquiry.reference},
                    )
                    return redirect("faq:inquiry_detail", reference=inquiry.reference)
                return render(request, "faq/inquiry_sent.html", {"inquiry": inquiry})
        status = 400
    else:
        initial = {"source": token or ""}
        if chat_question is not None:
            initial["question"] = chat_question.question
            initial["category"] = services.suggested_category(chat_question)
        form = InquiryForm(initial=initial, lang=lang, signed_in=signed_in)
        status = 200
    return render(request, "faq/inquiry_form.html", {"form": form, "signed_in": signed_in}, status=status)


@resident_required
@require_GET
def inquiry_list(request: HttpRequest) -> HttpResponse:
    inquiries = selectors.inquiries_of_resident(user=request.user)
    return render(request, "faq/inquiry_list.html", {"inquiries": inquiries, "lang": lang_of(request)})


def _inquiry_page(request: HttpRequest, inquiry, form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "faq/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "thread": selectors.inquiry_thread(inquiry),
            "form": form or MessageForm(),
            "lang": lang_of(request),
        },
        status=status,
    )


@resident_required
@require_GET
def inquiry_detail(request: HttpRequest, reference: str) -> HttpResponse:
    inquiry = selectors.inquiry_of_resident(user=request.user, reference=reference)
    return _inquiry_page(request, inquiry)


@resident_required
@require_POST
def inquiry_message(request: HttpRequest, reference: str) -> HttpResponse:
    inquiry = selectors.inquiry_of_resident(user=request.user, reference=reference)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.post_resident_message(
                inquiry=inquiry, resident=request.user, body=form.cleaned_data["body"]
            )
        except services.FaqError as exc:
            form.add_error("body", exc.message(lang_of(request)))
        else:
            messages.success(request, _("メッセージを送りました。担当課が確認して回答します。"))
            return redirect("faq:inquiry_detail", reference=inquiry.reference)
    return _inquiry_page(request, inquiry, form=form, status=400)

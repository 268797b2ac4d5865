"""Staff pages of the registry (住民記録): the applicant behind a case, and the resident search with a purpose.

Every read goes through `residents.access`, which checks the department or the stated purpose and writes
the audit row; these views only parse the request and render. The address of a person under 支援措置 and
the 個人番号 are shown only after a deliberate POST with a stated reason, by staff holding the permission.
The vault (`madoguchi.mynumber`) is imported only when MADOGUCHI_MY_NUMBER_ENABLED is on, so an office
without it never loads it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.decorators import staff_required
from madoguchi.cases import selectors as case_selectors
from madoguchi.core import audit
from madoguchi.core.i18n import lang_of
from madoguchi.jp import wareki
from madoguchi.jp.errors import JpValueError
from madoguchi.residents import access

REASON_MAX_LENGTH = access.REASON_MAX_LENGTH


def _my_number_enabled() -> bool:
    return bool(getattr(settings, "MY_NUMBER_ENABLED", False))


class PersonSearchForm(forms.Form):
    """The resident search: a purpose the department may state, a name or reading, a birth date."""

    purpose = forms.ChoiceField(
        label=gettext_lazy("検索の目的"),
        error_messages={
            "required": gettext_lazy("検索の目的を選んでください。目的は監査ログに記録されます。"),
            "invalid_choice": gettext_lazy("一覧にある目的を選んでください。"),
        },
    )
    name = forms.CharField(
        label=gettext_lazy("氏名"),
        required=False,
        max_length=100,
        error_messages={"max_length": gettext_lazy("100文字以内で入力してください。")},
    )
    name_kana = forms.CharField(
        label=gettext_lazy("フリガナ"),
        required=False,
        max_length=100,
        error_messages={"max_length": gettext_lazy("100文字以内で入力してください。")},
    )
    birth_date = forms.CharField(
        label=gettext_lazy("生年月日"),
        required=False,
        max_length=40,
        error_messages={
            "max_length": gettext_lazy("日付は 1985-04-01 や 昭和60年4月1日 の形で入力してください。")
        },
    )

    def __init__(self, data, *, purposes: list[access.Purpose], lang: str) -> None:
        super().__init__(data)
        self.lang = lang
        self.fields["purpose"].choices = [("", _("選択してください"))] + [
            (p.code, p.label(lang)) for p in purposes
        ]

    def clean_birth_date(self):
        text = self.cleaned_data["birth_date"].strip()
        if not text:
            return None
        try:
            return wareki.parse_date(text)
        except JpValueError as exc:
            raise forms.ValidationError(exc.message(self.lang)) from None

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("name") or "").strip() and not (cleaned.get("name_kana") or "").strip():
            self.add_error(
                "name", _("氏名またはフリガナを入力してください（生年月日だけでは検索できません）。")
            )
        return cleaned


@require_http_methods(["GET", "POST"])
@staff_required
def person_search(request: HttpRequest) -> HttpResponse:
    lang = lang_of(request)
    purposes = access.purposes_for(request.user)
    form = PersonSearchForm(request.POST if request.method == "POST" else None, purposes=purposes, lang=lang)
    result = None
    error = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = access.search_persons_for_staff(
                    staff=request.user,
                    query=access.PersonQuery(
                        name=form.cleaned_data["name"],
                        name_kana=form.cleaned_data["name_kana"],
                        birth_date=form.cleaned_data["birth_date"],
                    ),
                    purpose=form.cleaned_data["purpose"],
                    client_ip=audit.client_ip_of(request),
                )
            except (access.PurposeRequired, access.SearchCriteriaError) as exc:
                error = exc.message(lang)
            else:
                status = 200
    context = {
        "form": form,
        "purposes": purposes,
        "result": result,
        "error": error,
        "purpose": form.cleaned_data.get("purpose", "") if result is not None else "",
        "limit": access.SEARCH_LIMIT,
    }
    return render(request, "office/person_search.html", {"nav": "persons", **context}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def case_person(request: HttpRequest, reference: str) -> HttpResponse:
    """The applicant's registry record, opened from a case of the staff member's department."""
    via_case = case_selectors.via_case_for_staff(staff=request.user, reference=reference)
    return _person_page(request, person_id=None, purpose=access.CASE_REVIEW, via_case=via_case)


@require_http_methods(["GET", "POST"])
@staff_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """A registry record opened from the search; the purpose travels with the link (a code, no personal data)."""
    purpose = request.POST.get("purpose") if request.method == "POST" else request.GET.get("purpose")
    return _person_page(request, person_id=person_id, purpose=purpose or "", via_case=None)


def _person_page(
    request: HttpRequest, *, person_id: int | None, purpose: str, via_case: access.ViaCase | None
):
    lang = lang_of(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    reason = " ".join(request.POST.get("reason", "").split())[:REASON_MAX_LENGTH]
    lookup = {
        "staff": request.user,
        "person_id": person_id,
        "purpose": purpose,
        "via_case": via_case,
        "client_ip": audit.client_ip_of(request),
    }
    error = ""
    status = 200
    try:
        person = access.person_for_staff(**lookup, reveal_address=action == "reveal_address", reason=reason)
    except access.PersonNotLinked as exc:
        messages.error(request, exc.message(lang))
        return redirect("office:case_detail", reference=via_case.reference)
    except access.ProtectedAddressRefused as exc:
        if exc.code != "reason_required":
            return render(request, "office/person_refused.html", {"message": exc.message(lang)}, status=403)
        error, status = exc.message(lang), 400
        person = access.person_for_staff(**lookup)
    context = {
        "person": person,
        "purpose_label": access.purpose_label(person.purpose, lang),
        "error": error,
        "address_revealed": action == "reveal_address" and not person.address_withheld,
        "my_number": None,
        "reason_max_length": REASON_MAX_LENGTH,
    }
    if _my_number_enabled():
        my_number, my_number_error, my_number_status = _my_number_panel(request, person, action, reason, lang)
        context["my_number"] = my_number
        error = error or my_number_error
        status = max(status, my_number_status)
    context["error"] = error
    return render(request, "office/person_detail.html", {"nav": "persons", **context}, status=status)


def _my_number_panel(request: HttpRequest, person: access.PersonView, action: str, reason: str, lang: str):
    """The 個人番号 row: masked, or revealed once on a permitted POST with a reason (both audited)."""
    from madoguchi.mynumber import selectors as vault_selectors
    from madoguchi.mynumber import services as vault

    panel = {
        "masked": vault_selectors.masked_my_number(person=person),
        "may_reveal": vault.may_reveal(request.user),
        "revealed": "",
    }
    if action != "reveal_my_number":
        return panel, "", 200
    try:
        number = vault.reveal_my_number(
            person=person,
            actor=request.user,
            purpose=f"{access.purpose_label(person.purpose, 'ja')}: {reason}" if reason else "",
            client_ip=audit.client_ip_of(request),
        )
    except vault.MyNumberNotPermitted as exc:
        return panel, exc.message(lang), 400 if exc.code == "purpose_required" else 403
    except vault.MyNumberError as exc:
        return panel, exc.message(lang), 200
    panel["revealed"] = f"{number[:4]} {number[4:8]} {number[8:]}"
    return panel, "", 200

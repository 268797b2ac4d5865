"""The resident's side: the household's 確認書 on My Page, confirmed or corrected online (= applying online), or
declined (辞退) after a confirmation step that says what declining means."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.decorators import resident_required
from madoguchi.accounts.selectors import active_link_of
from madoguchi.core.errors import MadoguchiError
from madoguchi.core.i18n import lang_of
from madoguchi.jp.banks import find_bank, find_branch

from . import selectors, services
from .models import ApplicationKind, ApplicationStatus, Channel

# A filing that no longer stands: the household may file again (apply, or decline).
SETTLED = (ApplicationStatus.REJECTED, ApplicationStatus.DECLINE_WITHDRAWN)

ACCOUNT_TYPE_CHOICES = [("1", _("普通")), ("2", _("当座")), ("4", _("貯蓄"))]


class AccountForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("振込先口座"),
        choices=[("confirm", _("この口座で受け取る")), ("correct", _("別の口座を入力する"))],
        widget=forms.RadioSelect,
        initial="confirm",
    )
    bank_code = forms.CharField(label=_("金融機関コード（4桁）"), required=False, max_length=8)
    branch_code = forms.CharField(label=_("支店コード（3桁）"), required=False, max_length=6)
    account_type = forms.ChoiceField(label=_("預金種目"), choices=ACCOUNT_TYPE_CHOICES, required=False)
    account_number = forms.CharField(label=_("口座番号（7桁以内）"), required=False, max_length=10)
    holder_kana = forms.CharField(label=_("口座名義（カナ）"), required=False, max_length=60)

    def __init__(self, *args, has_account: bool, lang: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = lang
        if not has_account:
            self.fields["choice"].choices = [("correct", _("口座を入力する"))]
            self.fields["choice"].initial = "correct"

    def clean(self):
        data = super().clean()
        if data.get("choice") != "correct":
            return data
        for name in ("bank_code", "branch_code", "account_number", "holder_kana"):
            if not data.get(name):
                self.add_error(name, _("入力してください。"))
        if self.errors:
            return data
        account = services.AccountInput(
            data["bank_code"],
            data["branch_code"],
            data.get("account_type") or "1",
            data["account_number"],
            data["holder_kana"],
        )
        field_of = {
            "bank_code": "bank_code",
            "branch_code": "branch_code",
            "account_type": "account_type",
            "account_number": "account_number",
            "holder": "holder_kana",
            "amount": "choice",
            "customer_code": "choice",
        }
        for problem in services.account_problems(account):
            self.add_error(
                field_of.get(problem.field, "choice"), problem.en if self.lang == "en" else problem.ja
            )
        data["account"] = account
        return data


def _household_id(request: HttpRequest) -> int | None:
    link = active_link_of(request.user)
    return link.person.household_id if link else None


@resident_required
def confirmation_list(request: HttpRequest) -> HttpResponse:
    household_id = _household_id(request)
    items = selectors.confirmations_of_household(household_id) if household_id else []
    return render(
        request, "benefits/resident_list.html", {"verified": household_id is not None, "items": items}
    )


def _confirmation_of(request: HttpRequest, number: str):
    """(household id, the household's 確認書 `number`); 404 for anybody else's or an unlinked account."""
    household_id = _household_id(request)
    confirmation = next(
        (c for c in selectors.confirmations_of_household(household_id or 0) if c.number == number), None
    )
    if household_id is None or confirmation is None:
        raise Http404("not this resident's confirmation")
    return household_id, confirmation


def _title(program, request: HttpRequest) -> str:
    return program.title_en if lang_of(request) == "en" and program.title_en else program.title_ja


def _current(applications):
    """The household's filing that stands (its latest application or decline not rejected or withdrawn)."""
    return next((a for a in reversed(applications) if a.status not in SETTLED), None)


@resident_required
def confirmation_detail(request: HttpRequest, number: str) -> HttpResponse:
    household_id, confirmation = _confirmation_of(request, number)
    program = confirmation.eligibility.program
    applications = selectors.applications_of_household(program.pk, household_id)
    returned = next((a for a in applications if a.status == ApplicationStatus.RETURNED_TO_RESIDENT), None)
    current = _current(applications)
    declined = current if current is not None and current.kind == ApplicationKind.DECLINE else None
    closed = services.online_problem(program)  # past the deadline: no new application or decline online
    can_apply = (current is None and closed is None) or returned is not None
    form = AccountForm(
        request.POST or None, has_account=confirmation.has_account and returned is None, lang=lang_of(request)
    )
    error = ""
    if request.method == "POST" and can_apply and form.is_valid():
        account = form.cleaned_data.get("account")
        try:
            if returned is not None:
                services.correct_account(application=returned, account=account)
            else:
                services.apply(
                    program=program,
                    household=confirmation.eligibility.household,
                    channel=Channel.ONLINE,
                    account=account,
                    applicant=request.user,
                    refuse_if_declined=True,
                )
        except MadoguchiError as exc:
            error = exc.message(lang_of(request))
        else:
            return redirect("benefits_resident:detail", number=number)
    error_items = [
        {"target": form[name].auto_id, "label": form[name].label, "message": message}
        for name, messages in form.errors.items()
        for message in messages
    ]
    if error:
        error_items.append({"target": "", "label": "", "message": error})
    bank = find_bank(confirmation.bank_code) if confirmation.bank_code else None
    branch = find_branch(confirmation.bank_code, confirmation.branch_code) if bank else None
    return render(
        request,
        "benefits/resident_detail.html",
        {
            "confirmation": confirmation,
            "program": program,
            "program_title": _title(program, request),
            "eligibility": confirmation.eligibility,
            "bank": bank,
            "branch": branch,
            "current": current,
            "returned": returned,
            "declined": declined,
            "can_apply": can_apply,
            "can_decline": current is None and closed is None,
            "closed": closed.message(lang_of(request)) if closed is not None and current is None else "",
            "form": form,
            "error_items": error_items,
            "statuses": dict(ApplicationStatus.choices),
            "channels": dict(Channel.choices),
            "applications": applications,
        },
    )


@resident_required
@require_http_methods(["GET", "POST"])
def confirmation_decline(request: HttpRequest, number: str) -> HttpResponse:
    """Declining the benefit (辞退): a page that says plainly what it means, then the resident's POST. A
    household that already applied or declined gets the reason and what to do instead (no 500, nothing filed)."""
    household_id, confirmation = _confirmation_of(request, number)
    program = confirmation.eligibility.program
    lang = lang_of(request)
    applications = selectors.applications_of_household(program.pk, household_id)
    current = _current(applications)
    error = ""
    status = 200
    closed = services.online_problem(program)
    if current is None and closed is not None:
        error = closed.message(lang)
        status = 409
    elif current is not None:
        error = (
            pgettext(
                "benefits decline",
                "この世帯はすでに辞退しています（受付番号 %(number)s）。辞退を撤回する場合は、市の担当課に連絡して"
                "ください。",
            )
            if current.kind == ApplicationKind.DECLINE
            else pgettext(
                "benefits decline",
                "この世帯はすでに申請しています（受付番号 %(number)s）。申請があるうちは、ここからは辞退できません。"
                "辞退する場合は、市の担当課に連絡してください。",
            )
        ) % {"number": current.number}
        status = 409
    elif request.method == "POST":
        try:
            services.decline(
                program=program,
                household=confirmation.eligibility.household,
                channel=Channel.ONLINE,
                applicant=request.user,
                refuse_if_open=True,
            )
        except MadoguchiError as exc:
            error = exc.message(lang)
            status = 409
        else:
            return redirect("benefits_resident:detail", number=number)
    return render(
        request,
        "benefits/resident_decline.html",
        {
            "confirmation": confirmation,
            "program": program,
            "program_title": _title(program, request),
            "eligibility": confirmation.eligibility,
            "can_decline": current is None and not error,
            "error_items": [{"target": "", "label": "", "message": error}] if error else [],
        },
        status=status,
    )

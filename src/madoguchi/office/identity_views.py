"""The counter's identity-linking pages (本人確認・紐付け): find the resident's account, find them in the
registry with a stated purpose, check their photo ID, link. Also ending a link.

Only 市民課 counter staff and department admins (accounts.services.can_manage_identity_links). Every
registry person shown is read through accounts.selectors, which writes the audit row; linking and
unlinking go through accounts.services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts import selectors, services
from madoguchi.accounts.decorators import staff_required
from madoguchi.accounts.forms import AccountLookupForm, LinkForm, PersonSearchForm, RevokeForm
from madoguchi.accounts.models import AssuranceLevel, LinkMethod
from madoguchi.core import audit
from madoguchi.core.i18n import lang_of


def identity_staff_required(view: Callable) -> Callable:
    """Signed-in staff allowed to link identities; other staff see a page that says whom to ask."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.can_manage_identity_links(request.user):
            return render(request, "office/identity_forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


SEARCH_KEYS = ("purpose", "name", "birth_date")


def _search_query(query: QueryDict) -> str:
    """The person search's own parameters, re-encoded (to come back to the same results)."""
    return urlencode({key: query[key][:100] for key in SEARCH_KEYS if query.get(key)})


def _account_or_404(user_id: int):
    account = selectors.resident_account_by_id(user_id=user_id)
    if account is None:
        raise Http404("no such resident account")
    return account


@require_GET
@identity_staff_required
def identity_lookup(request: HttpRequest) -> HttpResponse:
    """Step 1: the resident's account, by the email address they tell the counter."""
    form = AccountLookupForm(request.GET or None)
    not_found = False
    if form.is_bound and form.is_valid():
        account = selectors.resident_account_by_email(email=form.cleaned_data["email"])
        if account is not None:
            return redirect("office:identity_account", user_id=account.pk)
        not_found = True
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "office/identity_lookup.html",
        {"nav": "identity", "form": form, "not_found": not_found},
        status=status,
    )


@require_GET
@identity_staff_required
def identity_account(request: HttpRequest, user_id: int) -> HttpResponse:
    """Step 2: the account's links, and a registry search with a stated purpose (each person shown is audited)."""
    account = _account_or_404(user_id)
    client_ip = audit.client_ip_of(request)
    links = selectors.links_of_account(staff=request.user, user=account, client_ip=client_ip)
    active = next((item for item in links if item.link.is_active), None)
    search_form = PersonSearchForm(request.GET if "purpose" in request.GET else None)
    persons = None
    if not active and search_form.is_bound and search_form.is_valid():
        persons = selectors.persons_for_identity_check(
            staff=request.user,
            name=search_form.cleaned_data["name"],
            birth_date=search_form.cleaned_data["birth_date"],
            client_ip=client_ip,
        )
    context = {
        "account": account,
        "links": links,
        "active": active,
        "search_form": search_form,
        "persons": persons,
        "revoke_form": RevokeForm(),
        "search_query": urlencode({"q": _search_query(request.GET)}),
    }
    status = 400 if search_form.is_bound and search_form.errors else 200
    return render(request, "office/identity_account.html", {"nav": "identity", **context}, status=status)


@require_http_methods(["GET", "POST"])
@identity_staff_required
def identity_confirm(request: HttpRequest, user_id: int, person_id: int) -> HttpResponse:
    """Step 3: compare the person with the photo ID, say which document it was, and link."""
    lang = lang_of(request)
    account = _account_or_404(user_id)
    client_ip = audit.client_ip_of(request)
    person = selectors.person_for_identity_check(staff=request.user, person_id=person_id, client_ip=client_ip)
    if person is None:
        raise Http404("no such resident in the register")
    form = LinkForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.link_identity(
                user=account,
                person=selectors.person_to_link(person_id=person.id),
                method=LinkMethod.COUNTER,
                assurance_level=AssuranceLevel.HIGH,
                verified_by=request.user,
                evidence=form.evidence(),
                client_ip=client_ip,
            )
        except services.IdentityError as exc:
            error = exc.message(lang)
        else:
            messages.success(
                request,
                _("アカウントを住民記録と紐付けました。住民の方に、本人確認が済んだことをお伝えください。"),
            )
            return redirect("office:identity_account", user_id=account.pk)
    back = reverse("office:identity_account", kwargs={"user_id": account.pk})
    query = _search_query(QueryDict(request.GET.get("q", "")[:500]))
    if query:
        back = f"{back}?{query}"
    context = {"account": account, "person": person, "form": form, "error": error, "back_url": back}
    status = 400 if request.method == "POST" else 200
    return render(request, "office/identity_confirm.html", {"nav": "identity", **context}, status=status)


@require_POST
@identity_staff_required
def identity_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """End a link (kept with who, when and why): a wrong link, or the resident asked for it."""
    link = selectors.link_by_id(link_id=link_id)
    if link is None:
        raise Http404("no such link")
    form = RevokeForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, error)
        return redirect("office:identity_account", user_id=link.user_id)
    try:
        services.unlink_identity(
            link=link,
            by=request.user,
            reason=form.cleaned_data["reason"],
            client_ip=audit.client_ip_of(request),
        )
    except services.IdentityError as exc:
        messages.error(request, exc.message(lang_of(request)))
    else:
        messages.success(request, _("紐付けを解除しました。"))
    return redirect("office:identity_account", user_id=link.user_id)

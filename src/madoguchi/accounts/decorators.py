"""Who may open a page: the two view decorators every room's views share.

`staff_required` guards every office page (the office, the nursery rounds, the FAQ office); `resident_required`
every page of a resident's own things (the portal's My Page, the FAQ inquiries). They live here, next to the
accounts they check, so that no room's views import another room's views for them. They name the pages they
send people to by URL name and template name only (`office:login`, `portal/staff_account.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from madoguchi.accounts import mfa


def staff_required(view: Callable) -> Callable:
    """Only signed-in staff. Anonymous visitors go to the office sign-in; residents get a plain 404.

    With MADOGUCHI_STAFF_MFA on, a session that has not passed the second factor (signed in before the
    setting was turned on, or whose authenticator was reset since) is signed out and sent to the sign-in.
    Every office page, the nursery and FAQ office pages included, is behind this one check.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('office:login')}?{query}")
        if not (user.is_active and user.is_office_staff):
            raise Http404("not an office page for this user")
        if not mfa.second_factor_passed(user):
            query = urlencode({"next": request.get_full_path()})
            logout(request)
            return redirect(f"{reverse('office:login')}?{query}")
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def resident_required(view):
    """Signed in as a resident; a staff account gets a page saying to use the office instead."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_resident:
            return render(request, "portal/staff_account.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper

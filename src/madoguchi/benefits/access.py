"""Who works on benefit programs: the staff of the departments that run them (settings.BENEFITS_DEPARTMENTS).

- benefits staff (reviewers, approvers and department administrators of those departments) take counter and
  paper applications, look residents up for a benefit, see conflicts side by side and issue receipts;
- deciders (the approvers and administrators among them) also approve, reject, send an approved application
  back for a new account, and export the 全銀 file.

Every other staff member sees the programs' figures only (aggregates, no personal data); auditors never work
on applications. Residents never reach an office page (`accounts.decorators.staff_required`: a 404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from madoguchi.accounts.decorators import staff_required
from madoguchi.accounts.models import Role

WORKERS = (Role.REVIEWER, Role.APPROVER, Role.DEPARTMENT_ADMIN)
DECIDERS = (Role.APPROVER, Role.DEPARTMENT_ADMIN)


def benefits_departments() -> tuple[str, ...]:
    return tuple(getattr(settings, "BENEFITS_DEPARTMENTS", ()))


def is_benefits_staff(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_office_staff):
        return False
    department = user.department
    return bool(department and department.code in benefits_departments() and user.role in WORKERS)


def may_decide(user) -> bool:
    return is_benefits_staff(user) and user.role in DECIDERS


def benefits_staff_required(view: Callable) -> Callable:
    """Office staff of a benefits department; other staff get a 403 page saying who may and what to do."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_benefits_staff(request.user):
            return render(
                request,
                "benefits/office_forbidden.html",
                {"nav": "benefits", "departments": benefits_departments()},
                status=403,
            )
        return view(request, *args, **kwargs)

    return staff_required(wrapper)

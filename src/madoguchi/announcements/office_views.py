"""The staff's announcement screens: list, write and edit (staff of the owning department)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from madoguchi.accounts.decorators import staff_required
from madoguchi.announcements import selectors, services
from madoguchi.announcements.forms import AnnouncementForm
from madoguchi.announcements.models import Announcement
from madoguchi.core.i18n import lang_of


@staff_required
def office_list(request):
    return render(
        request,
        "announcements/office/list.html",
        {
            "announcements": selectors.office_list(request.user),
            "nav": "announcements",
            "may_write": services.may_write(request.user),
            "lang": lang_of(request),
        },
    )


def _initial_of(announcement: Announcement) -> dict:
    return {field: getattr(announcement, field) for field in services.EDITABLE_FIELDS}


@staff_required
@require_http_methods(["GET", "POST"])
def office_edit(request, pk: int | None = None):
    announcement = None
    if pk is not None:
        announcement = get_object_or_404(Announcement, pk=pk)
        if not services.may_edit(request.user, announcement):
            raise Http404("not an announcement this staff member may edit")
    elif not services.may_write(request.user):
        raise Http404("this staff member may not write announcements")
    current_town = announcement.town if announcement else ""
    if request.method == "POST":
        form = AnnouncementForm(request.POST, current_town=current_town)
        if form.is_valid():
            services.save_announcement(user=request.user, data=form.cleaned_data, announcement=announcement)
            messages.success(request, _("お知らせを保存しました。"))
            return redirect("announcements_office:list")
    else:
        form = AnnouncementForm(
            initial=_initial_of(announcement) if announcement else None, current_town=current_town
        )
    return render(
        request,
        "announcements/office/edit.html",
        {"form": form, "announcement": announcement, "nav": "announcements"},
        status=400 if form.is_bound and form.errors else 200,
    )

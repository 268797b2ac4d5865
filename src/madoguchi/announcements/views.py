"""Residents' pages: the public list and a detail page (a signed-in resident also sees the ones for them)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from madoguchi.announcements import selectors
from madoguchi.core.i18n import lang_of

PER_PAGE = 20


def _visible(request):
    user = request.user
    if user.is_authenticated and user.is_resident:
        return selectors.for_resident(user)
    return selectors.public()


def index(request):
    page = Paginator(_visible(request), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "announcements/index.html", {"page": page, "lang": lang_of(request)})


def detail(request, pk: int):
    announcement = _visible(request).filter(pk=pk).first()
    if announcement is None:
        raise Http404("no such announcement, or not shown now")
    return render(
        request, "announcements/detail.html", {"announcement": announcement, "lang": lang_of(request)}
    )

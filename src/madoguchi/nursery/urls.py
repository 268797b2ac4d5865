"""Nursery office URLs; the project mounts them at office/nursery/ inside i18n_patterns (namespace "nursery")."""

from django.urls import path

from madoguchi.nursery import office_views

app_name = "nursery"
urlpatterns = [
    path("", office_views.round_list, name="rounds"),
    path("new/", office_views.round_new, name="round_new"),
    path("<str:round_id>/", office_views.round_detail, name="round"),
    path("<str:round_id>/run/", office_views.round_run, name="round_run"),
    path("<str:round_id>/publish/", office_views.round_publish, name="round_publish"),
    path(
        "<str:round_id>/children/<str:child_id>/override/", office_views.round_override, name="round_override"
    ),
]

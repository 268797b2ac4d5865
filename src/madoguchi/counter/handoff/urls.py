"""Office URLs of the hand-off; the project mounts them at office/handoff/ inside i18n_patterns (namespace
"handoff")."""

from django.urls import path

from madoguchi.counter.handoff import views

app_name = "handoff"
urlpatterns = [
    path("", views.office_index, name="index"),
    path("export/", views.office_export, name="export"),
    path("<int:export_id>/reexport/", views.office_reexport, name="reexport"),
]

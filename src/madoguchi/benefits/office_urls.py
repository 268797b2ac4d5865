"""The office's benefit pages, mounted at /office/benefits/ inside i18n_patterns (namespace "benefits")."""

from django.urls import path

from madoguchi.benefits import letter_views, office_views

app_name = "benefits"
urlpatterns = [
    path("", office_views.program_list, name="programs"),
    path("<slug:slug>/", office_views.dashboard, name="dashboard"),
    path("<slug:slug>/figures.csv", office_views.dashboard_csv, name="dashboard_csv"),
    path("<slug:slug>/conflicts/", office_views.conflicts, name="conflicts"),
    path("<slug:slug>/approve/", office_views.approve, name="approve"),
    path("<slug:slug>/export/", office_views.export, name="export"),
    path("<slug:slug>/letters/", letter_views.print_batch, name="letters"),
]

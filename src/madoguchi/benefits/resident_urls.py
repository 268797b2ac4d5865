"""The resident's benefit pages, mounted at /benefits/ inside i18n_patterns (namespace "benefits_resident")."""

from django.urls import path

from madoguchi.benefits import resident_views

app_name = "benefits_resident"
urlpatterns = [
    path("", resident_views.confirmation_list, name="list"),
    path("<str:number>/", resident_views.confirmation_detail, name="detail"),
    path("<str:number>/decline/", resident_views.confirmation_decline, name="decline"),
]

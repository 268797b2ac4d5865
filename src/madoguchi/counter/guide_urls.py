"""URLs of the life-event guide, mounted by the project at /guide/ inside i18n_patterns (namespace "guide")."""

from django.urls import path

from madoguchi.counter import guide_views

app_name = "guide"
urlpatterns = [
    path("", guide_views.guide_index, name="index"),
    path("<slug:event>/", guide_views.guide_detail, name="detail"),
]

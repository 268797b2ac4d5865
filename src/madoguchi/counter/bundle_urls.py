"""URLs of the pre-fill bundle (まとめて入力), mounted at /prefill/ inside i18n_patterns (namespace "prefill")."""

from django.urls import path

from madoguchi.counter import bundle_views

app_name = "prefill"
urlpatterns = [
    path("pages/<int:number>/", bundle_views.page, name="page"),
    path("review/", bundle_views.review, name="review"),
    path("cancel/", bundle_views.cancel, name="cancel"),
    path("<slug:event>/", bundle_views.start, name="start"),
]

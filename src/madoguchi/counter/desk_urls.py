"""URLs of the counter screen, mounted at /office/counter/ inside i18n_patterns (namespace "counter")."""

from django.urls import path

from madoguchi.counter import desk_views

app_name = "counter"
urlpatterns = [
    path("", desk_views.desk, name="desk"),
    path("start/<slug:event>/", desk_views.start_without_bundle, name="start"),
    path("figures/", desk_views.figures, name="figures"),
    path("visits/<int:pk>/", desk_views.visit_detail, name="visit"),
    path("visits/<int:pk>/person/", desk_views.select_person, name="person"),
    path("visits/<int:pk>/identity/", desk_views.identity_check, name="identity"),
    path("visits/<int:pk>/forms/", desk_views.add_form, name="add_form"),
    path("visits/<int:pk>/forms/<int:form_id>/", desk_views.edit_form, name="form"),
    path("visits/<int:pk>/forms/<int:form_id>/remove/", desk_views.remove_form, name="remove_form"),
    path("visits/<int:pk>/confirm/", desk_views.confirm, name="confirm"),
    path("visits/<int:pk>/print/", desk_views.print_forms, name="print"),
    path("visits/<int:pk>/<str:what>/", desk_views.mark, name="mark"),
]

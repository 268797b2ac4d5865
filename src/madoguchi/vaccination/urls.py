"""Residents' pages of vaccination booking, mounted at /vaccination/ inside i18n_patterns (namespace
"vaccination")."""

from django.urls import path

from madoguchi.vaccination import views

app_name = "vaccination"
urlpatterns = [
    path("<int:campaign>/", views.landing, name="landing"),
    path("<int:campaign>/enter/", views.enter, name="enter"),
    path("<int:campaign>/queue/", views.queue, name="queue"),
    path("<int:campaign>/book/", views.book, name="book"),
    path("<int:campaign>/book/slots/", views.slots, name="slots"),
    path("<int:campaign>/book/confirm/", views.confirm, name="confirm"),
    path("<int:campaign>/mine/", views.mine, name="mine"),
    path("<int:campaign>/mine/cancel/", views.cancel, name="cancel"),
]

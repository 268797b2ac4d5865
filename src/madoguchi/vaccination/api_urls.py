"""The lean JSON booking endpoint, mounted at /vaccination-api/ outside i18n_patterns."""

from django.urls import path

from madoguchi.vaccination import api_views

app_name = "vaccination_api"
urlpatterns = [path("<int:campaign>/book", api_views.book, name="book")]

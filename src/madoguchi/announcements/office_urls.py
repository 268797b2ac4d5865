from django.urls import path

from madoguchi.announcements import office_views

app_name = "announcements_office"
urlpatterns = [
    path("", office_views.office_list, name="list"),
    path("new/", office_views.office_edit, name="new"),
    path("<int:pk>/", office_views.office_edit, name="edit"),
]

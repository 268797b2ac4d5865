"""Office pages of vaccination booking, mounted at /office/vaccination/ (namespace "vaccination_office")."""

from django.urls import path

from madoguchi.vaccination import office_views

app_name = "vaccination_office"
urlpatterns = [
    path("", office_views.campaign_list, name="campaigns"),
    path("<int:pk>/", office_views.campaign_detail, name="campaign"),
    path("<int:pk>/waves/", office_views.add_wave, name="add_wave"),
    path("<int:pk>/sessions/", office_views.add_sessions, name="add_sessions"),
    path("<int:pk>/invitations/", office_views.issue_invitations, name="issue"),
    path("<int:pk>/letters/", office_views.print_letters, name="letters"),
]

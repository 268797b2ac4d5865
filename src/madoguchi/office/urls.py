from django.urls import path

from madoguchi.office import views

app_name = "office"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in_view, name="login"),
    path("logout/", views.sign_out_view, name="logout"),
    path("bulk/approve/", views.bulk_approve, name="bulk_approve"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/actions/", views.case_action, name="case_action"),
    path("cases/<str:reference>/notes/", views.add_note, name="add_note"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/",
        views.download_attachment,
        name="attachment",
    ),
    path("audit/", views.audit_search, name="audit"),
]

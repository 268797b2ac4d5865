from django.urls import path

from madoguchi.office import dashboard_views, identity_views, mfa_views, person_views, views
from madoguchi.office.password_views import staff_flow

app_name = "office"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in_view, name="login"),
    path("login/code/", mfa_views.sign_in_code, name="login_code"),
    path("login/setup/", mfa_views.sign_in_setup, name="login_setup"),
    path("logout/", views.sign_out_view, name="logout"),
    path("password/reset/", staff_flow.request_link, name="password_reset"),
    path("password/reset/sent/", staff_flow.sent, name="password_reset_sent"),
    path("password/reset/done/", staff_flow.done, name="password_reset_done"),
    path("password/reset/<str:uidb64>/set/", staff_flow.set_password, name="password_reset_set"),
    path("password/reset/<str:uidb64>/<str:token>/", staff_flow.open_link, name="password_reset_link"),
    path("bulk/approve/", views.bulk_approve, name="bulk_approve"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/actions/", views.case_action, name="case_action"),
    path("cases/<str:reference>/notes/", views.add_note, name="add_note"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/",
        views.download_attachment,
        name="attachment",
    ),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/pages/<int:page>/",
        views.attachment_preview,
        name="attachment_preview",
    ),
    path("audit/", views.audit_search, name="audit"),
    path("cases/<str:reference>/person/", person_views.case_person, name="case_person"),
    path("persons/", person_views.person_search, name="person_search"),
    path("persons/<int:person_id>/", person_views.person_detail, name="person_detail"),
    path("identity/", identity_views.identity_lookup, name="identity_lookup"),
    path("identity/accounts/<int:user_id>/", identity_views.identity_account, name="identity_account"),
    path(
        "identity/accounts/<int:user_id>/persons/<int:person_id>/",
        identity_views.identity_confirm,
        name="identity_confirm",
    ),
    path("identity/links/<int:link_id>/revoke/", identity_views.identity_revoke, name="identity_revoke"),
]

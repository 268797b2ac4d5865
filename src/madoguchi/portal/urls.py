from django.urls import path

from madoguchi.portal import views
from madoguchi.portal.password_views import resident_flow

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/", views.catalog, name="catalog"),
    path("privacy/", views.privacy_policy, name="privacy"),
    path("accessibility/", views.accessibility_policy, name="accessibility"),
    path("procedures/<slug:slug>/", views.procedure_detail, name="procedure"),
    path("procedures/<slug:slug>/apply/", views.apply, name="apply"),
    path("applications/<str:reference>/", views.resume, name="resume"),
    path("applications/<str:reference>/step/<str:step_id>/", views.apply_step, name="apply_step"),
    path("applications/<str:reference>/review/", views.review, name="review"),
    path("applications/<str:reference>/discard/", views.discard_draft, name="discard_draft"),
    path("applications/<str:reference>/receipt/", views.receipt, name="receipt"),
    path("mypage/", views.mypage, name="mypage"),
    path("mypage/cases/<str:reference>/", views.case_detail, name="case"),
    path("mypage/cases/<str:reference>/reply/", views.case_reply, name="case_reply"),
    path("mypage/cases/<str:reference>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("mypage/notices/", views.inbox, name="inbox"),
    path("mypage/notices/<int:notice_id>/read/", views.notice_read, name="notice_read"),
    path("mypage/identity/<slug:provider>/start/", views.identity_start, name="identity_start"),
    path("mypage/identity/<slug:provider>/callback/", views.identity_callback, name="identity_callback"),
    path("furigana/", views.furigana, name="furigana"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_done, name="signup_done"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:uidb64>/<str:token>/", views.verify_email, name="verify_email"),
    path("verify/<str:token>/", views.verify_email_old_link, name="verify_email_old_link"),
    path("login/", views.login_view, name="login"),
    path("password/reset/", resident_flow.request_link, name="password_reset"),
    path("password/reset/sent/", resident_flow.sent, name="password_reset_sent"),
    path("password/reset/done/", resident_flow.done, name="password_reset_done"),
    path("password/reset/<str:uidb64>/set/", resident_flow.set_password, name="password_reset_set"),
    path("password/reset/<str:uidb64>/<str:token>/", resident_flow.open_link, name="password_reset_link"),
    path("logout/", views.logout_view, name="logout"),
]

"""FAQ URLs, mounted by the project at /faq/ inside i18n_patterns (namespace "faq")."""

from django.urls import path

from madoguchi.faq import office_views, views

app_name = "faq"
urlpatterns = [
    # Residents
    path("", views.chat, name="chat"),
    path("ask.json", views.ask_json, name="ask_json"),
    path("feedback/", views.feedback, name="feedback"),
    path("entries/<str:faq_id>/", views.entry, name="entry"),
    path("inquiries/", views.inquiry_list, name="inquiries"),
    path("inquiries/new/", views.inquiry_new, name="inquiry_new"),
    path("inquiries/<str:reference>/", views.inquiry_detail, name="inquiry_detail"),
    path("inquiries/<str:reference>/messages/", views.inquiry_message, name="inquiry_message"),
    # Staff
    path("office/", office_views.entry_list, name="office_entries"),
    path("office/entries/new/", office_views.entry_new, name="office_entry_new"),
    path("office/entries/<str:faq_id>/", office_views.entry_detail, name="office_entry"),
    path("office/entries/<str:faq_id>/settings/", office_views.entry_settings, name="office_entry_settings"),
    path("office/inquiries/", office_views.inquiry_queue, name="office_inquiries"),
    path("office/inquiries/<str:reference>/", office_views.inquiry_detail, name="office_inquiry"),
    path("office/inquiries/<str:reference>/reply/", office_views.inquiry_reply, name="office_inquiry_reply"),
    path("office/inquiries/<str:reference>/close/", office_views.inquiry_close, name="office_inquiry_close"),
    path(
        "office/inquiries/<str:reference>/promote/",
        office_views.inquiry_promote,
        name="office_inquiry_promote",
    ),
    path("office/review/", office_views.review, name="office_review"),
    path("office/review/phrasing/", office_views.review_phrasing, name="office_review_phrasing"),
    path("office/review/dismiss/", office_views.review_dismiss, name="office_review_dismiss"),
    path("office/analytics/", office_views.analytics, name="office_analytics"),
]

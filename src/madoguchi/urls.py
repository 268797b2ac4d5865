from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from django.views.i18n import set_language

from madoguchi.api.api import api, not_found

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/", not_found),  # anything under /api/ the routes above cannot match: JSON, not HTML
    path("i18n/setlang/", set_language, name="set_language"),
    path("vaccination-api/", include("madoguchi.vaccination.api_urls")),
]
urlpatterns += i18n_patterns(
    path("office/nursery/", include("madoguchi.nursery.urls")),
    path("office/counter/", include("madoguchi.counter.desk_urls")),
    path("office/handoff/", include("madoguchi.counter.handoff.urls")),
    path("office/rules/", include("madoguchi.automation.urls")),
    path("office/intake/", include("madoguchi.intake.urls")),
    path("office/benefits/", include("madoguchi.benefits.office_urls")),
    path("office/vaccination/", include("madoguchi.vaccination.office_urls")),
    path("office/announcements/", include("madoguchi.announcements.office_urls")),
    path("office/", include("madoguchi.office.urls")),
    path("office/booking/", include("madoguchi.booking.office_urls")),
    path("booking/", include("madoguchi.booking.urls")),
    path("faq/", include("madoguchi.faq.urls")),
    path("guide/", include("madoguchi.counter.guide_urls")),
    path("prefill/", include("madoguchi.counter.bundle_urls")),
    path("benefits/", include("madoguchi.benefits.resident_urls")),
    path("vaccination/", include("madoguchi.vaccination.urls")),
    path("announcements/", include("madoguchi.announcements.urls")),
    path("", include("madoguchi.portal.urls")),
    prefix_default_language=False,
)

# Styled pages for errors, for residents and staff, ja/en, that need no database (core/error_pages.py).
handler400 = "madoguchi.core.error_pages.bad_request"
handler403 = "madoguchi.core.error_pages.permission_denied"
handler404 = "madoguchi.core.error_pages.page_not_found"
handler500 = "madoguchi.core.error_pages.server_error"

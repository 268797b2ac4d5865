"""The project's URLs with the FAQ mounted at /faq/ as the lead mounts it (used by the tests until urls.py has it)."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import NoReverseMatch, include, path, reverse

from madoguchi import urls as project


def _faq_mounted() -> bool:
    try:
        reverse("faq:chat", urlconf=project)
    except NoReverseMatch:
        return False
    return True


urlpatterns = list(project.urlpatterns)
if not _faq_mounted():
    urlpatterns += i18n_patterns(path("faq/", include("madoguchi.faq.urls")), prefix_default_language=False)

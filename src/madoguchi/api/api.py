"""The API assembly: each app contributes a router; OpenAPI at /api/docs and /api/openapi.json.

Everything is versioned under /api/v1/. Errors have one shape everywhere (api/errors.py). The reference is
docs/api.md.
"""

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Router
from ninja.openapi.docs import Swagger, _csrf_needed

from madoguchi.api.errors import register_exception_handlers
from madoguchi.api.postal import router as postal_router
from madoguchi.api.renderers import Utf8JSONRenderer
from madoguchi.cases.api import ERROR_ANSWERS as CASE_ERROR_ANSWERS
from madoguchi.cases.api import office_router, resident_router
from madoguchi.faq.api import router as faq_router
from madoguchi.procedures.api import router as procedures_router


class BundledSwagger(Swagger):
    """The Swagger UI from ninja's own static files, never a CDN (closed networks).

    ninja serves its bundled copy only when "ninja" is in INSTALLED_APPS, which would import ninja at every
    start of a command; settings.py adds ninja's template and static directories instead.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)


api = NinjaAPI(
    title="Madoguchi API",
    version="1",
    description=(
        "Procedures and their form schemas, postal-code lookup, residents' own cases (portal session + CSRF) "
        "and the department queue for staff systems (Authorization: Bearer mdg_…). Errors always have the "
        'shape {"code", "message": {"ja", "en"}, "fields"?}. See docs/api.md.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    docs=BundledSwagger(),
    openapi_url="/openapi.json",
    renderer=Utf8JSONRenderer(),
)
register_exception_handlers(api, CASE_ERROR_ANSWERS)

api.add_router("/v1/procedures", procedures_router)
api.add_router("/v1/postal-codes", postal_router)
api.add_router("/v1/me/cases", resident_router)
api.add_router("/v1/office", office_router)
api.add_router("/v1/faq", faq_router)

# Added last: URLs resolve in order, so this only catches what no router above answers.
fallback_router = Router(auth=None)


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str):
    """Any other URL under /api/ answers with the standard JSON 404, not an HTML page."""
    raise Http404("no such endpoint")


api.add_router("", fallback_router)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The API's JSON 404 for what no route can match, e.g. a path holding a line break (`{path:rest}` does
    not match one); mounted in madoguchi/urls.py after the API's own URLs."""
    return api.on_exception(request, Http404("no such endpoint"))

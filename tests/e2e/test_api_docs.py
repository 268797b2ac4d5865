"""The API's interactive documentation (/api/docs) in Chromium under its own Content-Security-Policy: Swagger UI
from our static files renders every operation, "Try it out" reaches the API, and the browser reports no
violation of the policy (and loads nothing from another origin)."""

from __future__ import annotations

import pytest

from madoguchi.core.middleware import DOCS_CSP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_works_under_its_csp(live_server, new_page):
    page = new_page(1280, 900)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    response = page.goto(f"{live_server.url}/api/docs")

    assert response.headers["content-security-policy"] == DOCS_CSP
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 12  # every documented operation
    # Try it out: the postal-code lookup, a fetch to the API under connect-src 'self'.
    operation = page.locator("#operations-postal_codes-madoguchi_api_postal_postal_code")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder='code']").fill("100-0001")
    operation.get_by_role("button", name="Execute").click()
    operation.locator(".live-responses-table .response-col_status").first.wait_for()
    assert "千代田区" in operation.locator(".live-responses-table").inner_text()

    assert page.evaluate("window.__violations") == []
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests), requests

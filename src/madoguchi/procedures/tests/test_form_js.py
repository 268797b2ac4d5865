"""form.js in Chromium: the address is filled from the postal code, and never overwritten."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from madoguchi.procedures.schema import field_context
from madoguchi.procedures.spec import load_procedure_file

from .conftest import REPO_PROCEDURES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]

FORM_JS = Path(__file__).resolve().parents[1] / "static" / "procedures" / "form.js"
ORIGIN = "http://madoguchi.test"


def test_postal_code_fills_an_empty_address_only(browser):
    spec = load_procedure_file(REPO_PROCEDURES / "juminhyo-copy.yaml")
    fields = "".join(
        render_to_string(
            "procedures/field.html", {"field": field_context(spec.field(i), None, None, "ja", spec=spec)}
        )
        for i in ("applicant_postal_code", "applicant_address")
    )
    page_html = f'<!doctype html><html lang="ja"><body><form>{fields}</form><script src="/form.js"></script></body></html>'
    lookups: list[str] = []

    def serve(route):
        url = route.request.url
        if url == f"{ORIGIN}/form":
            return route.fulfill(body=page_html, content_type="text/html; charset=utf-8")
        if url == f"{ORIGIN}/form.js":
            return route.fulfill(body=FORM_JS.read_text(encoding="utf-8"), content_type="text/javascript")
        lookups.append(url.removeprefix(ORIGIN))
        body = {"postal_code": "1000001", "prefecture": "東京都", "city": "千代田区", "town": "千代田"}
        return route.fulfill(body=json.dumps(body), content_type="application/json")

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/form")
        page.fill("#f-applicant_postal_code", "１００－０００")  # 6 digits: nothing yet
        page.type("#f-applicant_postal_code", "1")
        page.wait_for_function("() => document.getElementById('f-applicant_address').value !== ''")
        assert page.input_value("#f-applicant_address") == "東京都千代田区千代田"
        assert "郵便番号から住所を入力しました" in page.text_content("#f-applicant_postal_code-status")
        assert lookups == ["/api/v1/postal-codes/1000001"]

        page.fill("#f-applicant_address", "みどり市中央1-1")
        page.fill("#f-applicant_postal_code", "1000002")
        assert page.input_value("#f-applicant_address") == "みどり市中央1-1"
        assert lookups == ["/api/v1/postal-codes/1000001"]
    finally:
        context.close()

"""The paper intake's verification screen in Chromium with the keyboard only (axe on every page): a scanned form
(the product's own printed form, rasterised with noise, read by the real engine) waits with its unsure fields;
a clerk accepts each proposal with Enter and corrects a misread one by typing, and the form becomes a case with
channel=paper, each field marked machine-read, confirmed or corrected, and by whom; the whole-form page and every
crop it loads are one audit row."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from madoguchi.accounts.tests.factories import PASSWORD
from madoguchi.cases.models import Channel
from madoguchi.core.models import AuditEvent
from madoguchi.counter.tests.support import counter_clerk, publish_procedures
from madoguchi.intake import services
from madoguchi.intake.models import FieldReading, PaperForm, ReadingStatus
from madoguchi.intake.tests.scans import filled_values, scan_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "inkan-certificate"
MAX_FIELDS = 40


@pytest.fixture
def scanned_form(live_server, settings):
    cache.clear()
    publish_procedures()
    settings.OCR_ACCEPT_CONFIDENCE = "0.995"  # a strict threshold: several fields wait for a person
    values = filled_values(SLUG)
    batch = services.start_batch(name="e2e", source="cli")
    received = services.receive_file(batch=batch, data=scan_of(SLUG, values), filename="scan.pdf")
    services.process_file(scanned_file=received.file)
    form = PaperForm.objects.get()
    # The engine "misread" the number of copies: 7 for 1. The clerk will type the right one.
    FieldReading.objects.filter(form=form, field_id="copies").update(
        proposed=7, value=7, confidence=0.5, status=ReadingStatus.PENDING
    )
    return live_server.url, form, values


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/office/login/")
    page.get_by_label("メールアドレス", exact=True).focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_unsure_fields_are_verified_with_the_keyboard_alone(scanned_form, new_page, axe_check):
    base, form, _values = scanned_form
    clerk = counter_clerk(password=PASSWORD)
    page = new_page(1280, 900)
    _sign_in(page, base, clerk.email)

    page.goto(f"{base}/office/intake/")
    axe_check(page)
    page.goto(f"{base}/office/intake/verify/")
    axe_check(page)
    seen = []
    for _ in range(MAX_FIELDS):
        if "/verify/" not in page.url or page.locator("[data-intake-verify]").count() == 0:
            break
        reading = FieldReading.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[-1]))
        seen.append(reading.field_id)
        assert page.locator(".intake-crop img").count() == (1 if reading.crop else 0)
        focused = page.evaluate("document.activeElement.name")
        assert focused, f"nothing focused on {page.url}"
        if reading.field_id == "copies":
            assert focused == "copies"
            page.keyboard.type("1")  # the value is selected: typing replaces it
        with page.expect_navigation(timeout=90_000):  # the last one files the case and renders its scans
            page.keyboard.press("Enter")
    assert "確認を待っている項目はありません" in page.inner_text("main")
    axe_check(page)
    assert "copies" in seen

    form.refresh_from_db()
    assert form.status == PaperForm.Status.DONE
    case = form.case
    assert case.channel == Channel.PAPER and case.data["copies"] == 1
    copies = form.readings.get(field_id="copies")
    assert copies.status == ReadingStatus.CORRECTED and copies.decided_by == clerk
    confirmed = form.readings.filter(status=ReadingStatus.CONFIRMED)
    assert all(r.decided_by == clerk for r in confirmed)

    # The whole-form view shows every field with who decided it (and passes axe), and the look at it is one
    # audit row however many crops the browser loads.
    looks = AuditEvent.objects.filter(object_type="paper_form", object_id=str(form.pk), actor_id=clerk.pk)
    before = looks.count()
    page.goto(f"{base}/office/intake/forms/{form.pk}/")
    axe_check(page)
    text = page.inner_text("main")
    assert case.reference in text and "職員が修正" in text and "自動で確定" in text
    crops = page.locator("img.intake-crop__img")
    assert crops.count() > 5
    for index in range(crops.count()):  # lazy images load as they come into view
        crops.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.intake-crop__img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert looks.count() == before + 1
    assert sorted(looks.order_by("-id").first().fields) == sorted(
        form.readings.values_list("field_id", flat=True)
    )

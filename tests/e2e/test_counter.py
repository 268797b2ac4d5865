"""書かない窓口 end to end in Chromium: on a 360 px phone, with the keyboard only, a resident fills in the birth
guide's three online forms at once (axe on every page, nothing overflows), gets a QR code and a short code; the
QR code, screenshotted and read back with zxing-cpp, holds a reference the counter accepts; a clerk then opens
the bundle by its short code on the counter screen, records the identity check and confirms: three cases with
channel=counter."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.core.cache import cache
from PIL import Image

from madoguchi.accounts.tests.factories import PASSWORD
from madoguchi.cases.models import Case, Channel
from madoguchi.counter import services
from madoguchi.counter.models import Bundle, Visit
from madoguchi.counter.tests.support import FORMS, SHARED, counter_clerk, publish_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 360
MAX_TABS = 150
GUIDE_QUERY = "kokuho=yes&other_children=no&nursery=no&date=2026-01-10&answered=1"
SHARED_ORDER = (  # the shared page's inputs, in the order of the first form (jido-teate)
    "prefill:person.name",
    "prefill:person.name_kana",
    "prefill:person.postal_code",
    "prefill:person.address",
    "prefill:person.phone",
)


@pytest.fixture
def town(live_server):
    cache.clear()
    publish_procedures()
    return live_server.url


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def _tab_to(page, selector: str) -> None:
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab on {page.url}")


def _type(page, name: str, text: str) -> None:
    _tab_to(page, f'[name="{name}"]')
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _choose(page, name: str, value: str) -> None:
    """A radio button, an option of a select, or a single checkbox, with the keyboard."""
    _tab_to(page, f'[name="{name}"]')
    kind = page.evaluate("document.activeElement.type")
    if kind == "checkbox":
        page.keyboard.press("Space")
        return
    if kind == "radio" and not page.evaluate(f"!!document.querySelector('[name=\"{name}\"]:checked')"):
        page.keyboard.press("Space")
    for _ in range(12):
        current = page.evaluate(
            f"(document.querySelector('[name=\"{name}\"]:checked') || document.activeElement).value"
            if kind == "radio"
            else "document.activeElement.value"
        )
        if current == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {value} for {name}")


def _answer(page, name: str, value) -> None:
    if isinstance(value, dict):
        for part, text in value.items():
            if part == "account_type":
                _choose(page, f"{name}.{part}", text)
            else:
                _type(page, f"{name}.{part}", text)
    elif value is True:
        _choose(page, name, "on")
    elif (
        page.evaluate(f"document.querySelector('[name=\"{name}\"]').tagName") == "SELECT"
        or page.evaluate(f"document.querySelector('[name=\"{name}\"]').type") == "radio"
    ):
        _choose(page, name, value)
    else:
        _type(page, name, value)


def _next(page) -> None:
    _tab_to(page, 'button[type="submit"][value="next"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_phone_prefill_then_counter(town, new_page, axe_check):
    page = new_page(WIDTH, 740)
    page.goto(f"{town}/guide/birth/?{GUIDE_QUERY}")
    _tab_to(page, "a.button[href^='/prefill/birth/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1, name="まとめて入力する").is_visible()
    assert page.locator("input[name='procedure']:checked").count() == 3
    axe_check(page)
    _fits(page)
    _tab_to(page, "button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The shared page: each question once for the three forms.
    assert page.get_by_role("heading", level=1, name="共通の項目").is_visible()
    axe_check(page)
    _fits(page)
    for index, key in enumerate(SHARED_ORDER, start=1):
        _type(page, f"shared_{index}", SHARED[key])
    _next(page)

    # Each form's own pages, in order, until the review.
    pages = 1
    while "/prefill/pages/" in page.url:
        pages += 1
        axe_check(page)
        _fits(page)
        names = page.evaluate(
            "Array.from(document.querySelectorAll('main form.form [name]')).map(e => e.name)"
        )
        wanted = {}
        for name in dict.fromkeys(n.split(".")[0] for n in names):
            for values in FORMS.values():
                if name in values:
                    wanted[name] = values[name]
                    break
        for name, value in wanted.items():
            _answer(page, name, value)
        _next(page)
        assert page.get_by_role("alert").count() == 0, page.locator("main").inner_text()[:2000]
    assert pages == 10  # the shared page + 4 (児童手当) + 2 (子ども医療費) + 3 (国民健康保険)
    assert page.url.endswith("/prefill/review/")
    assert page.locator("h2.panel__title").count() == 3
    axe_check(page)
    _fits(page)
    _tab_to(page, "main form button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The QR code and the short code.
    assert page.get_by_role("heading", level=1, name="窓口で見せるコード").is_visible()
    axe_check(page)
    _fits(page)
    short_code = page.locator("#short-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", short_code)
    png = page.locator("#prefill-qr svg").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(decoded) == 1
    reference = decoded[0].text
    assert services.read_code(reference) == ("reference", reference)
    assert len(reference) >= 22  # ≥ 128 random bits, and nothing but the reference
    assert Bundle.objects.filter(reference_hash=services.code_hash("reference", reference)).exists()

    # The counter screen: sign in, open the bundle by its short code, identity check, confirm.
    clerk = counter_clerk(password=PASSWORD)
    desk = new_page(1280, 900)
    desk.goto(f"{town}/office/login/")
    desk.get_by_label("メールアドレス", exact=True).focus()
    desk.keyboard.type(clerk.email)
    desk.keyboard.press("Tab")
    desk.keyboard.type(PASSWORD)
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    desk.goto(f"{town}/office/counter/")
    axe_check(desk)
    # ready for a keyboard-wedge scanner (autofocus lands in a rendering step after load)
    desk.wait_for_function("() => document.activeElement && document.activeElement.id === 'code'")
    desk.keyboard.type(short_code.lower())
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert "/office/counter/visits/" in desk.url
    axe_check(desk)
    assert desk.locator("#forms .card").count() == 3
    _tab_to(desk, "#document-my_number_card")
    desk.keyboard.press("Space")
    _tab_to(desk, "#identity button[type='submit']")
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert "マイナンバーカードで確認済み" in desk.locator("#identity").inner_text()
    _tab_to(desk, "#forms form[action$='/confirm/'] button")
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    axe_check(desk)
    cases = Case.objects.filter(channel=Channel.COUNTER)
    assert cases.count() == 3
    assert {c.procedure.slug for c in cases} == {"jido-teate", "kodomo-iryohi", "kokuho-kanyu"}
    assert Visit.objects.get().from_bundle and not Bundle.objects.exists()
    assert desk.locator("#forms").get_by_text(re.compile("申請済み")).count() == 3

    # Print all forms of the visit: one PDF whose text holds what the resident typed on the phone, with a QR
    # on every page naming the page's case, procedure and version.
    token = desk.locator("form[action$='/print/'] input[name='csrfmiddlewaretoken']").get_attribute("value")
    printed = desk.request.post(
        desk.url.split("#")[0] + "print/",
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": desk.url},
    )
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    pdf = printed.body()
    text = re.sub(r"\s", "", _pdf_text(pdf))
    for typed in ("緑川花子", "ミドリカワハナコ", "緑川さくら", "ミドリカワサクラ", "09012345678"):
        assert typed in text, typed
    by_reference = {c.reference: c for c in cases}
    pages = _qr_payloads(pdf)
    assert len(pages) >= 3
    numbering: dict[str, list[tuple[int, int]]] = {}
    for payload in pages:
        marker, reference, slug, version, page_of = payload.split("|")
        assert marker == "MDG1" and reference in by_reference
        case = by_reference[reference]
        assert slug == case.procedure.slug and int(version) == case.procedure_version.number
        page, of = (int(n) for n in page_of.split("/"))
        numbering.setdefault(reference, []).append((page, of))
    assert set(numbering) == set(by_reference)
    for numbers in numbering.values():  # each form's pages in order, 1/n … n/n
        assert numbers == [(k, numbers[0][1]) for k in range(1, numbers[0][1] + 1)]
    assert Visit.objects.get().printed_at is not None


def _pdf_text(pdf: bytes) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], check=True, capture_output=True, text=True
        ).stdout


def _qr_payloads(pdf: bytes) -> list[str]:
    """The QR code of every page, read back from the page rasterised at 150 dpi."""
    import pypdfium2

    payloads = []
    document = pypdfium2.PdfDocument(pdf)
    for index in range(len(document)):
        image = document[index].render(scale=150 / 72).to_pil()
        codes = [c.text for c in zxingcpp.read_barcodes(image) if c.text.startswith("MDG1|")]
        assert len(codes) == 1, f"page {index + 1}: {codes}"
        payloads.append(codes[0])
    return payloads

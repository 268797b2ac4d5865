"""Nothing floats over content (WCAG 2.2 2.4.11 Focus Not Obscured): the FAQ chat is a link in the navigation
and a card at the end of the page, never a button fixed over 「オンラインで申請する」 or a focused field.

At 360×740 and 1366×768, with the normal text size and with the root font at 200%, on the home page, a
procedure page and the first step of its form: no element is fixed or sticky, nothing covers the primary
button, and every element reached with Tab is visible and not covered by a fixed or sticky element. The chat
stays one tap away: the navigation's link opens the dialog (keyboard only) and focus comes back to it."""

from __future__ import annotations

import re

import pytest

from madoguchi.accounts.tests.factories import ResidentFactory
from madoguchi.demo.services import ensure_departments
from madoguchi.procedures.services import sync_procedures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "midori-e2e-password-2026"
MAX_TABS = 120
SIZES = [(360, 740), (1366, 768)]

# Every visible element whose position is fixed or sticky (what could float over content).
FLOATING = """() => Array.from(document.querySelectorAll('body *')).filter((el) => {
  const style = getComputedStyle(el);
  if (style.position !== 'fixed' && style.position !== 'sticky') return false;
  if (style.display === 'none' || style.visibility === 'hidden') return false;
  if (el.closest('dialog:not([open])')) return false;
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
}).map((el) => el.className || el.tagName)"""

# The fixed or sticky elements that overlap the element (not its own ancestors or descendants).
COVERED_BY = """(target) => {
  const r = target.getBoundingClientRect();
  return Array.from(document.querySelectorAll('body *')).filter((el) => {
    const style = getComputedStyle(el);
    if (style.position !== 'fixed' && style.position !== 'sticky') return false;
    if (el.contains(target) || target.contains(el)) return false;
    const b = el.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && b.left < r.right && b.right > r.left && b.top < r.bottom
      && b.bottom > r.top;
  }).map((el) => el.className || el.tagName);
}"""

# Whether the element's centre, once scrolled into view, is the element itself (or inside it).
ON_TOP = """(target) => {
  target.scrollIntoView({block: 'center'});
  const r = target.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit !== null && (hit === target || target.contains(hit) || hit.contains(target)
    || (target.labels && Array.from(target.labels).some((label) => label.contains(hit))));
}"""


@pytest.fixture
def town(live_server, settings):
    settings.SITE_URL = live_server.url
    ensure_departments()
    sync_procedures(directory=settings.PROCEDURES_DIR)
    ResidentFactory(email="floats@example.jp", password=PASSWORD)
    return live_server.url


def _double_text(page) -> None:
    """200% text: the root font size doubled (what a browser's text-size setting does to rem-based CSS)."""
    page.evaluate("document.documentElement.style.fontSize = '200%'")


def _check_page(page, *, primary: str | None = None) -> int:
    """No floating element; the primary button is uncovered; every Tab stop is visible and uncovered."""
    assert page.evaluate(FLOATING) == [], "an element floats over the page"
    if primary is not None:
        button = page.get_by_role("button", name=re.compile(primary)).first
        assert button.evaluate(COVERED_BY) == []
        assert button.evaluate(ON_TOP), f"{primary} is covered"
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.locator("body").focus()
    seen = 0
    first = None
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        key = focused.evaluate("(el) => el.outerHTML.slice(0, 200)")
        if key == first:
            break
        first = first or key
        if focused.evaluate("(el) => el === document.body"):
            break
        seen += 1
        assert focused.evaluate(COVERED_BY) == [], f"focused element covered: {key}"
        box = focused.evaluate(
            "(el) => { const r = el.getBoundingClientRect(); return [r.top, r.bottom, innerHeight]; }"
        )
        # Scrolled into view by the browser: at least partly inside the viewport.
        assert box[1] > 0 and box[0] < box[2], f"focused element off screen: {key}"
    assert seen > 3
    return seen


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label(re.compile("^\\s*メールアドレス")).fill("floats@example.jp")
    page.get_by_label(re.compile("^\\s*パスワード")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ログインする").click()


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("doubled", [False, True], ids=["text-100", "text-200"])
def test_nothing_covers_the_primary_button_or_the_focus(town, new_page, axe_check, width, height, doubled):
    page = new_page(width, height)
    page.goto(town + "/")
    if doubled:
        _double_text(page)
    _check_page(page)
    axe_check(page)

    page.goto(town + "/procedures/juminhyo-copy/")
    if doubled:
        _double_text(page)
    _check_page(page, primary="オンラインで申請")
    axe_check(page)

    _sign_in(page, town)
    page.goto(town + "/procedures/juminhyo-copy/")
    page.get_by_role("button", name=re.compile("オンラインで申請")).first.click()
    page.wait_for_url(re.compile("/step/"))
    if doubled:
        _double_text(page)
    _check_page(page, primary="次へ進む")
    # The focused submit button: reached with Tab, not covered.
    submit = page.get_by_role("button", name="次へ進む")
    submit.focus()
    assert submit.evaluate(COVERED_BY) == [] and submit.evaluate(ON_TOP)
    axe_check(page)


@pytest.mark.parametrize("width,height", SIZES)
def test_the_chat_is_one_tap_away_in_the_navigation(town, new_page, axe_check, width, height):
    page = new_page(width, height)
    page.goto(town + "/procedures/juminhyo-copy/")
    nav_link = page.get_by_role("navigation").get_by_role("link", name="チャットで質問")
    assert nav_link.is_visible()
    box = nav_link.bounding_box()
    assert box["y"] < height  # in the header: reachable without scrolling
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-faq-nav')"):
            break
    else:
        raise AssertionError("the chat link was not reached with Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="チャットで質問")
    assert dialog.is_visible()
    assert page.get_by_label("質問", exact=True).evaluate("(el) => el === document.activeElement")
    axe_check(page)
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-faq-nav')")
    # The card at the end of the page opens it too, and sits in the page's flow.
    card = page.locator(".faq-widget__card")
    assert card.evaluate("(el) => getComputedStyle(el.querySelector('[data-faq-open]')).position") == "static"


def test_without_javascript_the_navigation_link_opens_the_full_page_chat(town, browser):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="ja-JP"
    )
    try:
        page = context.new_page()
        page.goto(town + "/procedures/juminhyo-copy/")
        page.get_by_role("navigation").get_by_role("link", name="チャットで質問").click()
        page.wait_for_url(re.compile("/faq/$"))
    finally:
        context.close()

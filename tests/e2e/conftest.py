"""Browser tests: a real Chromium (Debian's package, `browser` in the root conftest) against Django's live server.

The pages' Content-Security-Policy forbids eval: `page.wait_for_function` must be given a function,
`"() => …"`, never a bare expression, which Playwright evals in the page once it has to poll (a CSP error that
shows only when the condition is not already true at the first check)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(width: int = 390, height: int = 844):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


class AxeChecker:
    """Runs axe-core on a page and remembers every serious or critical violation with the page's URL."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.checked: list[str] = []
        self.problems: list[str] = []

    def __call__(self, page) -> None:
        results = self.axe.run(page)
        self.checked.append(page.url)
        for violation in results.response["violations"]:
            if violation.get("impact") in BLOCKING_IMPACTS:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.problems.append(f"{page.url}: {violation['id']} ({violation['impact']}) {targets}")


@pytest.fixture
def axe_check():
    checker = AxeChecker()
    yield checker
    assert checker.checked, "axe was not run on any page"
    assert not checker.problems, "accessibility violations:\n" + "\n".join(checker.problems)

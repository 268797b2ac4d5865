"""Rules for the browser tests that a reviewer would otherwise have to remember."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# wait_for_function( then optional whitespace, then a string literal that is not a function ("() =>", "(x) =>").
BARE_EXPRESSION = re.compile(r"""wait_for_function\(\s*(?:f?["'])(?!\s*\(|\s*function\b|\s*async\b)""")


def test_wait_for_function_is_given_a_function_not_an_expression_that_the_csp_would_refuse():
    offenders = []
    for path in [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("src").rglob("tests/*.py")]:
        if path == Path(__file__):
            continue
        for match in BARE_EXPRESSION.finditer(path.read_text(encoding="utf-8")):
            line = path.read_text(encoding="utf-8").count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, (
        "page.wait_for_function with a bare expression is evaluated with eval once it polls, which the pages' "
        f"CSP refuses; write it as '() => …': {offenders}"
    )

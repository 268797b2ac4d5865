"""Printed-forms benchmark (issue: 書かない窓口, official forms as PDF).

    .venv/bin/python -m bench.forms.run [--rounds 3] [--visits 20]

1. Pages per second: every shipped procedure (procedures/*.yaml) printed with demo-like values
   (`forms.sample.sample_values`, the field types' demo answers, cleaned), one PDF per procedure, as the
   counter prints them; `--rounds` passes after a warm-up pass. Target: at least 20 pages/s.
2. A three-form visit (jido-teate, kodomo-iryohi, kokuho-kanyu) from the raw data to the PDF's bytes, as the
   server does it: validate each form's data (`schema.validate`), read the spec and the stored layout from
   their JSON, and render one PDF (`render_forms`). The first visit of a process (fonts loaded) and the
   p50 / p95 / max of `--visits` more. Target: at most 1 s.

Pure: no database; specs and layouts go through their stored JSON as `ProcedureVersion` keeps them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from madoguchi.procedures import schema  # noqa: E402
from madoguchi.procedures.fields import registry  # noqa: E402
from madoguchi.procedures.forms.layout import FormLayout, layout_form  # noqa: E402
from madoguchi.procedures.forms.printable import PrintableForm  # noqa: E402
from madoguchi.procedures.forms.render import render_forms  # noqa: E402
from madoguchi.procedures.forms.sample import SAMPLE_BASICS, SAMPLE_TODAY, sample_values  # noqa: E402
from madoguchi.procedures.spec import ProcedureSpec, load_procedure_file  # noqa: E402

PAGES_PER_SECOND_TARGET = 20.0
VISIT_SECONDS_TARGET = 1.0
VISIT = ("jido-teate", "kodomo-iryohi", "kokuho-kanyu")
CITY = "みどり市"


def stored(slug: str) -> tuple[dict, dict]:
    """The spec and layout JSON of a procedure as this installation prints it (MADOGUCHI_MY_NUMBER_ENABLED off
    by default: without its my_number field, as `selectors.spec_of` and `form_layout` give them)."""
    spec = load_procedure_file(ROOT / "procedures" / f"{slug}.yaml")
    spec = spec.without_field_types(registry.names_where("holds_my_number"))
    return spec.to_json(), layout_form(spec).to_json()


def pages_per_second(rounds: int) -> tuple[int, float, int]:
    slugs = sorted(path.stem for path in (ROOT / "procedures").glob("*.yaml"))
    forms = []
    for number, slug in enumerate(slugs, start=1):
        spec = load_procedure_file(ROOT / "procedures" / f"{slug}.yaml")
        forms.append(
            PrintableForm(
                spec,
                layout_form(spec),
                sample_values(spec),
                SAMPLE_BASICS,
                f"BNCH-{number:04d}",
                1,
                SAMPLE_TODAY,
            )
        )
    for form in forms:  # warm-up: fonts loaded once per process
        render_forms([form], city_name=CITY)
    pages = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for form in forms:
            pages += render_forms([form], city_name=CITY).page_count
    return pages, time.perf_counter() - started, len(forms)


def visit(stored_forms: dict[str, tuple[dict, dict]], raw: dict[str, dict]) -> tuple[float, int, int]:
    """One visit from raw data to PDF bytes: validate, build the three forms, render one PDF."""
    started = time.perf_counter()
    forms = []
    for number, slug in enumerate(VISIT, start=1):
        spec_json, layout_json = stored_forms[slug]
        spec = ProcedureSpec.from_json(spec_json)
        result = schema.validate(spec, raw[slug], today=SAMPLE_TODAY)
        if not result.ok:
            raise SystemExit(f"{slug}: demo data does not validate: {result.errors}")
        forms.append(
            PrintableForm(
                spec,
                FormLayout.from_json(layout_json),
                result.cleaned,
                SAMPLE_BASICS,
                f"VIST-{number:04d}",
                1,
                dt.date.today(),
            )
        )
    pdf = render_forms(forms, city_name=CITY)
    return time.perf_counter() - started, pdf.page_count, len(pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--visits", type=int, default=20)
    args = parser.parse_args()

    print("# Printed forms benchmark\n")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}\n")

    stored_forms = {slug: stored(slug) for slug in VISIT}
    raw = {}
    for slug in VISIT:
        spec = ProcedureSpec.from_json(stored_forms[slug][0])
        raw[slug] = sample_values(spec)  # cleaned values are valid raw values too
        for f in spec.fields:  # what an earlier step's upload left in the data
            if f.kind.is_upload:
                scan = {"name": f"{f.id}.png", "size": 48_000, "content_type": "image/png"}
                raw[slug][f.id] = [scan] if f.multiple else scan
    first, first_pages, first_bytes = visit(stored_forms, raw)  # the process's first: loads the fonts
    times = [visit(stored_forms, raw)[0] for _ in range(args.visits)]

    pages, seconds, procedures = pages_per_second(args.rounds)
    rate = pages / seconds
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    worst = max(times)

    print("| measure | value | target | ratio to target |")
    print("|---|---:|---:|---:|")
    print(
        f"| rendering, {procedures} procedures × {args.rounds} rounds ({pages} pages in {seconds:.2f} s) | "
        f"{rate:.1f} pages/s | ≥ {PAGES_PER_SECOND_TARGET:.0f} pages/s | {rate / PAGES_PER_SECOND_TARGET:.2f}× |"
    )
    for label, value in (
        ("first of the process, fonts loaded", first),
        (f"p50 of {args.visits}", p50),
        (f"p95 of {args.visits}", p95),
        (f"max of {args.visits}", worst),
    ):
        print(
            f"| visit of 3 forms ({first_pages} pages, {first_bytes // 1024} KiB), data → PDF, {label} | "
            f"{value * 1000:.0f} ms | ≤ {VISIT_SECONDS_TARGET * 1000:.0f} ms | "
            f"{value / VISIT_SECONDS_TARGET:.2f} of the budget |"
        )
    ok = rate >= PAGES_PER_SECOND_TARGET and first <= VISIT_SECONDS_TARGET and worst <= VISIT_SECONDS_TARGET
    print(f"\n{'Both targets met.' if ok else 'A target is missed.'}")


if __name__ == "__main__":
    main()

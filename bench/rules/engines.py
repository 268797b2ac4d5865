"""CEL engines side by side (issue 12): the cost of one condition evaluation, and whether the answers agree.

    .venv/bin/python -m bench.rules.engines [--events 2000]

Evaluates the conditions of the shipped rules and of docs/rules.md over the same synthetic resident payloads
(ages 0–99, the 異動事由 codes, a `changed` list; `topics.complete_payload`), no database, one process:

- cel-python, interpreted, every evaluation (the engine Madoguchi uses; `condition.evaluate_uncached`);
- cel-python, remembered per input (`condition.evaluate`: one cel-python evaluation per distinct value of the
  fields a condition reads; the answers are cel-python's);
- cel-python's CompiledRunner (it transpiles the expression to Python source and runs it with `exec`: shown for
  reference only — Madoguchi never runs generated code);
- common-expression-language (Rust `cel` crate through PyO3, Apache-2.0), when it is installed in this
  environment (it is not a dependency: `pip install common-expression-language` to measure it).

Prints microseconds per evaluation and the answers that differ from cel-python's interpreter, plus a few probes
of CEL semantics where engines are known to part (the size of a Japanese string, mixed int/double comparisons).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONDITIONS = [
    "event.age >= 65 && event.is_active",  # kaigo-shikaku-tennyu
    'event.reason in ["31", "32"]',  # tenshutsu-shinsei-tsuchi
    'event.changed.exists(f, f == "address")',
    'event.age < 18 && event.reason == "01"',
    'event.birth_date <= "1961-04-01"',  # reads a field with many distinct values: few answers remembered
]
PROBES = [
    ('size("転出")', "the size of a string is its Unicode code points: 2"),
    ("70 > 65.0", "int against double"),
    ('"転出" < "転入"', "strings order by code point"),
]


def _payloads(count: int) -> list[dict]:
    from madoguchi.automation.rules.topics import complete_payload

    rng = random.Random(12)
    out = []
    for i in range(count):
        year = rng.randint(1926, 2025)
        payload = {
            "person_id": i + 1,
            "atena_number": f"{i + 1:010d}",
            "household_number": f"{rng.randint(1, 9999):010d}",
            "reason": rng.choice(["01", "02", "03", "11", "21", "31", "32", "33", "35", "41"]),
            "reason_name": "国内転入",
            "moved_on": "2026-05-01",
            "notified_on": "2026-05-01",
            "birth_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "is_active": rng.random() < 0.9,
            "changed": rng.sample(
                ["address", "household_number", "name", "relationship"], k=rng.randint(0, 2)
            ),
            "registry_import_id": 1,
            "source_row": i + 2,
        }
        out.append(complete_payload("resident.moved_in", payload))
    return out


def _time(evaluate, payloads: list[dict]) -> tuple[float, list]:
    answers = []
    started = time.perf_counter()
    for payload in payloads:
        answers.append(evaluate(payload))
    return time.perf_counter() - started, answers


def _engines():
    import celpy

    from madoguchi.automation.rules import condition

    def interpreted(text):
        condition.compiled(text)  # compiled once, as in the rules
        return lambda payload: condition.evaluate_uncached(text, payload)

    def remembered(text):
        condition.compiled(text)
        return lambda payload: condition.evaluate(text, payload)

    def transpiled(text):
        program = _compiled_runner(text)
        return lambda payload: bool(program.evaluate({"event": celpy.json_to_cel(payload)}))

    yield "cel-python, interpreted (every evaluation)", "cel-python", interpreted
    yield "cel-python, remembered per input (Madoguchi)", "", remembered
    yield "cel-python CompiledRunner (exec; reference)", "CompiledRunner", transpiled
    try:
        import cel  # common-expression-language
    except ImportError:
        yield "common-expression-language (not installed)", "", None
        return

    def rust(text):
        program = cel.compile(text)
        return lambda payload: program.execute({"event": payload})

    yield "common-expression-language (cel-rust)", "cel-rust", rust


def _compiled_runner(text: str):
    """cel-python's CompiledRunner needs its own parse trees; cel-python keeps one parser per process, made
    with the first tree class asked for, so it is swapped for this one and put back."""
    import celpy
    from celpy import celtypes
    from celpy.celparser import CELParser

    kept, CELParser.CEL_PARSER = CELParser.CEL_PARSER, None
    try:
        env = celpy.Environment(annotations={"event": celtypes.MapType}, runner_class=celpy.CompiledRunner)
        return env.program(env.compile(text))
    finally:
        CELParser.CEL_PARSER = kept


def _probe(name: str, text: str):
    import celpy
    from celpy import celtypes

    try:
        if name == "cel-rust":
            import cel

            return cel.evaluate(text)
        if name == "CompiledRunner":
            result = _compiled_runner(text).evaluate({})
        else:
            env = celpy.Environment(annotations={"event": celtypes.MapType})
            result = env.program(env.compile(text)).evaluate({})
        return "error" if isinstance(result, celpy.CELEvalError) else result
    except Exception as exc:  # an engine's refusal is an answer here
        return f"error ({type(exc).__name__})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    logging.getLogger("celpy").setLevel(logging.CRITICAL)  # the probes' expected errors
    from madoguchi.automation.rules import condition

    payloads = _payloads(args.events)
    reference: dict[str, list] = {}
    print(f"{args.events:,} payloads × {len(CONDITIONS)} conditions; µs per evaluation (differing answers)")
    print(f"{'engine':<48}" + "".join(f"  c{i + 1:<9}" for i in range(len(CONDITIONS))))
    for name, _short, make in _engines():
        if make is None:
            print(f"{name:<48}  —")
            continue
        condition.cache_clear()
        cells = []
        for text in CONDITIONS:
            seconds, answers = _time(make(text), payloads)
            answers = [bool(a) for a in answers]
            base = reference.setdefault(text, answers)
            differ = sum(1 for a, b in zip(answers, base, strict=True) if a != b)
            cells.append(f"{seconds / len(payloads) * 1e6:7.1f}" + (f" ({differ})" if differ else "    "))
        print(f"{name:<48}" + "".join(f"  {c:<10}" for c in cells))
    for i, text in enumerate(CONDITIONS):
        print(f"  c{i + 1}: {text}")
    print("\nprobes (CEL semantics):")
    for text, meaning in PROBES:
        answers = "; ".join(
            f"{short}: {_probe(short, text)}" for _name, short, make in _engines() if short and make
        )
        print(f"  {text:<16} {meaning}: {answers}")


if __name__ == "__main__":
    main()

"""Start-up benchmark: how long a `madoguchi` command takes before (and including) its work.

    make bench-startup            # = .venv/bin/python -m bench.startup.run [--runs N] [--importtime]

Each line runs a fresh interpreter N times (default 7) and gives the fastest and the median wall-clock time,
and the median CPU time (user + system of the child: less sensitive to a shared machine than wall-clock).
The baseline, measured in the same run, is `python -c "import django"`; "× django" is the ratio of medians.
The floor is django.setup() of a project with Django's contrib apps only (bench/startup/django_only_settings.py):
what any Django command pays; "× floor" compares Madoguchi's commands with it.
Targets (issue 15): a command starts in ≤ 0.5 s; a 3,000-child allocation from the CLI (bench/nursery's
tier L: 3,000 children, 100 facilities) finishes in ≤ 2 s end to end. `--importtime` adds the ten slowest
top-level imports of `madoguchi nursery --help` (python -X importtime).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MADOGUCHI = str(BIN / "madoguchi")
SETUP = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'madoguchi.settings'); "
    "import django; django.setup()"
)


def _time(argv: list[str], runs: int) -> tuple[float, float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return min(walls), statistics.median(walls), statistics.median(cpus)


def _slowest_imports(argv: list[str], top: int = 10) -> list[tuple[str, float]]:
    err = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=True
    ).stderr
    rows = []
    for line in err.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)  # top level: one space, no nesting
        if match:
            rows.append((match.group(2), int(match.group(1)) / 1e6))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args(argv)

    from bench.nursery.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        problem = Path(tmp) / "round-L.json"
        problem.write_text(json.dumps(generate("L"), ensure_ascii=False), encoding="utf-8")
        result = Path(tmp) / "result.json"
        cases = [
            ("baseline: python -c 'import django'", [sys.executable, "-c", "import django"], None),
            (
                "floor: django.setup() with Django's contrib apps only",
                [
                    sys.executable,
                    "-c",
                    SETUP.replace("madoguchi.settings", "bench.startup.django_only_settings"),
                ],
                None,
            ),
            ("python -c 'import madoguchi.cli'", [sys.executable, "-c", "import madoguchi.cli"], 0.5),
            ("django.setup() with madoguchi.settings", [sys.executable, "-c", SETUP], 0.5),
            ("madoguchi nursery --help", [MADOGUCHI, "nursery", "--help"], 0.5),
            ("madoguchi faq --help", [MADOGUCHI, "faq", "--help"], 0.5),
            ("madoguchi demo --help", [MADOGUCHI, "demo", "--help"], 0.5),
            (
                "madoguchi nursery allocate (3,000 children, 100 facilities)",
                [MADOGUCHI, "nursery", "allocate", str(problem), "-o", str(result)],
                2.0,
            ),
        ]
        figures = [(name, *_time(cmd, args.runs), target) for name, cmd, target in cases]

    base, floor = figures[0][2], figures[1][2]
    print(
        f"# madoguchi start-up ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, {args.runs} runs each)\n"
    )
    print("| command | fastest s | median s | median CPU s | × django | × floor | target | met (fastest) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, fastest, median, cpu, target in figures:
        met = "" if target is None else ("yes" if fastest <= target else "NO")
        goal = "" if target is None else f"≤ {target:g} s"
        print(
            f"| {name} | {fastest:.3f} | {median:.3f} | {cpu:.3f} | {median / base:.1f} | {median / floor:.2f} | {goal} | {met} |"
        )
    if args.importtime:
        print("\nSlowest top-level imports of `madoguchi nursery --help` (cumulative s):\n")
        for module, seconds in _slowest_imports(["-m", "madoguchi", "nursery", "--help"]):
            print(f"- {module}: {seconds:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

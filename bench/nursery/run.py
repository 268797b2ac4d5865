"""Nursery allocation benchmark: `stable` vs `municipal_sd` vs ChilmAI on identical generated rounds.

    /work/main/.venv/bin/python -m bench.nursery.run [--tiers S,M,L,XL,XXL] [--instances N]

Prints a markdown table. Times are wall-clock seconds (median over the instances); CPU seconds of this
process are given too, since the machine may be shared. "end-to-end" is what `madoguchi nursery allocate`
followed by `verify` does: read the JSON, allocate, write the result, read it back and verify it.

ChilmAI (PyPI `chilmai`, Apache-2.0) runs in a subprocess, from CHILMAI_PYTHON, else bench/nursery/.venv
(create it with `uv venv bench/nursery/.venv && uv pip install --python bench/nursery/.venv/bin/python
chilmai`), else this interpreter; if it cannot run, the table says so and the benchmark goes on.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.nursery.generate import TIERS, generate
from madoguchi.nursery.engine.allocate import allocate_seats
from madoguchi.nursery.engine.chilmai_format import write_chilmai
from madoguchi.nursery.engine.io import dumps, load_json, read_problem, write_text_atomic
from madoguchi.nursery.engine.model import Problem
from madoguchi.nursery.engine.verify import find_blocking_pairs, verify_result

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "chilmai_runner.py"


@dataclass
class Run:
    times: dict[str, float] = field(default_factory=dict)
    cpu_s: float = 0.0
    placed: int = 0
    children: int = 0
    first_choices: int = 0
    blocking_pairs: int | None = 0
    proven: bool = False
    stable_exists: bool | None = None
    note: str = ""


def _run_engine(path: Path, workdir: Path, objective: str) -> Run:
    gc.collect()
    cpu = time.process_time()
    t0 = time.perf_counter()
    problem = read_problem(path).with_policy(objective=objective)
    parse_s = time.perf_counter() - t0
    result = allocate_seats(problem, timings=True)
    t1 = time.perf_counter()
    out = workdir / f"result-{objective}.json"
    write_text_atomic(out, dumps(result))
    write_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    report = verify_result(problem, load_json(out), allow_blocking_pairs=True)
    verify_s = time.perf_counter() - t2
    total = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu
    if report.violations:
        raise SystemExit(f"verifier rejected the {objective} result: {report.violations[:3]}")
    times = result["meta"]["times"]
    summary = result["meta"]["summary"]
    build = sum(times.get(k, 0.0) for k in ("compile_s", "heuristic_s", "prune_s", "model_s"))
    post = times.get("blocking_pairs_s", 0.0) + times.get("explain_s", 0.0) + write_s
    return Run(
        times={
            "parse": parse_s,
            "build": build,
            "solve": times["solve_s"],
            "post": post,
            "verify": verify_s,
            "total": total,
        },
        cpu_s=cpu_s,
        placed=summary["placed"],
        children=summary["children"],
        first_choices=summary["first_choices"],
        blocking_pairs=summary["blocking_pairs"],
        proven=result["proven"],
        stable_exists=summary["stable_allocation_exists"],
    )


def _chilmai_python() -> str | None:
    candidates = [os.environ.get("CHILMAI_PYTHON"), str(HERE / ".venv" / "bin" / "python"), sys.executable]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import chilmai"], capture_output=True, check=False)
            if probe.returncode == 0:
                return candidate
    return None


def _chilmai_version(python: str) -> str:
    code = "import importlib.metadata as m; print(m.version('chilmai'))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def _run_chilmai(python: str | None, problem: Problem, workdir: Path, timeout: float, max_time: float) -> Run:
    if python is None:
        return Run(blocking_pairs=None, note="ChilmAI not installed")
    directory = workdir / "chilmai"
    write_chilmai(problem, directory)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            [python, str(RUNNER), str(directory), str(max_time)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Run(times={"total": timeout}, blocking_pairs=None, note=f"timeout (> {timeout:.0f} s)")
    total = time.perf_counter() - t0
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return Run(times={"total": total}, blocking_pairs=None, note=f"failed: {tail[0][:80]}")
    report = json.loads(lines[-1])
    if report["status"] != "ok":
        return Run(
            times={"total": total},
            blocking_pairs=None,
            note=f"{report['status']}: {report.get('message', '')[:80]}",
        )
    assignments = report["assignments"]
    outcomes: dict[str, int | None] = {}
    unmapped = 0
    for household in problem.households:
        got = [assignments.get(c.id) for c in household.children]
        match = None
        for p, pref in enumerate(household.preferences):
            want = [
                fid if fid is not None else c.enrolled_facility
                for fid, c in zip(pref, household.children, strict=True)
            ]
            if want == got:
                match = p
                break
        if match is None and got != [c.enrolled_facility for c in household.children]:
            unmapped += 1
        outcomes[household.id] = match
    pairs = find_blocking_pairs(problem, outcomes, problem.policy.seed)
    children = sum(len(h.children) for h in problem.households)
    return Run(
        times={"solve": report["solve_s"], "total": total},
        placed=sum(1 for v in assignments.values() if v),
        children=children,
        first_choices=sum(1 for o in outcomes.values() if o == 0),
        blocking_pairs=len(pairs),
        proven=report["is_optimal"],
        note=f"{unmapped} households unmapped" if unmapped else "",
    )


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "–"


def _row(tier: str, method: str, runs: list[Run], baseline_placed: float | None) -> str:
    n_c, n_f = TIERS[tier]
    ok = [r for r in runs if r.blocking_pairs is not None]
    notes = sorted({r.note for r in runs if r.note})

    def times(key: str) -> str:
        return _fmt([r.times[key] for r in ok if key in r.times])

    if not ok:
        total = _fmt([r.times["total"] for r in runs if "total" in r.times])
        return f"| {tier} | {n_c:,} / {n_f} | {method} | – | – | – | – | {total} | – | – | – | – | – | {'; '.join(notes)} |"
    placed = statistics.mean(r.placed for r in ok)
    decimals = 0 if len(ok) == 1 else 1
    delta = "" if baseline_placed is None else f" ({placed - baseline_placed:+.{decimals}f})"
    firsts = statistics.mean(r.first_choices for r in ok)
    bps = "/".join(str(r.blocking_pairs) for r in ok)
    proven = f"{sum(r.proven for r in ok)}/{len(ok)}"
    cpu = _fmt([r.cpu_s for r in ok if r.cpu_s])
    stable = (
        "/".join({True: "yes", False: "no", None: "?"}[r.stable_exists] for r in ok)
        if method == "stable"
        else ""
    )
    if stable:
        notes = [f"stable exists: {stable}", *notes]
    return (
        f"| {tier} | {n_c:,} / {n_f} | {method} | {times('parse')} | {times('build')} | {times('solve')} | "
        f"{times('verify')} | {times('total')} | {cpu} | {placed:,.{decimals}f}{delta} | {firsts:,.{decimals}f} | {bps} | "
        f"{proven} | "
        f"{'; '.join(notes)} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nursery.run", description=__doc__)
    parser.add_argument("--tiers", default="S,M,L,XL,XXL")
    parser.add_argument("--instances", type=int, default=3, help="generated rounds per tier (seeds 0..N-1)")
    parser.add_argument("--chilmai-timeout", type=float, default=300.0, help="seconds per ChilmAI run")
    parser.add_argument("--chilmai-max-tiers", default="S,M,L", help="tiers ChilmAI is tried on")
    args = parser.parse_args(argv)
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
    chilmai_tiers = {t.strip() for t in args.chilmai_max_tiers.split(",")}
    python = _chilmai_python()
    load = os.getloadavg()
    print("## Nursery allocation benchmark\n")
    print(
        f"- command: `{' '.join([Path(sys.executable).name, '-m', 'bench.nursery.run', *(argv or sys.argv[1:])])}`"
    )
    print(
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    from ortools import __version__ as ortools_version

    chilmai = (
        f"ChilmAI {_chilmai_version(python)} ({python})" if python else "ChilmAI: not installed, skipped"
    )
    print(f"- OR-Tools {ortools_version}; {chilmai}; instances per tier: {args.instances}\n")
    print(
        "| tier | children / facilities | method | parse s | build s | solve s | verify s | end-to-end s | CPU s | "
        "placed (vs SD) | first choices | blocking pairs | proven | notes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tier in tiers:
        rows: dict[str, list[Run]] = {"stable": [], "municipal_sd": [], "chilmai": []}
        for seed in range(args.instances):
            with tempfile.TemporaryDirectory(prefix=f"nursery-{tier}-") as tmp:
                workdir = Path(tmp)
                path = workdir / "input.json"
                path.write_text(json.dumps(generate(tier, seed), ensure_ascii=False), encoding="utf-8")
                for objective in ("stable", "municipal_sd"):
                    rows[objective].append(_run_engine(path, workdir, objective))
                if tier in chilmai_tiers:
                    problem = read_problem(path)
                    rows["chilmai"].append(
                        _run_chilmai(python, problem, workdir, args.chilmai_timeout, max_time=60.0)
                    )
                else:
                    rows["chilmai"].append(
                        Run(blocking_pairs=None, note="not run at this size (--chilmai-max-tiers)")
                    )
        baseline = statistics.mean(r.placed for r in rows["municipal_sd"])
        print(_row(tier, "stable", rows["stable"], baseline))
        print(_row(tier, "municipal_sd", rows["municipal_sd"], None))
        print(_row(tier, "chilmai", rows["chilmai"], baseline))
        sys.stdout.flush()
    print(
        "\nparse: read + validate the JSON; build: compile, heuristics, pruning, CP-SAT model; solve: CP-SAT "
        "(serial dictatorship for municipal_sd); verify: independent verifier on the written result; "
        "end-to-end also includes blocking pairs, explanations and writing (ChilmAI: its subprocess, including "
        "Python start-up and reading its CSV files; its solve s is MatchingService.match). Placed and first "
        "choices are means over the instances; blocking pairs are per instance, computed by madoguchi's "
        "verifier for all three methods; proven: optimality proven (ChilmAI: its solver reported OPTIMAL)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

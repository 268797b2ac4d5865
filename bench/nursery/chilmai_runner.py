"""Run ChilmAI on one exported round and print a JSON line (runs in ChilmAI's own environment).

    python bench/nursery/chilmai_runner.py DIR MAX_TIME_SECONDS

DIR holds children.csv, daycares.csv and, for sibling households, combination.csv, as written by
madoguchi's `export-chilmai`. Only the standard library and ChilmAI are imported, so this file can run in
a separate virtual environment (ChilmAI pins its own pandas and setuptools versions).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> int:
    directory = Path(sys.argv[1])
    max_time = float(sys.argv[2])
    started = time.perf_counter()
    try:
        from chilmai.generic.config import DEFAULT_CONFIG
        from chilmai.generic.service import MatchingService
    except ImportError as exc:
        print(json.dumps({"status": "unavailable", "message": str(exc)}))
        return 0
    import_s = time.perf_counter() - started
    combination = directory / "combination.csv"
    kwargs = {}
    if combination.exists():
        kwargs = {"combination_file_bytes": combination.read_bytes(), "combination_file_format": "csv"}
    t = time.perf_counter()
    try:
        result = MatchingService().match(
            children_file_bytes=(directory / "children.csv").read_bytes(),
            children_file_format="csv",
            daycares_file_bytes=(directory / "daycares.csv").read_bytes(),
            daycares_file_format="csv",
            mapping=DEFAULT_CONFIG,
            solver_config={"max_time_seconds": max_time},
            **kwargs,
        )
    except Exception as exc:  # report ChilmAI's own failure (e.g. no stable matching) and go on
        detail = exc.args[1] if len(exc.args) > 1 else None
        print(
            json.dumps(
                {
                    "status": "error",
                    "message": f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}",
                    "detail": detail,
                    "solve_s": time.perf_counter() - t,
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return 0
    print(
        json.dumps(
            {
                "status": "ok",
                "import_s": import_s,
                "solve_s": time.perf_counter() - t,
                "is_optimal": bool(result.get("meta", {}).get("is_optimal")),
                "assignments": result["matching_result_dict"],
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

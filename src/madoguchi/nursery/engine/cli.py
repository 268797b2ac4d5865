"""`madoguchi nursery …`: allocate a round, verify a result, import sheets, apply a scoring table.

Exit status: 0 done, 1 the verifier found a violation, 2 the input (or the command line) is unusable;
on 2 nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from typing import Any, TextIO

from madoguchi.nursery.engine.gcpause import paused_gc
from madoguchi.nursery.engine.io import dumps, load_json, read_problem, write_text_atomic
from madoguchi.nursery.engine.model import OBJECTIVES, InputError, Issue, parse_problem

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_BAD_INPUT = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="madoguchi nursery",
        description="保育所等利用調整（入所選考）/ nursery admission allocation",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    allocate = sub.add_parser(
        "allocate", help="選考を実行して結果を書き出す / allocate seats and write the result"
    )
    allocate.add_argument("input", metavar="INPUT.json")
    allocate.add_argument("-o", "--output", required=True, metavar="RESULT.json")
    allocate.add_argument("--objective", choices=OBJECTIVES, help="default: the input's policy (stable)")
    allocate.add_argument("--time-limit", type=float, metavar="S", help="solver time limit in seconds")
    allocate.add_argument("--seed", type=int, metavar="N", help="lottery and solver seed")
    allocate.add_argument(
        "--timings",
        action="store_true",
        help="record wall-clock times in meta.times (the output is then not byte-identical)",
    )
    allocate.set_defaults(handler=_allocate)

    verify = sub.add_parser("verify", help="結果を独立に検証する / check a result independently")
    verify.add_argument("input", metavar="INPUT.json")
    verify.add_argument("result", metavar="RESULT.json")
    verify.add_argument(
        "--allow-blocking-pairs",
        action="store_true",
        help="blocking pairs listed in the result are not violations (municipal_sd, or no stable allocation)",
    )
    verify.set_defaults(handler=_verify)

    imp = sub.add_parser("import", help="自治体の表・ChilmAI 形式から入力を作る / build an input from sheets")
    imp.add_argument("source", choices=("sheet", "chilmai"))
    imp.add_argument(
        "--workbook", metavar="BOOK.xlsx", help="sheet: workbook with sheets 施設, 申込, 組み合わせ"
    )
    imp.add_argument(
        "--facilities", metavar="FILE", help="sheet: 施設 CSV; chilmai: 保育所ファイル (CSV/xlsx)"
    )
    imp.add_argument(
        "--applications", metavar="FILE", help="sheet: 申込 CSV; chilmai: 申込者ファイル (CSV/xlsx)"
    )
    imp.add_argument("--combinations", metavar="FILE", help="組み合わせ (optional)")
    imp.add_argument(
        "--scoring", metavar="TABLE.yaml", help="sheet: compute 指数 from the facts with this table"
    )
    imp.add_argument("--round-id", required=True)
    imp.add_argument("--reference-date", required=True, metavar="YYYY-MM-DD")
    imp.add_argument("-o", "--output", required=True, metavar="INPUT.json")
    imp.set_defaults(handler=_import)

    export = sub.add_parser("export-chilmai", help="ChilmAI 形式で書き出す / write ChilmAI's input files")
    export.add_argument("input", metavar="INPUT.json")
    export.add_argument("--out-dir", required=True, metavar="DIR")
    export.set_defaults(handler=_export_chilmai)

    score = sub.add_parser("score", help="指数表で指数を計算する / compute scores with a scoring table")
    score.add_argument(
        "applications", metavar="APPLICATIONS.json", help="the input format, households with facts"
    )
    score.add_argument("--table", required=True, metavar="TABLE.yaml")
    score.add_argument("-o", "--output", required=True, metavar="INPUT.json")
    score.set_defaults(handler=_score)
    return parser


def _print_issues(issues: list[Issue], out: TextIO) -> None:
    for issue in issues:
        print(f"  - {issue}", file=out)


def _load_cp_sat_without_pandas() -> None:
    """Command-line processes only: OR-Tools' cp_model imports pandas (about a second) for DataFrame helpers
    (`*_series`, `values`) that the engine never calls. Give it a placeholder while it loads, then take the
    placeholder away so that a real `import pandas` later still works."""
    if "pandas" in sys.modules or "ortools.sat.python.cp_model" in sys.modules:
        return
    placeholder = types.ModuleType("pandas")
    for name in ("Index", "Series", "DataFrame"):
        setattr(placeholder, name, type(name, (), {}))
    sys.modules["pandas"] = placeholder
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    finally:
        del sys.modules["pandas"]


def _allocate(args: argparse.Namespace) -> int:
    _load_cp_sat_without_pandas()
    from madoguchi.nursery.engine.allocate import allocate_seats

    started = time.perf_counter()
    problem = read_problem(args.input).with_policy(
        objective=args.objective, seed=args.seed, time_limit_s=args.time_limit
    )
    parse_s = time.perf_counter() - started
    result = allocate_seats(problem, timings=args.timings)
    if args.timings:
        result["meta"]["times"]["parse_s"] = round(parse_s, 4)
    t = time.perf_counter()
    text = dumps(result)
    write_text_atomic(args.output, text)
    if args.timings:
        print(
            f"write_s={time.perf_counter() - t:.3f} total_s={time.perf_counter() - started:.3f}",
            file=sys.stderr,
        )
    summary = result["meta"]["summary"]
    proven = "証明済み / proven" if result["proven"] else "未証明 / not proven"
    print(
        f"選考が完了しました / allocation done: {summary['placed']}/{summary['children']} 人内定 placed, "
        f"第1希望 first choices {summary['first_choices']}, ブロッキングペア blocking pairs "
        f"{summary['blocking_pairs']}, status {result['status']} ({proven}) -> {args.output}"
    )
    if summary["blocking_pairs"]:
        print(
            "  ブロッキングペアがあります。結果の blocking_pairs を職員が確認してください / "
            "blocking pairs are listed in the result for staff review"
        )
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from madoguchi.nursery.engine.verify import verify_result

    problem = read_problem(args.input)
    try:
        result: Any = load_json(args.result)
    except InputError as exc:
        print("結果ファイルを読めません / cannot read the result:", file=sys.stdout)
        _print_issues(exc.issues, sys.stdout)
        return EXIT_VIOLATION
    report = verify_result(problem, result, allow_blocking_pairs=args.allow_blocking_pairs)
    summary = (
        f"{report.placed}/{report.children} 人内定 placed, 第1希望 first choices {report.first_choices}, "
        f"ブロッキングペア blocking pairs {len(report.blocking_pairs)}"
    )
    if report.ok():
        print(f"検証に合格しました / verification passed: {summary}")
        return EXIT_OK
    print(
        f"検証で {len(report.violations)} 件の違反が見つかりました / {len(report.violations)} violation(s): {summary}"
    )
    _print_issues(report.violations, sys.stdout)
    return EXIT_VIOLATION


def _write_input(document: dict[str, Any], output: str) -> int:
    problem = parse_problem(document)  # everything the allocator would reject is reported now
    write_text_atomic(output, dumps(document))
    children = sum(len(h.children) for h in problem.households)
    print(
        f"入力を書き出しました / input written: {len(problem.facilities)} 施設 facilities, "
        f"{len(problem.households)} 世帯 households, {children} 人 children -> {output}"
    )
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from madoguchi.nursery.engine.tables import read_table

    if args.source == "chilmai":
        from madoguchi.nursery.engine.chilmai_format import import_chilmai

        if not args.applications or not args.facilities:
            raise InputError(
                [
                    Issue(
                        "import chilmai",
                        "--applications と --facilities が必要です",
                        "--applications and --facilities are required",
                    )
                ]
            )
        document = import_chilmai(
            read_table(args.applications),
            read_table(args.facilities),
            read_table(args.combinations) if args.combinations else None,
            round_id=args.round_id,
            reference_date=args.reference_date,
        )
    else:
        from madoguchi.nursery.engine.scoring import load_scoring_table
        from madoguchi.nursery.engine.sheets import import_sheets, read_sheets

        facilities, applications, combinations = read_sheets(
            workbook=args.workbook,
            facilities=args.facilities,
            applications=args.applications,
            combinations=args.combinations,
        )
        document = import_sheets(
            facilities,
            applications,
            combinations,
            round_id=args.round_id,
            reference_date=args.reference_date,
            table=load_scoring_table(args.scoring) if args.scoring else None,
        )
    return _write_input(document, args.output)


def _export_chilmai(args: argparse.Namespace) -> int:
    from madoguchi.nursery.engine.chilmai_format import write_chilmai

    written = write_chilmai(read_problem(args.input), args.out_dir)
    print("ChilmAI 形式で書き出しました / written: " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    from madoguchi.nursery.engine.scoring import load_scoring_table, score_household

    table = load_scoring_table(args.table)
    document = load_json(args.applications)
    if not isinstance(document, dict) or not isinstance(document.get("households"), list):
        raise InputError([Issue(args.applications, "households がありません", "households is missing")])
    issues: list[Issue] = []
    for i, household in enumerate(document["households"]):
        facts = household.get("facts") if isinstance(household, dict) else None
        if not isinstance(facts, dict):
            issues.append(Issue(f"households[{i}].facts", "facts がありません", "facts is missing"))
            continue
        try:
            scored = score_household(table, facts, where=f"households[{i}].facts")
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        household["score"] = scored.score
        household["tie_keys"] = list(scored.tie_keys)
        household["score_breakdown"] = [
            {"label": label, "points": points} for label, points in scored.breakdown
        ]
        for child in household.get("children", []):
            bonus = dict(child.get("bonus", {}))
            for fid, points in scored.facility_bonus:
                bonus[fid] = bonus.get(fid, 0) + points
            child["bonus"] = bonus
    if issues:
        raise InputError(issues)
    document["scoring"] = {"table": table.id, "version": table.version, "source": table.source}
    return _write_input(document, args.output)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        with paused_gc():
            return int(args.handler(args))
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        print("何も書き込んでいません / nothing was written", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())

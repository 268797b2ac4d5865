"""`ask` from the command line, over CSV files: `python -m madoguchi.faq.engine ask "質問" --json`.

The Django command `madoguchi faq ask` builds its index from the database and can reuse
`print_answers` so that both print the same JSON lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from .entries import FaqEntry, FaqImportError, load_faq_csv
from .index import Answer, FaqIndex

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
DEMO_FILES = (("midori_faq_ja.csv", "ja"), ("midori_faq_en.csv", "en"))


def load_demo_entries() -> list[FaqEntry]:
    """The みどり市 demo FAQ shipped with the package (Japanese and English)."""
    entries: list[FaqEntry] = []
    for name, lang in DEMO_FILES:
        entries.extend(load_faq_csv(DEMO_DATA / name, lang=lang))
    return entries


def format_answer(answer: Answer, index: FaqIndex, *, as_json: bool, details: bool = False) -> str:
    if as_json:
        return answer.to_json(details=details)
    if not answer.results:
        return f"(no answer: {answer.reason})"
    lines = [] if not answer.abstain else [f"(not sure: {answer.reason}; closest entries below)"]
    for hit in answer.results:
        entry = index.entry(hit.id, answer.lang)
        lines.append(f"{hit.id}\t{hit.score:.3f}\t{entry.question if entry else ''}")
    return "\n".join(lines)


def print_answers(
    questions: Iterable[str],
    index: FaqIndex,
    out: TextIO,
    *,
    lang: str | None = None,
    limit: int = 5,
    as_json: bool = True,
    details: bool = False,
) -> int:
    """Answer each question and print one line (JSON) or block (text) per question."""
    count = 0
    for question in questions:
        answer = index.ask(question, lang=lang or "auto", limit=limit)
        out.write(format_answer(answer, index, as_json=as_json, details=details) + "\n")
        out.flush()
        count += 1
    return count


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m madoguchi.faq.engine", description="Search the FAQ.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question ('-' reads one question per line from stdin)")
    ask.add_argument("question", help="the question, or - to read questions from standard input")
    ask.add_argument("--lang", default=None, help="ja or en (default: detected from the question)")
    ask.add_argument("--json", action="store_true", help="print JSON lines")
    ask.add_argument("--details", action="store_true", help="add reason, language and features to the JSON")
    ask.add_argument("--limit", type=int, default=5)
    ask.add_argument(
        "--encoder",
        default=None,
        help="sentence encoder of the dense retriever: use-m3 (default), e5-small, hashing, none (lexical only)",
    )
    ask.add_argument(
        "--csv",
        action="append",
        default=[],
        metavar="LANG:FILE",
        help="FAQ file to search, e.g. ja:faq.csv (repeatable; default: the demo FAQ)",
    )
    return parser


def _entries_from(specs: Sequence[str]) -> list[FaqEntry]:
    if not specs:
        return load_demo_entries()
    entries: list[FaqEntry] = []
    for spec in specs:
        lang, _, path = spec.partition(":")
        if not path:
            lang, path = "ja", spec
        entries.extend(load_faq_csv(path, lang=lang))
    return entries


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    index: FaqIndex | None = None,
) -> int:
    """Command-line entry point; `index` replaces the one built from --csv files (for embedding)."""
    args = _parser().parse_args(argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if index is None:
        try:
            index = FaqIndex.build(_entries_from(args.csv), encoder=args.encoder)
        except (FaqImportError, OSError, KeyError) as exc:
            sys.stderr.write(f"FAQ を読み込めませんでした (could not load the FAQ): {exc}\n")
            return 2
    reads_stdin = args.question == "-"
    questions: Iterable[str] = (line.rstrip("\r\n") for line in stdin) if reads_stdin else [args.question]
    print_answers(
        questions, index, stdout, lang=args.lang, limit=args.limit, as_json=args.json, details=args.details
    )
    return 0

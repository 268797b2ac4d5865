"""`madoguchi faq import FILE.csv --lang ja|en` and `madoguchi faq ask "質問" [--lang ja|en] --json` (or `-`).

`ask` searches the FAQ in the database with the same index the chat uses and prints exactly what the engine's
own CLI prints (`python -m madoguchi.faq.engine ask`): one JSON line per question,
{"results": [{"id", "score"}, ...], "abstain": true|false}. Questions asked here are not logged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

# The FAQ engine (SudachiPy, bm25s, numpy) is imported by the subcommand that uses it, so that
# `madoguchi faq --help` starts at once.


class Command(BaseCommand):
    help = "Import FAQ CSV files into the knowledge base, or ask the FAQ a question (JSON lines)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, title="subcommands")
        importer = sub.add_parser(
            "import", help="Import one FAQ CSV (all or nothing; changed texts become new versions)."
        )
        importer.add_argument(
            "file", help="CSV file: id, category, question, answer[, procedure, keywords, easy_answer]"
        )
        importer.add_argument("--lang", required=True, choices=["ja", "en"], help="Language of the file.")
        ask = sub.add_parser(
            "ask", help="Answer a question; '-' reads one question per line from standard input."
        )
        ask.add_argument("question", help="The question, or - to read questions from standard input.")
        ask.add_argument("--lang", default=None, help="ja or en (default: detected from the question).")
        ask.add_argument("--json", action="store_true", help="Print JSON lines (the engine CLI's format).")
        ask.add_argument(
            "--details", action="store_true", help="Add reason, language and features to the JSON."
        )
        ask.add_argument("--limit", type=int, default=5, help="How many entries to list (1–50, default 5).")

    def handle(self, *args, action: str, **options) -> None:
        if action == "import":
            self.import_file(Path(options["file"]), options["lang"])
        else:
            self.ask(options)

    def import_file(self, path: Path, lang: str) -> None:
        from madoguchi.faq import services
        from madoguchi.faq.engine import FaqImportError

        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path} (no such file)")
        try:
            report = services.import_faq_csv(path=path, lang=lang)
        except FaqImportError as exc:
            for problem in exc.problems:
                self.stderr.write(f"row {problem.row}, column {problem.column or '-'}: {problem.reason}")
            raise CommandError(
                f"{path.name} を取り込みませんでした（問題 {len(exc.problems)} 件）。直してからもう一度実行してください "
                f"(nothing was imported: {len(exc.problems)} problem(s))"
            ) from exc
        self.stdout.write(str(report))

    def ask(self, options: dict) -> None:
        from madoguchi.faq.engine.cli import print_answers
        from madoguchi.faq.index_cache import current_index

        index = current_index()
        if options["question"] == "-":
            stdin = options.get("stdin") or sys.stdin
            questions = (line.rstrip("\r\n") for line in stdin)
        else:
            questions = [options["question"]]
        print_answers(
            questions,
            index,
            self.stdout,
            lang=options["lang"],
            limit=options["limit"],
            as_json=options["json"],
            details=options["details"],
        )

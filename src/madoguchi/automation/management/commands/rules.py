"""`madoguchi rules test|publish|list|retry|retire`: the rule files (rules/*.yaml) and the rules in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.automation import selectors, services
from madoguchi.automation.rules.spec import RuleFileError, load_rule_file, rule_paths, run_examples


class Command(BaseCommand):
    help = "Test, publish and list the event-driven rules (rules/*.yaml; docs/rules.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{test,publish,list,retry,retire}"
        )
        for name, help_text in (
            ("test", "Check every rule file and run its examples; exit 1 on any problem or failing example."),
            (
                "publish",
                "Publish rule files as new versions; refuses all when one fails validation or an example.",
            ),
        ):
            sub = actions.add_parser(name, help=help_text)
            sub.add_argument(
                "paths", nargs="*", type=Path, help="Rule files or folders (default: MADOGUCHI_RULES_DIR)."
            )
        actions.add_parser("list", help="The published rules: version, event, examples, firings.")
        actions.add_parser(
            "retry", help="Run the failed rule actions whose backoff is over (as Celery beat does)."
        )
        retire = actions.add_parser("retire", help="Stop a rule from firing (its history stays).")
        retire.add_argument("rule_id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in ("test", "publish"):
            paths = options["paths"] or [settings.RULES_DIR]
            getattr(self, action)(paths)
        elif action == "list":
            self.list()
        elif action == "retry":
            self.stdout.write(f"{services.retry_due_actions()} rule action(s) done on retry.")
        else:
            if not services.retire_rule(rule_id=options["rule_id"]):
                raise CommandError(
                    f"No rule '{options['rule_id']}' is in force; `madoguchi rules list` shows them."
                )
            self.stdout.write(self.style.SUCCESS(f"Rule {options['rule_id']} retired."))

    def test(self, paths: list[Path]) -> None:
        files = rule_paths(paths)
        if not files:
            raise CommandError(f"No *.yaml rule files in {', '.join(map(str, paths))}.", returncode=1)
        failures = passed = 0
        for path in files:
            try:
                rule = load_rule_file(path)
            except RuleFileError as exc:
                for problem in exc.problems:
                    self.stdout.write(self.style.ERROR(f"FAIL {problem}"))
                failures += len(exc.problems)
                continue
            if not rule.examples:
                self.stdout.write(self.style.WARNING(f"WARN {path}: the rule has no examples; add some"))
            for result in run_examples(rule):
                if result.passed:
                    passed += 1
                    self.stdout.write(f"ok   {rule.id}: {result.name}")
                else:
                    failures += 1
                    self.stdout.write(self.style.ERROR(f"FAIL {rule.id}: {result.name}"))
                    for line in result.diff:
                        self.stdout.write(f"       {line}")
        if failures:
            raise CommandError(
                f"{failures} problem(s) or failing example(s); {passed} example(s) passed.", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"{passed} example(s) passed in {len(files)} rule file(s)."))

    def publish(self, paths: list[Path]) -> None:
        try:
            report = services.publish_rules(paths=paths)
        except services.RulePublishError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s); nothing was published. Fix the lines above and run it again.",
                returncode=1,
            ) from exc
        for label in report.published:
            self.stdout.write(f"  published  {label}")
        self.stdout.write(self.style.SUCCESS(f"Rules: {report.summary()}."))

    def list(self) -> None:
        versions = list(selectors.rule_versions())
        if not versions:
            self.stdout.write("No rule is published; run `madoguchi rules publish`.")
            return
        for version in versions:
            state = "in force" if version.is_current else "old"
            self.stdout.write(
                f"{version.rule_id:<32} v{version.version:<3} {state:<8} {version.topic:<22} "
                f"examples {version.examples_passed} ok, {version.firing_count} firing(s)  {version.title_ja}"
            )

"""`madoguchi demo`: the demo town みどり市 — departments, staff, residents, procedures, FAQ and sample cases."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from madoguchi.accounts.models import Department, Role
from madoguchi.demo import town as demo

if TYPE_CHECKING:
    from madoguchi.demo.services import DemoLogin

# The services (and through them the FAQ engine: SudachiPy, bm25s, numpy) are imported where they are used,
# so that `madoguchi demo --help` starts at once.

ROLE_LABELS = {
    Role.REVIEWER: "審査担当",
    Role.APPROVER: "決裁者",
    Role.DEPARTMENT_ADMIN: "課管理者",
    Role.AUDITOR: "監査担当",
    "resident": "住民",
}


def _residents(text: str) -> int:
    value = int(text.replace(",", "").replace("_", ""))
    if not 1 <= value <= demo.MAX_RESIDENTS:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Load the demo town みどり市: departments, demo staff and resident accounts, residents and households, "
        "procedures, the demo FAQ and sample cases for the office queue. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--residents",
            type=_residents,
            default=demo.DEFAULT_RESIDENTS,
            help=f"Number of residents, 1 to {demo.MAX_RESIDENTS:,} (default {demo.DEFAULT_RESIDENTS:,}).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed gives the same town."
        )
        parser.add_argument(
            "--cases", type=int, default=60, help="Sample cases for the office queue (default 60)."
        )

    def handle(self, *args, residents: int, seed: int, cases: int, **options) -> None:
        self.verbosity = options.get("verbosity", 1)
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "The demo creates accounts with a published password, so it refuses to run with "
                "MADOGUCHI_PRODUCTION on. Use a separate demo database."
            )
        if cases < 0:
            raise CommandError("--cases must be 0 or more.")
        from madoguchi.demo.services import (
            DemoTownError,
            ensure_demo_booking,
            ensure_demo_resident,
            ensure_demo_staff,
            load_demo_town,
        )

        logins = ensure_demo_staff()
        resident = ensure_demo_resident()
        self.say(f"職員アカウント {len(logins)} 件と住民アカウント {resident.email} を用意しました。")

        self.say(f"みどり市の住民 {residents:,} 人を読み込んでいます（seed {seed}）…")
        try:
            town = load_demo_town(residents=residents, seed=seed)
        except DemoTownError as exc:
            raise CommandError(str(exc)) from exc
        if town.created:
            replaced = f"（以前のデモ住民 {town.replaced:,} 人を置き換え）" if town.replaced else ""
            self.say(
                f"  {town.residents:,} 人・{town.households:,} 世帯を {town.seconds:.1f} 秒で登録しました{replaced}。"
            )
        else:
            self.say(f"  同じデモ住民（{town.residents:,} 人・{town.households:,} 世帯）が登録済みです。")

        self.sync_procedures()
        self.publish_rules()
        self.import_faq()
        self.say(f"来庁予約: 予約の種類 {ensure_demo_booking()} 件を追加しました。")
        if cases:
            self.create_cases(count=cases, seed=seed)
        self.create_benefit()
        self.create_announcements()
        self.stdout.write(self.logins_box([*logins, resident]))

    def say(self, text: str) -> None:
        if self.verbosity:
            self.stdout.write(text)

    def warn(self, text: str) -> None:
        self.stderr.write(self.style.WARNING(text))

    def sync_procedures(self) -> None:
        from madoguchi.procedures.services import ProcedureSyncError, sync_procedures

        try:
            report = sync_procedures(directory=settings.PROCEDURES_DIR)
        except ProcedureSyncError as exc:
            self.warn(f"手続きファイルを公開できませんでした（{settings.PROCEDURES_DIR}）:\n{exc}")
            return
        self.say(f"手続き: {report.summary()}")

    def publish_rules(self) -> None:
        from madoguchi.automation.services import RulePublishError, publish_rules

        try:
            report = publish_rules(paths=[settings.RULES_DIR], published_by="demo")
        except RulePublishError as exc:
            self.warn(f"ルールを公開できませんでした（{settings.RULES_DIR}）:\n{exc}")
            return
        self.say(f"ルール: {report.summary()}")

    def import_faq(self) -> None:
        from madoguchi.demo.services import import_demo_faq

        result = import_demo_faq()
        self.say(f"よくある質問: {result}")

    def create_benefit(self) -> None:
        from madoguchi.demo.benefits import create_demo_benefit

        self.say(str(create_demo_benefit()))

    def create_announcements(self) -> None:
        from madoguchi.demo.announcements import create_demo_announcements

        self.say(f"お知らせ: {create_demo_announcements()} 件を追加しました。")

    def create_cases(self, *, count: int, seed: int) -> None:
        from madoguchi.demo.cases import DemoCaseError, create_demo_cases

        # Demo applicants have made-up addresses: their notifications stay in My Page, no email is sent.
        # In-process (eager) Celery logs every task at INFO; hundreds of those lines would bury the logins.
        # kombu also warns that no broker host is set, which is the in-process default.
        quiet = {name: logging.getLogger(name) for name in ("celery.app.trace", "kombu.connection")}
        levels = {name: log.level for name, log in quiet.items()}
        quiet["celery.app.trace"].setLevel(logging.WARNING)
        quiet["kombu.connection"].setLevel(logging.ERROR)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                report = create_demo_cases(count=count, seed=seed)
        except DemoCaseError as exc:
            self.warn(str(exc))
            return
        finally:
            for name, log in quiet.items():
                log.setLevel(levels[name])
        for slug, reason in sorted(report.skipped.items()):
            self.warn(f"手続き「{slug}」のサンプル申請は作れませんでした: {reason}")
        if report.created:
            statuses = ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items()))
            self.say(f"申請のサンプル {report.created} 件を作成しました（{statuses}）。")
        elif report.existing >= count:
            self.say(f"申請のサンプルは作成済みです（{report.existing} 件）。")

    def logins_box(self, logins: Sequence[DemoLogin]) -> str:
        from madoguchi.demo.services import DEMO_PASSWORD

        site = settings.SITE_URL.rstrip("/")
        names = dict(Department.objects.values_list("code", "name_ja"))
        lines = [
            f"{settings.MUNICIPALITY_NAME} デモ環境 (Madoguchi demo)",
            "",
            f"住民向けサイト  {site}/",
            f"職員向け画面    {site}/office/",
            f"パスワード（全アカウント共通）  {DEMO_PASSWORD}",
            "",
        ]
        width = max(_width(names.get(login.department, "")) for login in logins)
        for login in logins:
            if login.role == "resident":
                lines.append("")
                label = "住民（デモ）"
            elif login.department:
                label = (
                    f"{_pad(names.get(login.department, login.department), width)} {ROLE_LABELS[login.role]}"
                )
            else:
                label = ROLE_LABELS[login.role]
            lines.append(f"{_pad(label, width + 10)}  {login.email}")
        inner = max(_width(line) for line in lines) + 2
        top = "┌" + "─" * inner + "┐"
        bottom = "└" + "─" * inner + "┘"
        body = [f"│ {_pad(line, inner - 2)} │" for line in lines]
        return "\n".join(["", top, *body, bottom, ""])


def _width(text: str) -> int:
    """Columns on a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))

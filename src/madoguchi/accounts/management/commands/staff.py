"""`madoguchi staff reset-mfa EMAIL --by ADMIN_EMAIL`: remove a staff member's second factor (a lost phone)."""

from __future__ import annotations

import getpass
import logging

from django.core.management.base import BaseCommand, CommandError, CommandParser

from madoguchi.accounts import mfa
from madoguchi.accounts.models import User

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Staff account tools. `staff reset-mfa EMAIL --by ADMIN_EMAIL` removes the staff member's "
        "authenticator app and backup codes: their sessions are signed out of the office and their next "
        "sign-in sets up a new authenticator. ADMIN_EMAIL must be a department admin of the same department "
        "or a superuser; the reset is written to the audit log as `mfa_reset`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{reset-mfa}")
        reset = subcommands.add_parser(
            "reset-mfa", help="Remove a staff member's authenticator app and backup codes."
        )
        reset.add_argument("email", help="The staff member whose second factor is reset.")
        reset.add_argument(
            "--by",
            required=True,
            metavar="ADMIN_EMAIL",
            help="The department admin or superuser on whose authority the reset is made (audited).",
        )
        reset.add_argument("--lang", choices=("ja", "en"), default="ja", help="Language of the messages.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "reset-mfa":
            self.reset_mfa(email=options["email"], admin_email=options["by"], lang=options["lang"])

    def reset_mfa(self, *, email: str, admin_email: str, lang: str) -> None:
        user = self.staff_member(email, lang)
        admin = self.staff_member(admin_email, lang)
        try:
            removed = mfa.reset_second_factor(user=user, admin=admin, channel="cli")
        except mfa.MfaError as exc:
            raise CommandError(exc.message(lang), returncode=1) from exc
        logger.info("reset-mfa of staff member %s run by OS user %s", user.pk, getpass.getuser())
        if lang == "en":
            self.stdout.write(
                f"Second factor of {user.email} reset ({removed} device(s) removed). They set up a new "
                "authenticator app at their next sign-in."
            )
        else:
            self.stdout.write(
                f"{user.email} の2段階認証をリセットしました（{removed} 件の認証手段を削除）。"
                "次のログインで認証アプリを設定し直します。"
            )

    def staff_member(self, email: str, lang: str) -> User:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            if lang == "en":
                raise CommandError(f"No account with the email address {email}. Check the address.")
            raise CommandError(f"{email} のアカウントはありません。メールアドレスを確認してください。")
        return user

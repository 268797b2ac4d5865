from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.core.conf import settings_reference_markdown


class Command(BaseCommand):
    help = "Print the settings reference (docs/settings.md) generated from the environment-variable declarations."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail when docs/settings.md is out of date.")

    def handle(self, *args, check: bool = False, **options):
        text = settings_reference_markdown(project_dir=str(settings.PROJECT_DIR))
        if not check:
            self.stdout.write(text, ending="")
            return
        path = Path(settings.PROJECT_DIR) / "docs" / "settings.md"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise CommandError(f"{path} is out of date: run `make docs` and commit it.")
        self.stdout.write("docs/settings.md is up to date.")

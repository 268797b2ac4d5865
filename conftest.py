"""Test settings shared by every app: private uploads in a temporary folder, in-memory email; demo fixtures."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would refuse
# the ORM calls our browser tests make between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Property tests check what is true, not how fast: Hypothesis's per-example deadline (200 ms) fails a test
# when a shared CI machine stalls once (a first call that loads holiday tables took 300 ms under load).
# Speed is measured in bench/, as ratios, never in a test.
settings.register_profile("madoguchi", deadline=None)
settings.load_profile("madoguchi")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite the test database is a file (in memory-backed /dev/shm where there is one), not Django's
    in-memory default: with an in-memory database the live server's request threads and the test share one
    connection, and two requests at once (a lazy preview image and the next page) failed with "cannot start a
    transaction within a transaction". A file gives each thread its own connection, as in production."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or database.get("TEST", {}).get("NAME"):
        yield
        return
    shm = "/dev/shm"  # noqa: S108 (a private folder is made inside it)
    folder = tempfile.mkdtemp(prefix="madoguchi-test-", dir=shm if os.access(shm, os.W_OK) else None)
    database.setdefault("TEST", {})["NAME"] = str(Path(folder) / "test.sqlite3")
    yield
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for the whole run, driven by Playwright (one Playwright instance per process)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _japanese_first():
    """Every test starts in Japanese, the site's default, whatever language an earlier test in the same
    worker left active (a view rendered for /en/ activates English for the thread)."""
    from django.utils import translation

    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploads are rendered at once (in the rendering process all the same), not by a background thread that
    # could not see the test's transaction; no machine-wide slot makes test workers wait for each other.
    settings.RENDER_IN_BACKGROUND = False
    settings.RENDER_CONCURRENCY = 0


@pytest.fixture(autouse=True)
def _forget_rules():
    """The automation room caches the rules in force per process (re-read every few seconds); a test's rules
    roll back with its database, so no later test of the worker may see them."""
    yield
    from madoguchi.automation.services import forget_rules

    forget_rules()


# The demo room (madoguchi.demo) sits above every other room, so their tests may not import it either. Tests
# that want a piece of the demo town ask for it through these fixtures.


@pytest.fixture
def demo_departments(db):
    """The seven departments of みどり市 (`madoguchi.demo.services.ensure_departments`)."""
    from madoguchi.demo.services import ensure_departments

    return ensure_departments()


@pytest.fixture
def load_demo_town(db):
    """`madoguchi.demo.services.load_demo_town`: loads the demo town through the registry import."""
    from madoguchi.demo.services import load_demo_town

    return load_demo_town

"""A production server does not start with the public keys, without an audit key, or with a per-worker cache;
development and tests need none of them (core.checks)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from madoguchi.core import checks

GOOD_SECRET = "s" * 50
GOOD_AUDIT = "a" * 50
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.SECRET_KEY = GOOD_SECRET
    settings.AUDIT_HMAC_KEY = GOOD_AUDIT
    settings.AUDIT_KEY_CONFIGURED = True
    return settings


def _ids() -> list[str]:
    return [message.id for message in checks.production_configuration()]


def test_development_needs_no_keys(settings):
    settings.PRODUCTION = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    settings.AUDIT_KEY_CONFIGURED = False
    settings.CACHES = LOCMEM
    assert _ids() == []


def test_a_production_configuration_with_its_own_keys_and_a_shared_cache_passes(production):
    assert _ids() == []
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert _ids() == []


@pytest.mark.parametrize("secret", ["", "insecure-development-key-change-me", "django-insecure-abc", "short"])
def test_a_missing_public_or_short_secret_key_is_an_error(production, secret):
    production.SECRET_KEY = secret
    assert "madoguchi.E001" in _ids()


def test_a_missing_audit_key_is_an_error_even_when_the_secret_key_is_good(production):
    production.AUDIT_KEY_CONFIGURED = False
    production.AUDIT_HMAC_KEY = production.SECRET_KEY  # the development fallback
    assert _ids() == ["madoguchi.E002"]


def test_the_public_audit_key_is_an_error(production):
    production.AUDIT_HMAC_KEY = production.DEVELOPMENT_SECRET_KEY
    assert _ids() == ["madoguchi.E002"]


def test_an_audit_key_set_to_the_secret_key_is_only_a_warning(production):
    production.AUDIT_HMAC_KEY = GOOD_SECRET
    messages = checks.production_configuration()
    assert [m.id for m in messages] == ["madoguchi.W001"]
    assert not messages[0].is_serious()


def test_a_per_worker_cache_is_an_error(production):
    production.CACHES = LOCMEM
    assert _ids() == ["madoguchi.E003"]


def test_every_error_says_which_variable_to_set_and_how(production):
    production.SECRET_KEY = ""
    production.AUDIT_KEY_CONFIGURED = False
    production.CACHES = LOCMEM
    messages = checks.production_configuration()
    assert [m.id for m in messages] == ["madoguchi.E001", "madoguchi.E002", "madoguchi.E003"]
    assert "MADOGUCHI_SECRET_KEY" in messages[0].msg and "secrets.token_urlsafe" in messages[0].hint
    assert "MADOGUCHI_AUDIT_KEY" in messages[1].msg and "secrets.token_urlsafe" in messages[1].hint
    assert "MADOGUCHI_REDIS_URL" in messages[2].hint


def test_check_serve_and_the_wsgi_application_refuse_to_start(production):
    production.SECRET_KEY = production.DEVELOPMENT_SECRET_KEY
    with pytest.raises(SystemCheckError, match=r"madoguchi\.E001"):
        call_command("check")
    with pytest.raises(SystemCheckError, match=r"madoguchi\.E001"):
        call_command("serve", "--port", "8999")  # stops before gunicorn is started
    with pytest.raises(ImproperlyConfigured, match="MADOGUCHI_SECRET_KEY"):
        checks.refuse_unsafe_production()


def test_madoguchi_check_deploy_fails_in_production_with_the_defaults(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "DATABASE_URL"))}
    env.update(MADOGUCHI_PRODUCTION="true", MADOGUCHI_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.cli", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "madoguchi.E001" in result.stderr and "madoguchi.E002" in result.stderr
    assert "madoguchi.E003" not in result.stderr  # the database cache is shared by the workers

"""System checks that keep a production server from starting with public keys or per-worker limits.

They run with every management command that checks (`madoguchi check`, `check --deploy`, `migrate`), at
`madoguchi serve` before gunicorn starts, and when a WSGI server loads `madoguchi.wsgi` (which then refuses
to start). They only look at anything when `MADOGUCHI_PRODUCTION` is on: development and tests need no keys.

- `madoguchi.E001` the secret key is missing, the public development default, or short: anyone could sign
  sessions and the links sent by email (a confirmation or password-reset link for any account).
- `madoguchi.E002` the audit key is not set, is the public default, or is short: anyone could re-chain an
  edited audit log (and sign a matching anchor file) so that `madoguchi audit verify` passes.
- `madoguchi.E003` the cache is not shared by the workers (local memory): the cache-backed throttles (FAQ,
  フリガナ and postal-code look-ups) would count per worker process.
- `madoguchi.W001` the audit key is the secret key: allowed, for a site whose log was written that way.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 32
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
SHARED_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
)


def _public_key(value: str) -> bool:
    return (
        not value
        or value == getattr(settings, "DEVELOPMENT_SECRET_KEY", "")
        or value.startswith(("insecure-", "django-insecure-"))
        or len(value) < MIN_KEY_LENGTH
    )


def _configured_secret_key() -> str:
    try:
        return str(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses an empty SECRET_KEY when it is read
        return ""


def _secret_key() -> list[CheckMessage]:
    if not _public_key(_configured_secret_key()):
        return []
    return [
        Error(
            "MADOGUCHI_SECRET_KEY が設定されていないか、公開されている開発用の値か、短すぎます（"
            f"{MIN_KEY_LENGTH}文字未満）。誰でもセッションやメールのリンクを偽造できます。 / "
            "MADOGUCHI_SECRET_KEY is not set, is the public development value, or is shorter than "
            f"{MIN_KEY_LENGTH} characters: anyone could forge sessions and the links sent by email.",
            hint=f"Set MADOGUCHI_SECRET_KEY to a new random value, e.g. the output of: {GENERATE}",
            id="madoguchi.E001",
        )
    ]


def _audit_key() -> list[CheckMessage]:
    key = str(settings.AUDIT_HMAC_KEY)
    if not getattr(settings, "AUDIT_KEY_CONFIGURED", True) or _public_key(key):
        return [
            Error(
                "MADOGUCHI_AUDIT_KEY が設定されていないか、公開されている開発用の値か、短すぎます。"
                "誰でも書き換えた監査ログをつなぎ直して検証を通せます。 / "
                "MADOGUCHI_AUDIT_KEY is not set, is the public development value, or is shorter than "
                f"{MIN_KEY_LENGTH} characters: anyone could re-chain an edited audit log so that "
                "`madoguchi audit verify` passes.",
                hint=f"Set MADOGUCHI_AUDIT_KEY to a new random value of its own ({GENERATE}) and keep a copy "
                "outside the server. A site whose audit log was written without it sets it to its current "
                "MADOGUCHI_SECRET_KEY, so that the existing log still verifies.",
                id="madoguchi.E002",
            )
        ]
    if key == _configured_secret_key():
        return [
            CheckWarning(
                "MADOGUCHI_AUDIT_KEY is the same as MADOGUCHI_SECRET_KEY.",
                hint="Keep it while the existing audit log was written with it; a new site gives the audit "
                "log a key of its own.",
                id="madoguchi.W001",
            )
        ]
    return []


def _shared_cache() -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in SHARED_CACHES:
        return []
    return [
        Error(
            f"キャッシュ（{backend}）がワーカー間で共有されていません。 / The cache ({backend}) is not "
            "shared by the worker processes: throttles kept in it would count per worker.",
            hint="Set MADOGUCHI_REDIS_URL (redis://host:6379/1), or leave it empty for the database cache "
            "(table madoguchi_cache, created by `madoguchi migrate`).",
            id="madoguchi.E003",
        )
    ]


@register(Tags.security)
def production_configuration(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Errors when MADOGUCHI_PRODUCTION is on and a key is public or missing, or the cache is per worker."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    return [*_secret_key(), *_audit_key(), *_shared_cache()]


def refuse_unsafe_production() -> None:
    """Raise ImproperlyConfigured (the WSGI server does not start) on any error of the checks above."""
    errors = [message for message in production_configuration() if message.is_serious()]
    if errors:
        raise ImproperlyConfigured(
            "\n".join(f"{message.id}: {message.msg}\n    HINT: {message.hint}" for message in errors)
        )

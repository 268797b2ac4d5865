"""Django settings for Madoguchi. Every value comes from a documented environment variable (core.conf)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import dj_database_url

from madoguchi.core.conf import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
# django-ninja's bundled Swagger UI (templates and static files), found without importing ninja: as an
# INSTALLED_APPS entry it would import ninja and pydantic (~0.4 s) at every start of a `madoguchi` command.
NINJA_DIR = Path(find_spec("ninja").origin).parent
VAR_DIR = Path(
    env(
        "MADOGUCHI_VAR_DIR",
        str(PROJECT_DIR / "var"),
        help="Directory for the SQLite database, uploads and other runtime files (outside the web root).",
    )
)

DEBUG = env_bool("MADOGUCHI_DEBUG", False, help="Django debug mode. Never on in production.")
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - public: refused in production
SECRET_KEY = env(
    "MADOGUCHI_SECRET_KEY",
    DEVELOPMENT_SECRET_KEY,
    help="Django secret key: signs sessions, CSRF tokens and the links sent by email. Required in production "
    "(the server refuses to start with the default): a long random value, e.g. "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
)
ALLOWED_HOSTS = env_list(
    "MADOGUCHI_ALLOWED_HOSTS",
    "127.0.0.1,localhost",
    help="Comma-separated host names this server answers to.",
)
CSRF_TRUSTED_ORIGINS = env_list(
    "MADOGUCHI_CSRF_TRUSTED_ORIGINS",
    "",
    help="Comma-separated origins (scheme://host) trusted for CSRF behind a proxy.",
)
PRODUCTION = env_bool(
    "MADOGUCHI_PRODUCTION", False, help="Turn on production hardening: secure cookies, HSTS, SSL redirect."
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",  # staff second factor (MADOGUCHI_STAFF_MFA): TOTP devices and one-time backup codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "madoguchi.core",
    "madoguchi.accounts",
    "madoguchi.residents",
    "madoguchi.mynumber",
    "madoguchi.procedures",
    "madoguchi.cases",
    "madoguchi.notify",
    "madoguchi.portal",
    "madoguchi.office",
    "madoguchi.api",
    "madoguchi.faq",
    "madoguchi.nursery",
    "madoguchi.counter",
    "madoguchi.counter.handoff",  # core-system hand-off files (its own app label: handoff)
    "madoguchi.booking",  # visit booking, kiosk check-in, 呼び出し番号 and waiting times
    "madoguchi.automation",  # event-driven rules (rules/*.yaml): tasks, notices, letters, flags, webhooks
    "madoguchi.intake",  # paper intake: scans → OCR → verification → cases (channel=paper)
    "madoguchi.benefits",  # benefit programs (給付金): eligibility, 確認書, applications, 全銀 payment files
    "madoguchi.vaccination",  # mass vaccination booking (集団接種予約) and its waiting room
    "madoguchi.announcements",  # city announcements (お知らせ): public, and targeted by area, age or household
    "madoguchi.demo",  # the demo town みどり市 (`madoguchi demo`): uses the rooms listed before it; none uses it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "madoguchi.core.request_encoding.RequireUtf8FormsMiddleware",  # before anything reads request.POST
    "madoguchi.core.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor of this session
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "madoguchi.core.middleware.SecurityHeadersMiddleware",
    "madoguchi.core.middleware.AuditLookMiddleware",  # one audit row per look within a page view
    "madoguchi.api.errors.MethodNotAllowedMiddleware",  # a 405 under /api/ in the API's one error shape
]

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", NINJA_DIR / "templates"],  # ninja/swagger.html for /api/docs
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.office.context_processors.office_chrome",  # the header of every office page
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'madoguchi.sqlite3'}",
            help="Database URL. SQLite by default; postgres://user@host:5432/name for production.",
        ),
        conn_max_age=env_int(
            "MADOGUCHI_DB_CONN_MAX_AGE", 60, help="Seconds a database connection is kept open."
        ),
        # A kept connection is checked before a request reuses it, so that the first request of each worker after
        # a database restart does not fail on a dead connection (found by bench/faults).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # a password-reset link works once and for an hour (accounts.passwords)

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"  # `madoguchi collectstatic` target; served by WhiteNoise
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static", NINJA_DIR / "static"]  # ninja/: the Swagger UI, no CDN
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "uploads"  # private: never served directly, only through permission-checked views
UPLOAD_MAX_BYTES = env_int(
    "MADOGUCHI_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, help="Largest accepted upload in bytes."
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "madoguchi.core.error_pages.csrf_failure"  # styled, ja/en, says what to do
SESSION_COOKIE_AGE = env_int("MADOGUCHI_SESSION_AGE", 8 * 3600, help="Session lifetime in seconds.")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool(
        "MADOGUCHI_SSL_REDIRECT", True, help="Redirect plain HTTP to HTTPS in production."
    )
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env(
    "MADOGUCHI_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    help="Django email backend; django.core.mail.backends.smtp.EmailBackend for SMTP.",
)
EMAIL_HOST = env("MADOGUCHI_EMAIL_HOST", "localhost", help="SMTP host.")
EMAIL_PORT = env_int("MADOGUCHI_EMAIL_PORT", 25, help="SMTP port.")
EMAIL_HOST_USER = env("MADOGUCHI_EMAIL_USER", "", help="SMTP user name.")
EMAIL_HOST_PASSWORD = env("MADOGUCHI_EMAIL_PASSWORD", "", help="SMTP password.")
EMAIL_USE_TLS = env_bool("MADOGUCHI_EMAIL_TLS", False, help="Use STARTTLS for SMTP.")
DEFAULT_FROM_EMAIL = env(
    "MADOGUCHI_FROM_EMAIL", "noreply@city.midori.example.jp", help="Sender address of emails."
)
SITE_URL = env("MADOGUCHI_SITE_URL", "http://127.0.0.1:8000", help="Public base URL, used in emails.")
MUNICIPALITY_NAME = env(
    "MADOGUCHI_MUNICIPALITY_NAME", "みどり市", help="Name of the municipality shown in the UI."
)
MUNICIPALITY_NAME_EN = env(
    "MADOGUCHI_MUNICIPALITY_NAME_EN",
    "Midori City",
    help="English name of the municipality shown in the English UI.",
)
DEMO_POSTAL_CODES = env_bool(
    "MADOGUCHI_DEMO_POSTAL_CODES",
    not PRODUCTION,
    help="Register the demo town's fictional 000-xxxx postal codes for address autofill (off in production).",
)

CELERY_BROKER_URL = env(
    "MADOGUCHI_CELERY_BROKER_URL",
    "",
    help="Celery broker (redis://127.0.0.1:6379/0). Empty: tasks run in-process.",
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # tasks run in-process; nothing connects to a broker
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ROUTES = {
    "madoguchi.notify.*": {"queue": "notifications"},
    "madoguchi.core.tasks.*": {"queue": "events"},
    "madoguchi.nursery.*": {"queue": "bulk"},
    "madoguchi.automation.*": {"queue": "automation"},
    "madoguchi.intake.*": {"queue": "ocr"},  # paper intake: its own workers (CPU-bound OCR)
}
CELERY_TASK_DEFAULT_QUEUE = "default"
OUTBOX_SWEEP_SECONDS = env_int(
    "MADOGUCHI_OUTBOX_SWEEP_SECONDS",
    60,
    help="How often Celery beat delivers outbox events still pending after this many seconds (lost broker "
    "messages, failed subscribers).",
)
AUDIT_ANCHOR_FILE = env(
    "MADOGUCHI_AUDIT_ANCHOR_FILE",
    str(VAR_DIR / "audit-anchors.jsonl"),
    help="Append-only file outside the database where `madoguchi audit anchor` records every audit chain's "
    "length and newest hash (signed with MADOGUCHI_AUDIT_KEY); `madoguchi audit verify` checks the log "
    "against it. Ship copies off the server (docs/security.md).",
)
AUDIT_ANCHOR_SECONDS = env_int(
    "MADOGUCHI_AUDIT_ANCHOR_SECONDS",
    300,
    help="How often Celery beat anchors the audit log (`madoguchi audit anchor`); without Celery, run it "
    "from cron (docs/operations.md).",
)
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "madoguchi.core.tasks.sweep_outbox", "schedule": float(OUTBOX_SWEEP_SECONDS)},
    "unsent-notice-emails": {
        "task": "madoguchi.notify.tasks.email_unsent_notices",
        "schedule": float(OUTBOX_SWEEP_SECONDS),
    },
    "audit-anchor": {
        "task": "madoguchi.core.tasks.anchor_audit_log",
        "schedule": float(AUDIT_ANCHOR_SECONDS),
    },
    # 書かない窓口: delete expired pre-fill bundles and the answers of visits never confirmed.
    "counter-purge": {"task": "madoguchi.counter.tasks.purge_expired", "schedule": 3600.0},
    # Rules: retry failed actions whose backoff is over; announce today's 65th birthdays (once per person).
    "automation-retry": {"task": "madoguchi.automation.tasks.retry_due_actions", "schedule": 60.0},
    "automation-turned-65": {
        "task": "madoguchi.automation.tasks.announce_65th_birthdays",
        "schedule": 3600.0,
    },
}

REDIS_URL = env(
    "MADOGUCHI_REDIS_URL",
    "",
    help="Redis URL for the cache (redis://127.0.0.1:6379/1). Empty: Django's database cache (table "
    "madoguchi_cache, created by migrate), shared by every worker like Redis. Sign-in and email rate limits "
    "are counted in the database either way (core.counters).",
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "madoguchi_cache",  # core.models.CacheEntry
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    )
}
# Uploads are re-rendered for staff in a separate, limited process (cases.sandbox), never in a web request:
# by the Celery `default` queue with a broker, by a background thread of the web process without one.
RENDER_CPU_SECONDS = env_int(
    "MADOGUCHI_RENDER_CPU_SECONDS",
    30,
    help="CPU seconds one re-rendering of an upload may use (RLIMIT_CPU of the rendering process); a file "
    "that needs more is refused as too complex.",
)
RENDER_MEMORY_MB = env_int(
    "MADOGUCHI_RENDER_MEMORY_MB",
    1024,
    help="Address space of the rendering process in MB (RLIMIT_AS); a file that needs more is refused as too "
    "complex. At least 400.",
)
RENDER_TIMEOUT_SECONDS = env_int(
    "MADOGUCHI_RENDER_TIMEOUT_SECONDS",
    60,
    help="Wall-clock seconds after which a rendering process is killed; the upload is tried again later "
    "(at most 3 times, then refused as too complex).",
)
RENDER_CONCURRENCY = env_int(
    "MADOGUCHI_RENDER_CONCURRENCY",
    1,
    help="Renderings of uploads that may run at once on one machine, across all web and worker processes "
    "(lock files in MADOGUCHI_VAR_DIR/render-slots); 0: no machine-wide limit.",
)
RENDER_MAX_PAGES = env_int(
    "MADOGUCHI_RENDER_MAX_PAGES", 20, help="Most pages an uploaded PDF may have (more is refused at upload)."
)
RENDER_MAX_PAGE_OPERATIONS = env_int(
    "MADOGUCHI_RENDER_MAX_PAGE_OPERATIONS",
    100_000,
    help="Most drawing objects and path segments one PDF page may have (annotations and nested forms "
    "included), counted before anything is drawn.",
)
RENDER_MAX_OVERDRAW = env_int(
    "MADOGUCHI_RENDER_MAX_OVERDRAW",
    50,
    help="How many times the objects of one PDF page may paint the page's area over (an ordinary page: "
    "below 3; a hostile one: hundreds), measured before anything is drawn.",
)
RENDER_MAX_MEGAPIXELS = env_int(
    "MADOGUCHI_RENDER_MAX_MEGAPIXELS",
    160,
    help="Most megapixels all pages of one PDF may come to when rendered at 200 dpi (160: 20 A3 pages).",
)
RENDER_IN_BACKGROUND = True  # without a broker: a background thread (the tests render at once instead)
CELERY_BEAT_SCHEDULE["render-pending-uploads"] = {
    "task": "madoguchi.cases.tasks.render_pending",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["idempotency-keys-purge"] = {
    "task": "madoguchi.cases.tasks.purge_idempotency_keys",
    "schedule": 3600.0,
}

OIDC_ISSUER_URL = env(
    "MADOGUCHI_OIDC_ISSUER_URL",
    "",
    help="Issuer URL of the OpenID Connect provider that verifies residents' identity. Empty: online identity verification is off.",
)
OIDC_CLIENT_ID = env("MADOGUCHI_OIDC_CLIENT_ID", "", help="Client id of Madoguchi at the OpenID provider.")
OIDC_CLIENT_SECRET = env(
    "MADOGUCHI_OIDC_CLIENT_SECRET",
    "",
    help="Client secret at the OpenID provider. Empty: a public client (PKCE only).",
)
OIDC_SCOPES = env(
    "MADOGUCHI_OIDC_SCOPES",
    "openid profile address",
    help="Space-separated scopes to request; profile and address carry the name, birth date and address matched against the register.",
)
FIELD_ENCRYPTION_KEYS = env_list(
    "MADOGUCHI_FIELD_KEYS",
    "",
    help="Keys for encrypted fields (個人番号): comma-separated keyid:base64key entries (32 random bytes each), newest first; create one with `madoguchi mynumber generate-key`. Empty: a development key derived from the secret key (refused when MADOGUCHI_PRODUCTION is on).",
)
MY_NUMBER_ENABLED = env_bool(
    "MADOGUCHI_MY_NUMBER_ENABLED",
    False,
    help="Allow storing and revealing 個人番号 (My Number) in the vault. Off by default.",
)
AUDIT_DAILY_LOOKUP_THRESHOLD = env_int(
    "MADOGUCHI_AUDIT_DAILY_LOOKUP_THRESHOLD",
    100,
    help="Audit rows per staff member per day above which the auditor screen flags the day.",
)
DECISION_BY_ANOTHER_STAFF = env_bool(
    "MADOGUCHI_DECISION_BY_ANOTHER_STAFF",
    True,
    help="Review, then decision (決裁): a case is approved or rejected only after a reviewer has sent it for "
    "decision (決裁待ち) with a summary, and never by that reviewer. Off: approvers may also decide cases "
    "in review, and the reviewer may decide their own.",
)
LOGIN_RATE_LIMIT = env_int(
    "MADOGUCHI_LOGIN_RATE_LIMIT",
    10,
    help="Failed logins allowed per account and per IP in 15 minutes (and, counted apart, wrong staff sign-in "
    "codes).",
)
STAFF_MFA = env_bool(
    "MADOGUCHI_STAFF_MFA",
    PRODUCTION,
    help="Staff sign in with a second factor: a 6-digit code from an authenticator app (TOTP) or a one-time "
    "backup code; staff without one set it up at their next sign-in. Default: on when MADOGUCHI_PRODUCTION "
    "is on, off otherwise (the demo logins). Staff API tokens are not affected.",
)
OTP_TOTP_ISSUER = f"{MUNICIPALITY_NAME} Madoguchi"  # the account's name in the authenticator app
_AUDIT_KEY = env(
    "MADOGUCHI_AUDIT_KEY",
    "",
    help="Key that chains the audit log and signs its anchor file (HMAC-SHA256); keep it outside the "
    "database. Required in production (the server refuses to start without it): a long random value of its "
    "own, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`; a site whose log was written "
    "without it sets it to its current MADOGUCHI_SECRET_KEY so that the log still verifies. Empty: the "
    "secret key (development only).",
)
AUDIT_HMAC_KEY = _AUDIT_KEY or SECRET_KEY
AUDIT_KEY_CONFIGURED = bool(_AUDIT_KEY)  # core.checks refuses the fallback in production
FAQ_ENCODER = env(
    "MADOGUCHI_FAQ_ENCODER",
    "use-m3",
    help="Sentence encoder of the FAQ search's dense retriever (fused with the lexical one): use-m3 (default, "
    "Universal Sentence Encoder multilingual, Apache-2.0), e5-small (multilingual-e5-small 4-bit, MIT; slower "
    "to build), hashing (tests only) or none (lexical only). Models ship inside installed packages; nothing is "
    "downloaded. See docs/faq-engine.md.",
)
AUDIT_CHAINS = env_int(
    "MADOGUCHI_AUDIT_CHAINS",
    8,
    help="Number of parallel audit-log chains (1–256) that concurrent writers spread over on PostgreSQL, so "
    "that they do not queue behind one lock; about the number of application worker processes × threads. "
    "SQLite always uses one chain.",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_my_number": {"()": "madoguchi.mynumber.logging.MyNumberMaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_my_number"]}},
    "root": {"handlers": ["console"], "level": env("MADOGUCHI_LOG_LEVEL", "INFO", help="Log level.")},
    # In-process (eager) Celery would log every task at INFO.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}

BUNDLE_DAYS = env_int(
    "MADOGUCHI_BUNDLE_DAYS",
    14,
    help="Days a pre-fill bundle (書かない窓口: the QR code and short code a resident brings to the counter) "
    "stays valid. Expired bundles are deleted every hour by Celery beat (or `madoguchi counter purge`).",
)
COUNTER_LOOKUP_LIMIT = env_int(
    "MADOGUCHI_COUNTER_LOOKUP_LIMIT",
    10,
    help="Failed look-ups of bundle codes allowed per staff member and per IP in 15 minutes at the counter "
    "screen; then look-ups are refused until the window ends. Counted in the cache (shared with "
    "MADOGUCHI_REDIS_URL).",
)

BENEFITS_DEPARTMENTS = env_list(
    "MADOGUCHI_BENEFITS_DEPARTMENTS",
    "fukushi",
    help="Comma-separated department codes whose staff run benefit programs (給付金): their reviewers, approvers "
    "and department administrators take counter and paper applications and may look residents up for a benefit "
    "(the purpose 給付・手当・保険の資格確認); their approvers and administrators also approve, reject and export "
    "the 全銀 file. Other staff see the programs' figures only (docs/benefits.md).",
)

PROCEDURES_DIR = Path(
    env(
        "MADOGUCHI_PROCEDURES_DIR",
        str(PROJECT_DIR / "procedures"),
        help="Directory of procedure YAML files read by `madoguchi procedures sync`.",
    )
)
# Printed forms (procedures.forms): TrueType fonts embedded in every PDF. Debian: fonts-ipaexfont-mincho and
# fonts-ipaexfont-gothic (IPA Font License, embedding allowed); scripts/bootstrap.sh installs them.
FORMS_FONT_MINCHO = env(
    "MADOGUCHI_FORMS_FONT_MINCHO",
    "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    help="TrueType (.ttf) Mincho font embedded in printed forms (values and fixed texts).",
)
FORMS_FONT_GOTHIC = env(
    "MADOGUCHI_FORMS_FONT_GOTHIC",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    help="TrueType (.ttf) Gothic font embedded in printed forms (labels and headings).",
)
HANDOFF_CONFIG = env(
    "MADOGUCHI_HANDOFF_CONFIG",
    "",
    help="A YAML file with the columns, order, encoding and date format of the core-system hand-off files "
    "(docs/handoff.md); each format it names replaces the shipped section "
    "(src/madoguchi/counter/handoff/handoff.yaml). Empty: the shipped file.",
)

# Notification channels (notify.channels): SMS backend, provider adapter and the daily cap per number.
SMS_BACKEND = env(
    "MADOGUCHI_SMS_BACKEND",
    "console",
    help="How text messages (SMS) are sent: console (logged), file (one JSON line each in MADOGUCHI_SMS_FILE) "
    "or http (JSON POST to MADOGUCHI_SMS_HTTP_URL).",
)
SMS_FILE = env(
    "MADOGUCHI_SMS_FILE", str(VAR_DIR / "sms.jsonl"), help="File the `file` SMS backend appends messages to."
)
SMS_HTTP_URL = env(
    "MADOGUCHI_SMS_HTTP_URL",
    "",
    help='URL of the SMS provider for the `http` backend: receives a JSON POST {"to", "body", "sender"}.',
)
SMS_HTTP_TOKEN = env(
    "MADOGUCHI_SMS_HTTP_TOKEN", "", help="Bearer token sent to the SMS provider (Authorization header)."
)
SMS_HTTP_TIMEOUT = env_int("MADOGUCHI_SMS_HTTP_TIMEOUT", 10, help="Seconds to wait for the SMS provider.")
SMS_SENDER = env("MADOGUCHI_SMS_SENDER", "MIDORI-CITY", help="Sender name given to the SMS provider.")
SMS_DAILY_CAP = env_int(
    "MADOGUCHI_SMS_DAILY_CAP",
    5,
    help="Most text messages one phone number gets a day; more are refused and logged (abuse protection).",
)
# Visit booking (booking): reminders and the waiting-time estimate.
BOOKING_REMINDER_HOUR = env_int(
    "MADOGUCHI_BOOKING_REMINDER_HOUR",
    9,
    help="Hour (local time) from which Celery beat sends the day-before reminders of visit bookings.",
)
BOOKING_DEFAULT_SERVICE_MINUTES = env_int(
    "MADOGUCHI_BOOKING_DEFAULT_SERVICE_MINUTES",
    10,
    help="Minutes per resident assumed in the live waiting time until a window has served someone today.",
)
BOOKING_GUEST_BOOKINGS_PER_HOUR = env_int(
    "MADOGUCHI_BOOKING_GUEST_BOOKINGS_PER_HOUR",
    20,
    help="Most bookings without an account from one IP address in an hour (keeps one person from filling the "
    "slots); a kiosk or library terminal shared by many may need more.",
)
CELERY_BEAT_SCHEDULE["booking-reminders"] = {
    "task": "madoguchi.booking.tasks.send_reminders",
    "schedule": 900.0,
}
# Event-driven rules (automation room, docs/rules.md).
RULES_DIR = Path(
    env(
        "MADOGUCHI_RULES_DIR",
        str(PROJECT_DIR / "rules"),
        help="Directory of rule YAML files read by `madoguchi rules test|publish` when no path is given.",
    )
)
RULES_ENABLED = env_bool(
    "MADOGUCHI_RULES_ENABLED",
    True,
    help="Evaluate published rules on domain events. Off: events are delivered as before and no rule fires "
    "(firings are not caught up later).",
)
RULE_ACTION_MAX_ATTEMPTS = env_int(
    "MADOGUCHI_RULE_ACTION_MAX_ATTEMPTS",
    5,
    help="Attempts of a failing rule action (retried with exponential backoff from 30 s) before it stops and "
    "waits on the office's stuck page for a retry by hand.",
)
RULE_WEBHOOKS = env(
    "MADOGUCHI_RULE_WEBHOOKS",
    "",
    help='Webhook endpoints rules may call, as JSON: {"name": {"url": "https://…", "secret": "…"}}. Each '
    "request is a CloudEvents 1.0 JSON POST signed with HMAC-SHA256 of the endpoint's secret "
    "(header Madoguchi-Signature, docs/rules.md).",
)
# Paper intake (madoguchi.intake, docs/intake.md): scans read on this machine, never by a cloud service.
OCR_ENGINE = env(
    "MADOGUCHI_OCR_ENGINE",
    "rapidocr",
    help="OCR engine the paper intake reads fields with (a name of the engine registry in "
    "madoguchi.intake.engine: rapidocr, tesseract).",
)
OCR_ACCEPT_CONFIDENCE = env(
    "MADOGUCHI_OCR_ACCEPT_CONFIDENCE",
    "",
    help="Confidence (0–1) from which a field read from a scan is accepted without a person; below it the "
    "field waits in the verification queue. Empty: the engine's calibrated default (ACCEPT_THRESHOLD).",
)
INTAKE_MAX_PAGES = env_int(
    "MADOGUCHI_INTAKE_MAX_PAGES",
    500,
    help="Most pages read from one scanned PDF or TIFF; the pages after it get the status too_large (the "
    "file is kept).",
)
INTAKE_MAX_MEGAPIXELS = env_int(
    "MADOGUCHI_INTAKE_MAX_MEGAPIXELS",
    60,
    help="Most megapixels of one scanned page (an A4 page at 600 dpi is 35); a larger page gets the status "
    "too_large and is not decoded (the file is kept).",
)
INTAKE_MAX_UPLOAD_MB = env_int(
    "MADOGUCHI_INTAKE_MAX_UPLOAD_MB",
    200,
    help="Largest scanned file staff may upload on the intake page, in MB (the CLI and the watched folder "
    "have no limit).",
)
INTAKE_WATCH_DIR = env(
    "MADOGUCHI_INTAKE_WATCH_DIR",
    "",
    help="Folder the scanner writes to. When set, Celery beat (queue ocr) or `madoguchi intake watch` takes "
    "each new file in it, keeps the original, reads it, and moves it to done/ or failed/ beside it. Empty: "
    "off.",
)
INTAKE_WATCH_SECONDS = env_int(
    "MADOGUCHI_INTAKE_WATCH_SECONDS",
    30,
    help="How often the watched folder is looked at (Celery beat and `madoguchi intake watch`); a file is "
    "taken once it has not been written to for this long.",
)
if INTAKE_WATCH_DIR:
    CELERY_BEAT_SCHEDULE["intake-watch-folder"] = {
        "task": "madoguchi.intake.tasks.sweep_watch_dir",
        "schedule": float(INTAKE_WATCH_SECONDS),
    }
VACCINATION_ADMISSION_RATE = env_int(
    "MADOGUCHI_VACCINATION_ADMISSION_RATE",
    200,
    help="People per second the vaccination waiting room admits to booking, across every web node (set it "
    'below what the booking path sustains: docs/vaccination.md "Sizing"). Arrivals above it wait in line '
    "on a queue page that refreshes itself; with MADOGUCHI_REDIS_URL the line is kept in Redis, else in the "
    "database.",
)
VACCINATION_ADMISSION_BURST = env_int(
    "MADOGUCHI_VACCINATION_ADMISSION_BURST",
    50,
    help="Arrivals admitted at once after a quiet spell before the line forms (the waiting room's burst).",
)
VACCINATION_ADMISSION_MINUTES = env_int(
    "MADOGUCHI_VACCINATION_ADMISSION_MINUTES",
    15,
    help="Minutes an admission to vaccination booking stays valid; then the resident lines up again.",
)
VACCINATION_TICKETS_PER_IP = env_int(
    "MADOGUCHI_VACCINATION_TICKETS_PER_IP",
    120,
    help="Places in the vaccination waiting line one IP address may take per 10 minutes (generous: many "
    "phones share a carrier's address); more are refused with a message to try again later.",
)
VACCINATION_LOOKUP_LIMIT = env_int(
    "MADOGUCHI_VACCINATION_LOOKUP_LIMIT",
    20,
    help="Wrong 接種券 numbers or birth dates allowed per IP address in 15 minutes; then look-ups are refused "
    "until the window ends.",
)

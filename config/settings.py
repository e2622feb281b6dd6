"""Alliance settings: one module, read from the environment.

Alliance runs on PostgreSQL only. ``DATABASE_URL`` names the server; without it, the settings point
at the embedded PostgreSQL in ``var/postgres`` (see config/embedded.py: ``bin/run`` and ``bin/test``
start it, the settings never do). The Celery broker is ``CELERY_BROKER_URL`` (or ``REDIS_URL``), else
folders under ``var/``, so a bare machine needs no server. Every variable is listed in README.md.
"""

from datetime import timedelta
from pathlib import Path

import pghistory
from celery.schedules import crontab

from config import embedded
from config.env import (
    EnvError,
    broker_from_url,
    cache_from_url,
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ALLIANCE_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise EnvError(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 - DEBUG only

# A key that only signs pseudonymous export ids: rotating SECRET_KEY must not change them.
PSEUDONYM_KEY = env_str("PSEUDONYM_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")

# HTTPS hardening is on unless DEBUG is on or HTTPS=false is set on purpose (a laptop demo).
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that always sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "pgtrigger",
    "pghistory",
    "patients",
    "sessions.apps.CareSessionsConfig",
    "alliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session middleware, so a database that is down answers 503 wherever it is first hit.
    "patients.middleware.DatabaseDownMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "patients.middleware.NoStoreMiddleware",
    "patients.middleware.ExpiredSignInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "patients.middleware.SecondFactorMiddleware",
    # Who made a change, and through which page, goes with every row the request changes.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "patients.middleware.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
    "patients.middleware.FormOnceMiddleware",
    "patients.middleware.OwnChangesMiddleware",
    "patients.middleware.ReadAuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "patients.context_processors.role",
                "patients.context_processors.shown_zone",
            ],
            "builtins": ["patients.templatetags.form_tokens"],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL") or embedded.settings_url(VAR_DIR)),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "patients.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "patients.backends.EmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "patients.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "patients.passwords.StrengthValidator", "OPTIONS": {"min_score": 3, "max_length": 128}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "alliance:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a day
# Reset emails asked for, per email and per address (IP), in an hour; beyond that the page answers the same
# and nothing is sent.
PASSWORD_RESET_WINDOW_SECONDS = 60 * 60
PASSWORD_RESET_PER_EMAIL = env_int("PASSWORD_RESET_PER_EMAIL", 3, minimum=1)
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 10, minimum=1)

# Sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# …and 12 hours after signing in, however active (patients.middleware.ExpiredSignInMiddleware).
SESSION_MAX_HOURS = 12

# django-axes: 5 failures for one email from one address pause sign-in for 15 minutes…
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# …and failures for any emails from one address (password spraying) pause that address.
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_HANDLER = "patients.axes_handler.AddressLimitedHandler"
AXES_USERNAME_CALLABLE = "patients.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The second factor (django-otp): clinicians, clinic admins and superusers must give one after their
# password; a patient may choose to. Codes from an authenticator app (TOTP), single-use recovery codes,
# and passkeys (django-otp-webauthn). Wrong codes are throttled by django-otp: each failure doubles the
# wait, starting at a second.
OTP_TOTP_ISSUER = "Alliance"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Changing a password or the factors themselves asks for the second factor again after this long.
SECOND_FACTOR_RECONFIRM_MINUTES = 10
OTP_WEBAUTHN_RP_NAME = "Alliance"
# The relying party is the host the request came to (already checked against ALLOWED_HOSTS), and the one
# origin accepted is that request's own: see patients/passkeys.py. So there is no fixed list to check.
OTP_WEBAUTHN_RP_ID_CALLABLE = "patients.passkeys.relying_party_id"
OTP_WEBAUTHN_HELPER_CLASS = "patients.passkeys.PasskeyHelper"
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
# A passkey is a second factor here, after the password, never a way round it.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# The audit trail (patients/models/audit.py): the request's user and URL are kept on each change
# event itself, and nobody may rewrite an event.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_APPEND_ONLY = True

INVITATION_TTL = timedelta(days=7)
ALLIANCE_DEFAULT_TIMEZONE = env_str("ALLIANCE_DEFAULT_TIMEZONE") or "Europe/London"

LANGUAGE_CODE = "en-gb"
# What a person may choose on their account (User.language); pages, forms and emails follow it. A
# language is listed here once every page and email a patient sees has its translation in locale/
# (tests/test_translations.py fails otherwise). Each is named in its own language.
LANGUAGES = [("en-gb", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates are written by name ({{ when|date:"SHORT_DAY_TIME_FORMAT" }}); each language says how (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# Reports and exports. Export files hold patient data: they are never served as media, only through
# a permission-checked view, and are deleted EXPORT_FILE_HOURS after they are ready.
EXPORT_ROOT = Path(env_str("EXPORT_ROOT") or MEDIA_ROOT / "exports")
EXPORT_FILE_HOURS = env_int("EXPORT_FILE_HOURS", 72, minimum=1, maximum=24 * 90)
# Exports up to this many rows stream straight back in the request; bigger ones run as a task.
EXPORT_STREAM_MAX_ROWS = env_int("EXPORT_STREAM_MAX_ROWS", 10_000, minimum=0)
# How often (in rows) a running export reports its progress.
EXPORT_PROGRESS_ROWS = env_int("EXPORT_PROGRESS_ROWS", 5_000, minimum=1)
# Below this many patients a report shows "too few to compare" instead of a percentage or average.
REPORT_MIN_PATIENTS = env_int("REPORT_MIN_PATIENTS", 5, minimum=1)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Email: console by default; EMAIL_URL=smtp://user:password@host:587?tls=1 for real mail.
globals().update(email_from_url(env_str("EMAIL_URL") or "console://"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Alliance <no-reply@alliance.invalid>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when configured, otherwise a broker made of folders that needs no server.
CELERY_BROKER_URL = broker_from_url(
    env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://",
    name="CELERY_BROKER_URL" if env_str("CELERY_BROKER_URL") else "REDIS_URL",
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Django's cache, shared by every web process (the clinician's caseload is kept in it for a few
# seconds): CACHE_URL, else the Redis the broker uses, else folders under ALLIANCE_VAR_DIR/cache.
CACHES = {
    "default": cache_from_url(
        env_str("CACHE_URL")
        or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else f"file://{VAR_DIR / 'cache'}")
    )
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "alliance"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-login-sessions": {
        "task": "patients.tasks.login_sessions_clear_expired",
        "schedule": crontab(minute=17, hour=3),
    },
    "forget-old-form-tokens": {
        "task": "patients.tasks.form_submissions_clear_old",
        "schedule": crontab(minute=27, hour=3),
    },
    # Exports asked for while the broker was down are sent as soon as it answers again.
    "exports-dispatch-unsent": {
        "task": "alliance.tasks.exports_dispatch_unsent",
        "schedule": timedelta(seconds=env_int("EXPORT_DISPATCH_SECONDS", 60, minimum=1)),
    },
    "export-housekeeping": {
        "task": "alliance.tasks.exports_housekeeping",
        "schedule": crontab(minute="5,35"),
    },
    # Reminders are rows in the database: beat plans them and hands out the due ones.
    "reminders-plan": {"task": "sessions.tasks.reminders_plan", "schedule": timedelta(minutes=5)},
    "reminders-dispatch": {"task": "sessions.tasks.reminders_dispatch", "schedule": timedelta(minutes=1)},
}
# A reminder handed to a worker that never finished it is handed out again after this long.
REMINDER_LEASE_SECONDS = env_int("REMINDER_LEASE_SECONDS", 300, minimum=10)
# The right-hand side of reminder Message-IDs, so a resend is recognisably the same message.
REMINDER_MESSAGE_DOMAIN = env_str("REMINDER_MESSAGE_DOMAIN") or "alliance.invalid"

LOG_LEVEL = (env_str("LOG_LEVEL") or "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise EnvError(f"LOG_LEVEL={LOG_LEVEL!r} is not a level; use DEBUG, INFO, WARNING, ERROR or CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals_in_one_line": {"()": "config.log_filters.RefusalsInOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals_in_one_line"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

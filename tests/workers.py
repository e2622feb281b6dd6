"""Real Celery processes for tests: ``celery -A config worker`` (and ``beat``) on a queue of the test's own.

Eager mode would hide what goes wrong in production (a task sent to a broker nobody reads, a worker
that cannot see rows the sender has not committed), so tests that need a worker start real ones
with :class:`CeleryWorkers`, through the ``celery_workers`` fixture in ``tests/conftest.py``:

- each worker is a ``python -m celery -A config worker --pool=solo`` subprocess, reading and
  writing the test database (:func:`database_url`), on the configured broker unless told otherwise,
  consuming only a private queue, so a worker left over from an interrupted run or another
  engineer's worker on the same broker never takes the test's messages;
- environment overrides per launcher or per process (``None`` removes a variable);
- every process logs to its own file in the test's ``tmp_path``, and a failure shows the logs;
- every process is stopped at the end, whatever happened, before the test database is flushed;
- nothing sleeps for a fixed time: :meth:`CeleryWorkers.wait_until` polls a condition until it
  holds (or fails, saying what it waited for), e.g. "the worker has logged ready", "every task
  sent to the queue has finished".

Tests using it must be ``@pytest.mark.django_db(transaction=True)``: a worker only sees committed rows.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from celery.signals import after_task_publish
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# An upper bound, never a pause: every wait returns as soon as its condition holds. Generous,
# because two shared cores can be slow to start a worker.
TIMEOUT = 120.0
# Often enough not to keep a test waiting, rarely enough not to compete with the workers for the CPU.
POLL = 0.2

T = TypeVar("T")

_TASK_LINE = re.compile(r"Task [\w.]+\[(?P<id>[0-9a-f-]{36})\] (?P<what>received|succeeded|raised|failed)")


def database_url(settings_dict=None) -> str:
    """The URL of the database this process uses, for the processes it starts."""
    db = settings_dict or connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    # The embedded server's HOST is the folder of its socket: percent-encoded, it stays one part of the URL.
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = TIMEOUT,
    every: float = POLL,
    details: Callable[[], str] = lambda: "",
    check: Callable[[], None] = lambda: None,
) -> T:
    """Poll ``condition`` until it returns something true, and return that.

    ``check`` runs between polls and may fail the test early (a process that died); after
    ``timeout`` seconds the test fails naming ``what`` it waited for, followed by ``details()``.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        check()
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout:.0f} s for {what}, and it did not happen.\n{details()}")
        time.sleep(every)


@dataclass
class CeleryProcess:
    """One ``celery -A config …`` subprocess and the file it logs to."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    killed: bool = False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """``kill -9`` the process and everything it started, as a crash would."""
        self.killed = True
        if self.running:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)


@dataclass
class CeleryWorkers:
    """Workers (and beat) for one test, on one private queue, all stopped by :meth:`stop`."""

    tmp_path: Path
    env: dict[str, str | None] = field(default_factory=dict)
    queue: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    processes: list[CeleryProcess] = field(default_factory=list)
    # Ids of the tasks this process has sent to the queue, in order, and what each was sent
    # (its task name and arguments, as Celery wrote them in the message).
    sent: list[str] = field(default_factory=list)
    sent_calls: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        self.env.setdefault("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
        after_task_publish.connect(self._note_sent, weak=False)

    def _note_sent(self, sender=None, headers=None, routing_key=None, **kwargs):
        if routing_key == self.queue and headers and headers.get("id"):
            self.sent.append(headers["id"])
            self.sent_calls.append((headers.get("task", ""), headers.get("argsrepr", "")))

    # --- starting ------------------------------------------------------------------------------

    def environ(self, **overrides: str | None) -> dict[str, str]:
        wanted = {
            # The processes read and write the test database, not the development one.
            "DATABASE_URL": database_url(),
            "CELERY_QUEUE": self.queue,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.env,
            **overrides,
        }
        environ = dict(os.environ)
        for key, value in wanted.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        return environ

    def _start(self, name: str, arguments: list[str], env: dict[str, str | None]) -> CeleryProcess:
        log_path = self.tmp_path / f"{name}.log"
        assert not log_path.exists(), f"a process called {name!r} was already started"
        with log_path.open("w") as log:
            popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *arguments],
                # Run outside the repository: nothing a worker or beat writes lands in the work tree.
                cwd=self.tmp_path,
                env=self.environ(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = CeleryProcess(name, popen, log_path)
        self.processes.append(process)
        return process

    def start_worker(self, name: str = "worker", *, wait: bool = True, **env: str | None) -> CeleryProcess:
        """Start a worker on the private queue; unless ``wait=False``, return once it has logged ready."""
        worker = self._start(
            name,
            [
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                self.queue,
                "--hostname",
                f"{name}-{self.queue}@%h",
                # Nothing to synchronise with: skip the broadcast round trips to start faster.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
        )
        if wait:
            self.wait_ready(worker)
        return worker

    def start_beat(self, name: str = "beat", **env: str | None) -> CeleryProcess:
        return self._start(name, ["beat", "--loglevel=INFO", "--max-interval=1"], env)

    def wait_ready(self, *workers: CeleryProcess) -> None:
        """Wait until each worker has logged that it is ready to take tasks."""
        for worker in workers:
            self.wait_until(lambda worker=worker: " ready." in worker.log(), f"{worker.name} to log that it is ready")

    # --- waiting -------------------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], T], what: str, *, timeout: float = TIMEOUT, every: float = POLL) -> T:
        """:func:`wait_until`, failing at once if a process dies that the test did not kill."""
        return wait_until(condition, what, timeout=timeout, every=every, details=self.logs, check=self._none_died)

    def _none_died(self) -> None:
        for process in self.processes:
            if not process.killed and not process.running:
                pytest.fail(f"{process.name} exited with {process.popen.returncode}.\n{self.logs()}")

    def finished(self) -> set[str]:
        """Ids of the tasks some worker has finished (succeeded, failed or raised)."""
        return {
            match["id"]
            for process in self.processes
            for match in _TASK_LINE.finditer(process.log())
            if match["what"] != "received"
        }

    def lost(self) -> set[str]:
        """Ids of the tasks a worker had taken when the test killed it."""
        return {
            match["id"]
            for process in self.processes
            if process.killed
            for match in _TASK_LINE.finditer(process.log())
            if match["what"] == "received"
        }

    def wait_until_settled(self, timeout: float = TIMEOUT) -> None:
        """Wait until every task sent to the queue from this process has been dealt with: finished by
        a worker, or taken by one the test then killed. Whatever the workers do, they do before this returns.
        """
        assert self.sent, f"no task was sent to {self.queue} from this process: there is nothing to wait for"
        self.wait_until(
            lambda: not set(self.sent) - self.finished() - self.lost(),
            f"the workers to finish all {len(self.sent)} tasks sent to {self.queue}",
            timeout=timeout,
        )

    def logs(self) -> str:
        return "\n".join(f"--- {process.name} ---\n{process.log()[-6000:]}" for process in self.processes)

    # --- stopping ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every process (killed outright: a warm shutdown only waits out the broker's poll) and
        empty and remove the queue on the configured broker, so later runs find no stale messages."""
        after_task_publish.disconnect(self._note_sent)
        for process in self.processes:
            process.kill()
        broker_url = self.env.get("CELERY_BROKER_URL")
        if broker_url == settings.CELERY_BROKER_URL:
            from kombu import Exchange, Queue

            from config.celery import app

            with app.connection_for_write() as conn:
                # Declared here first, so this connection knows the bindings it is to remove with it.
                queue = Queue(self.queue, Exchange(self.queue), routing_key=self.queue).bind(conn.default_channel)
                queue.declare()
                queue.purge()
                queue.delete()

    @contextmanager
    def default_queue(self) -> Iterator[str]:
        """Inside, tasks the app sends without naming a queue go to this launcher's queue."""
        from config.celery import app

        default = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue
        try:
            yield self.queue
        finally:
            app.conf.task_default_queue = default

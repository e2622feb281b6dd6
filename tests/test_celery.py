"""Celery with real worker processes, not eager mode.

Eager mode would hide the two things that go wrong in production: a task published to a broker
nobody consumes, and a worker that cannot see rows the sender has not committed. So these tests start
``celery -A config worker`` (and beat) as separate processes against the test database, and watch for
the task's effect there. Each test uses its own queue, so a worker left over from an interrupted run,
or another worker on the same broker, never takes its messages.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu import Exchange, Queue

from config.celery import app as celery_app
from patients.models import LoginSession
from patients.tasks import login_sessions_clear_expired
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
TASK = "patients.tasks.login_sessions_clear_expired"
# A worker starts in 2-3 s; the filesystem broker and beat each poll about once a second.
TIMEOUT = 30


def test_database_url() -> str:
    """The URL of the database this test runs on, for the processes the test starts."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    # The embedded server's HOST is the folder of its socket: percent-encoded, it stays one part of the URL.
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


class CeleryProcesses:
    """Starts ``celery -A config …`` processes for one test and stops every one of them after it."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def environ(self, **overrides: str | None) -> dict[str, str]:
        environ = {
            **os.environ,
            # The worker must read and write the test database, not the development one.
            "DATABASE_URL": test_database_url(),
            "CELERY_QUEUE": self.queue,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        environ.update({key: value for key, value in overrides.items() if value is not None})
        for key in [key for key, value in overrides.items() if value is None]:
            environ.pop(key, None)
        return environ

    def start(self, name: str, arguments: list[str], environ: dict[str, str]) -> Path:
        log_path = self.tmp_path / f"{name}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *arguments],
                # Run outside the repository: nothing a worker or beat writes lands in the work tree.
                cwd=self.tmp_path,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append((process, log_path))
        return log_path

    def start_worker(self, environ: dict[str, str]) -> Path:
        return self.start(
            "worker",
            [
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                self.queue,
                "--hostname",
                f"{self.queue}@%h",
                # Nothing to synchronise with: skip the broadcast round trips to start faster.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            environ,
        )

    def start_beat(self, environ: dict[str, str]) -> Path:
        return self.start("beat", ["beat", "--loglevel=INFO", "--max-interval=1"], environ)

    def logs(self) -> str:
        return "\n".join(f"--- {log_path.name} ---\n{log_path.read_text()}" for _, log_path in self.processes)

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if condition():
                return
            for process, log_path in self.processes:
                if process.poll() is not None:
                    pytest.fail(f"{log_path.stem} exited with {process.returncode} before {what}\n{self.logs()}")
            time.sleep(0.2)
        pytest.fail(f"Waited {TIMEOUT} s and {what} did not happen.\n{self.logs()}")

    def stop(self) -> None:
        # Nothing is left for them to finish, and a warm shutdown only waits out the broker's poll
        # (2-4 s a worker), so they are killed outright.
        for process, _ in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def delete_queue(self) -> None:
        """Remove this test's queue from a Redis broker, so runs leave no bindings behind."""
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            return  # the filesystem broker's queue is a file name pattern: nothing to remove
        with celery_app.connection_for_write() as conn:
            queue = Queue(self.queue, Exchange(self.queue), routing_key=self.queue).bind(conn.default_channel)
            queue.declare()
            queue.delete()


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    # Asking for transactional_db here means the processes are stopped before the database is
    # flushed (PostgreSQL cannot drop a database other sessions are connected to).
    processes = CeleryProcesses(tmp_path)
    yield processes
    processes.stop()
    processes.delete_queue()


def expired_and_current_login_sessions() -> tuple[str, str]:
    """One login session that ended an hour ago and one still running, each tracked for its user."""
    user = UserFactory()
    keys = []
    for expire_date in (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(minutes=20)):
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store.create()
        Session.objects.filter(session_key=store.session_key).update(expire_date=expire_date)
        LoginSession.objects.create(user=user, session_key=store.session_key)
        keys.append(store.session_key)
    return keys[0], keys[1]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_the_configured_broker_runs_on_a_real_worker(celery_processes):
    expired, current = expired_and_current_login_sessions()
    # Whatever the settings say (Redis on CI, the filesystem broker on a laptop), the worker gets the
    # same broker; only the database and the queue are the test's own.
    worker_log = celery_processes.start_worker(celery_processes.environ(CELERY_BROKER_URL=settings.CELERY_BROKER_URL))

    login_sessions_clear_expired.apply_async(queue=celery_processes.queue)

    celery_processes.wait_for(
        lambda: not Session.objects.filter(session_key=expired).exists(), "the expired session was deleted"
    )
    assert Session.objects.filter(session_key=current).exists()
    assert list(LoginSession.objects.values_list("session_key", flat=True)) == [current]
    celery_processes.wait_for(lambda: "succeeded" in worker_log.read_text(), "the worker logged success")
    log = worker_log.read_text()
    assert f"{settings.CELERY_BROKER_URL.split('://')[0]}://" in log
    assert f"Task {TASK}[" in log


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_embedded_filesystem_broker_runs_a_beat_schedule_on_a_real_worker(celery_processes, tmp_path):
    expired, current = expired_and_current_login_sessions()
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=f"clear expired login sessions ({celery_processes.queue})",
        task=TASK,
        interval=every_second,
        queue=celery_processes.queue,
    )
    var_dir = tmp_path / "var"
    # No broker configured at all: the settings fall back to folders under ALLIANCE_VAR_DIR.
    embedded = celery_processes.environ(CELERY_BROKER_URL=None, REDIS_URL=None, ALLIANCE_VAR_DIR=str(var_dir))
    worker_log = celery_processes.start_worker(embedded)
    beat_log = celery_processes.start_beat(embedded)

    celery_processes.wait_for(
        lambda: not Session.objects.filter(session_key=expired).exists(), "beat's task deleted the expired session"
    )
    assert Session.objects.filter(session_key=current).exists()
    celery_processes.wait_for(lambda: "succeeded" in worker_log.read_text(), "the worker logged success")
    assert "transport:   filesystem://" in worker_log.read_text()
    assert f"Sending due task clear expired login sessions ({celery_processes.queue})" in beat_log.read_text()
    assert (var_dir / "celery" / "queue").is_dir()

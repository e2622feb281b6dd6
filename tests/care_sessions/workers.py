"""Start and stop real ``celery -A config worker`` processes against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


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


class Workers:
    """Worker processes on one private queue, each logging to its own file; all stopped at the end."""

    def __init__(self, tmp_path: Path, *, broker_url: str, mailbox: str, db_url: str | None = None):
        self.tmp_path = tmp_path
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.broker_url = broker_url
        self.mailbox = mailbox
        self.db_url = db_url
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str = "worker", **env: str) -> subprocess.Popen:
        log_path = self.tmp_path / f"{name}-{len(self.processes)}.log"
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.care_sessions.worker_settings",
            "DATABASE_URL": self.db_url or database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_QUEUE": self.queue,
            "ALLIANCE_MAILBOX": self.mailbox,
            "ALLIANCE_MAILBOX_REDIS": self.broker_url,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "-Q",
                    self.queue,
                    "--hostname",
                    f"{name}-{len(self.processes)}-{self.queue}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=self.tmp_path,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append((process, log_path))
        self._wait_ready(process, log_path)
        return process

    def _wait_ready(self, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in log_path.read_text():
                return
            if process.poll() is not None:
                raise RuntimeError(f"The worker stopped while starting:\n{log_path.read_text()}")
            time.sleep(0.1)
        raise RuntimeError(f"The worker did not start within {timeout} s:\n{log_path.read_text()}")

    @staticmethod
    def kill_9(process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name} ---\n{path.read_text()[-4000:]}" for _, path in self.processes)

    def stop_all(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)

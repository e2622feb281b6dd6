"""The reminder benchmark's workers (bench/reminders.py): the one launcher in tests/workers.py,
with the settings that give every worker the Redis mailbox. The tests use tests/workers.py directly."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.workers import CeleryWorkers, database_url

__all__ = ["Workers", "database_url", "mailbox_env"]


def mailbox_env(*, broker_url: str, mailbox: str) -> dict[str, str]:
    """What a worker needs to send its email to the Redis list ``mailbox`` (tests/care_sessions/mailbox.py)."""
    return {
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "tests.care_sessions.worker_settings",
        "ALLIANCE_MAILBOX": mailbox,
        "ALLIANCE_MAILBOX_REDIS": broker_url,
    }


class Workers(CeleryWorkers):
    def __init__(self, tmp_path: Path, *, broker_url: str, mailbox: str, db_url: str | None = None):
        env: dict[str, str | None] = {**mailbox_env(broker_url=broker_url, mailbox=mailbox)}
        if db_url:
            env["DATABASE_URL"] = db_url
        super().__init__(tmp_path, env=env)

    def start(self, name: str = "worker", **env: str) -> subprocess.Popen:
        return self.start_worker(f"{name}-{len(self.processes)}", **env).popen

    def stop_all(self) -> None:
        self.stop()

"""A large export prepared by a real Celery worker, watched through the progress endpoint the page polls.

Not eager mode: the worker is a separate ``celery -A config worker`` process on the configured broker
(Redis on CI), reading and writing the test database, on a queue of its own so no other worker can
take the message.
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from kombu import Exchange, Queue
from openpyxl import load_workbook

from alliance.models import Answer, Export, ExportStatus, Instrument, Respondent, Response
from config.celery import app as celery_app
from tests.care_sessions.workers import database_url
from tests.conftest import make_cast

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 90
RESPONSES = 6000  # 24,000 answered items: long enough as XLSX to watch the bar move


@pytest.fixture
def worker(transactional_db, tmp_path, monkeypatch):
    """A Celery worker on a queue of this test's own; tasks the code sends go to that queue."""
    queue = f"test-exports-{uuid.uuid4().hex[:10]}"
    exports = tmp_path / "exports"
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "EXPORT_ROOT": str(exports),
        "EXPORT_PROGRESS_ROWS": "500",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
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
                queue,
                "--hostname",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=tmp_path,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    yield process, log_path
    celery_app.conf.task_default_queue = default_queue
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    if settings.CELERY_BROKER_URL.startswith("redis"):
        with celery_app.connection_for_write() as conn:
            bound = Queue(queue, Exchange(queue), routing_key=queue).bind(conn.default_channel)
            bound.declare()
            bound.delete()


def _many_answers(cast) -> None:
    instrument = Instrument.objects.get(key="alliance-checkin", clinic__isnull=True)
    version = instrument.versions.order_by("-number").first()
    start = datetime(2025, 6, 1, tzinfo=UTC)
    responses = Response.objects.bulk_create(
        [
            Response(
                version=version,
                instrument=instrument,
                patient=cast.alice,
                respondent=cast.alice.user,
                respondent_role=Respondent.PATIENT,
                submitted_at=start + timedelta(minutes=index),
                total=32,
            )
            for index in range(RESPONSES)
        ],
        batch_size=2000,
    )
    Answer.objects.bulk_create(
        [
            Answer(response=response, item_key=key, value=8)
            for response in responses
            for key in ("relationship", "goals", "approach", "overall")
        ],
        batch_size=5000,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_prepares_a_large_export_and_the_bar_moves(client, worker, settings):
    process, log_path = worker
    cast = make_cast()
    _many_answers(cast)
    settings.EXPORT_STREAM_MAX_ROWS = 1000
    client.force_login(cast.dave.user)

    response = client.post(
        reverse("alliance:export-new"),
        {
            "dataset": "checkin_answers",
            "format": "xlsx",
            "identified": "no",
            "date_from": "2025-06-01",
            "date_to": "2025-06-30",
        },
    )
    export = Export.objects.get()
    # Queued for the worker, not made in the request; a quick worker may have started on it already.
    assert response.status_code == 302 and export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    assert export.rows_expected == RESPONSES * 4

    seen = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        progress = client.get(reverse("alliance:export-progress", args=[export.pk])).json()
        seen.append((progress["status"], progress["rows_written"], progress["percent"]))
        if progress["finished"]:
            break
        if process.poll() is not None:
            pytest.fail(f"The worker stopped:\n{log_path.read_text()}")
        time.sleep(0.05)
    else:
        pytest.fail(f"The export did not finish in {TIMEOUT} s; seen {seen[-5:]}\n{log_path.read_text()}")

    assert seen[-1] == ("ready", RESPONSES * 4, 100), seen[-1]
    moving = [s for s in seen if s[0] == "running" and 0 < s[1] < RESPONSES * 4]
    assert moving, f"never saw the export part-way: {sorted(set(seen))[:10]}"
    assert [p for _, _, p in moving] == sorted(p for _, _, p in moving), "progress only goes forward"

    download = client.get(reverse("alliance:export-download", args=[export.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert sum(1 for _ in workbook["Check-in answers"].iter_rows()) == RESPONSES * 4 + 1
    log = log_path.read_text()
    assert "Task alliance.tasks.export_run[" in log and "succeeded" in log

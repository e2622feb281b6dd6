"""A large export prepared by a real Celery worker, watched through the progress endpoint the page polls.

Not eager mode: the worker is a separate ``celery -A config worker`` process on the configured broker
(Redis on CI), reading and writing the test database, on a queue of its own so no other worker can
take the message.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from alliance.models import Answer, Export, ExportStatus, Instrument, Respondent, Response
from tests.conftest import make_cast

RESPONSES = 6000  # 24,000 answered items: long enough as XLSX to watch the bar move


@pytest.fixture
def worker(celery_workers, tmp_path, monkeypatch):
    """Workers for this test's own queue, writing files where the test reads them; tasks the code
    sends go to that queue. The test starts the worker when it wants it."""
    exports = tmp_path / "exports"
    celery_workers.env.update(EXPORT_ROOT=str(exports), EXPORT_PROGRESS_ROWS="500")
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    with celery_workers.default_queue():
        yield celery_workers


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
    # Queued for the worker, not made in the request: no worker is running yet.
    assert response.status_code == 302 and export.status == ExportStatus.QUEUED
    assert export.rows_expected == RESPONSES * 4
    assert len(worker.sent) == 1, "one task was sent to the broker"
    process = worker.start_worker()

    seen = []

    def finished():
        progress = client.get(reverse("alliance:export-progress", args=[export.pk])).json()
        seen.append((progress["status"], progress["rows_written"], progress["percent"]))
        return progress["finished"]

    worker.wait_until(finished, "the export to finish", every=0.05)

    assert seen[-1] == ("ready", RESPONSES * 4, 100), seen[-1]
    moving = [s for s in seen if s[0] == "running" and 0 < s[1] < RESPONSES * 4]
    assert moving, f"never saw the export part-way: {sorted(set(seen))[:10]}"
    assert [p for _, _, p in moving] == sorted(p for _, _, p in moving), "progress only goes forward"

    download = client.get(reverse("alliance:export-download", args=[export.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert sum(1 for _ in workbook["Check-in answers"].iter_rows()) == RESPONSES * 4 + 1
    log = process.log()
    assert "Task alliance.tasks.export_run[" in log and "succeeded" in log

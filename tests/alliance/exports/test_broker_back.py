"""An export asked for while the broker is down is sent as soon as it is back: beat's every-minute
``exports_dispatch_unsent`` hands it to a real worker, instead of waiting for half-hourly housekeeping.

The figure for the report: ``pytest tests/alliance/exports/test_broker_back.py -s`` prints
"broker down: exports resumed within N s" (beat's period is EXPORT_DISPATCH_SECONDS, 60 in production;
5 here so the test is quick).
"""

import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import reverse

from alliance.models import Export, ExportStatus
from alliance.services.exports import exports_dispatch_unsent
from config.celery import app as celery_app
from tests.alliance.exports.test_pages import GOOD
from tests.alliance.reports.data import build_quarter
from tests.conftest import UNREACHABLE_BROKER, _forget_broker_connections

PERIOD = 5  # seconds between beat's runs of exports_dispatch_unsent in this test


@contextmanager
def broker_down(monkeypatch):
    """The broker is a closed port inside the block, and the real one again after it."""
    real = celery_app.conf.broker_url
    with monkeypatch.context() as patch:
        patch.delenv("CELERY_BROKER_URL", raising=False)
        patch.setattr(settings, "CELERY_BROKER_URL", UNREACHABLE_BROKER)
        celery_app.conf.broker_url = UNREACHABLE_BROKER
        _forget_broker_connections()
        try:
            yield
        finally:
            celery_app.conf.broker_url = real
            _forget_broker_connections()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_export_asked_for_while_the_broker_was_down_runs_within_one_beat_period(
    client, cast, celery_workers, tmp_path, monkeypatch
):
    build_quarter(cast)
    exports = tmp_path / "exports"
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    monkeypatch.setattr(settings, "EXPORT_STREAM_MAX_ROWS", 0)  # every export goes to a worker
    celery_workers.env.update(EXPORT_ROOT=str(exports), EXPORT_DISPATCH_SECONDS=str(PERIOD))
    client.force_login(cast.dave.user)

    with celery_workers.default_queue():
        with broker_down(monkeypatch):
            response = client.post(reverse("alliance:export-new"), GOOD)
        export = Export.objects.get()
        assert response.status_code == 302
        assert export.status == ExportStatus.QUEUED and export.dispatched_at is None, "kept, not sent"
        assert celery_workers.sent == [], "nothing reached the broker"

        # The broker is back: a worker and beat run as they would in production.
        back = time.monotonic()
        celery_workers.start_worker()
        celery_workers.start_beat()
        celery_workers.wait_until(
            lambda: Export.objects.filter(pk=export.pk, status=ExportStatus.READY).exists(),
            "the export to be prepared",
            timeout=PERIOD + 60,
        )
        resumed = time.monotonic() - back
    print(f"\nbroker down: exports resumed within {resumed:.1f} s (beat period {PERIOD} s)")  # the figure
    export.refresh_from_db()
    assert export.dispatched_at is not None and export.rows_written > 0
    # One beat period, plus the worker's and beat's own start on two shared cores.
    assert resumed < PERIOD + 30


@pytest.mark.django_db
def test_only_unsent_queued_exports_are_sent_and_a_broker_still_down_sends_nothing(
    client, cast, monkeypatch, unreachable_broker
):
    build_quarter(cast)
    monkeypatch.setattr(settings, "EXPORT_STREAM_MAX_ROWS", 0)
    client.force_login(cast.dave.user)
    client.post(reverse("alliance:export-new"), GOOD)
    export = Export.objects.get()
    assert export.dispatched_at is None
    assert exports_dispatch_unsent() == 0, "the broker is still down: nothing sent, still queued"
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED and export.dispatched_at is None

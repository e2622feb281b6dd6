"""Asking for an export, watching it, downloading it, and the record every export leaves."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from alliance.models import Export, ExportDelivery, ExportStatus
from alliance.services import exports as services
from patients.models import Role
from tests.alliance.reports.data import build_quarter
from tests.conftest import make_cast
from tests.factories import ClinicAdminFactory, UserFactory
from tests.helpers import query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

QUARTER = {"date_from": "2025-01-01", "date_to": "2025-03-31"}
GOOD = {**QUARTER, "dataset": "checkin_responses", "format": "csv", "identified": "no"}


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


@pytest.fixture
def quarter(cast):
    return build_quarter(cast)


@pytest.fixture
def dave(client, cast):
    client.force_login(cast.dave.user)
    return client


@pytest.fixture
def dispatched(celery_workers):
    """Exports handed to the real broker, on a queue of this test's own that no worker reads; the
    ids of the exports sent, in order (the real-worker test has a worker run them)."""
    with celery_workers.default_queue():
        yield ExportsSent(celery_workers)


class ExportsSent:
    def __init__(self, workers):
        self.workers = workers

    def __eq__(self, export_ids) -> bool:
        return self.workers.sent_calls == [("alliance.tasks.export_run", f"({pk},)") for pk in export_ids]

    def __repr__(self) -> str:
        return repr(self.workers.sent_calls)

    def clear(self) -> None:
        self.workers.sent_calls.clear()


def _download_text(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_a_small_export_downloads_straight_away_and_is_recorded(dave, quarter):
    response = dave.post(reverse("alliance:export-new"), GOOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="alliance-checkin-responses-20250101-20250331-deidentified.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(_download_text(response))))
    assert len(rows) == 18
    export = Export.objects.get()
    assert export.requested_by == quarter.cast.dave.user
    assert (export.dataset, export.format, export.identified) == ("checkin_responses", "csv", False)
    assert (export.delivery, export.status) == (ExportDelivery.STREAMED, ExportStatus.STREAMED)
    assert (export.rows_expected, export.rows_written, export.download_count) == (18, 18, 1)
    assert export.filters == {
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
        "clinician_id": None,
        "instrument_id": None,
    }
    assert export.filters_description == "1 Jan 2025 to 31 Mar 2025 · all clinicians · all questionnaires"
    assert export.file_size == len(_download_text(dave.post(reverse("alliance:export-new"), GOOD)).encode())


def test_a_small_xlsx_export_is_a_real_workbook(dave, quarter):
    response = dave.post(reverse("alliance:export-new"), {**GOOD, "format": "xlsx", "dataset": "sessions"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Sessions", "About this export"]
    assert workbook["Sessions"].max_row == 1 + 9


def test_an_identified_export_needs_a_reason_which_is_recorded(dave, quarter):
    response = dave.post(reverse("alliance:export-new"), {**GOOD, "identified": "yes"})
    assert response.status_code == 400
    assert "Please say why names and email addresses are needed" in visible_text(response)
    assert not Export.objects.exists()
    reason = "Care-quality audit for the commissioner, agreed with our Caldicott guardian"
    response = dave.post(reverse("alliance:export-new"), {**GOOD, "identified": "yes", "purpose": reason})
    assert "Frank Foster" in _download_text(response)
    export = Export.objects.get()
    assert export.identified and export.purpose == reason
    page = visible_text(dave.get(reverse("alliance:export", args=[export.pk])))
    assert f"Why names were needed {reason}" in page


def test_a_large_export_is_prepared_in_the_background(
    dave, quarter, settings, dispatched, django_capture_on_commit_callbacks
):
    settings.EXPORT_STREAM_MAX_ROWS = 5
    with django_capture_on_commit_callbacks(execute=True):
        response = dave.post(reverse("alliance:export-new"), {**GOOD, "format": "xlsx"})
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("alliance:export", args=[export.pk])
    assert dispatched == [export.pk]
    assert (export.delivery, export.status, export.rows_expected) == (ExportDelivery.FILE, ExportStatus.QUEUED, 18)

    page = dave.get(response["Location"])
    html = page.content.decode()
    assert "That is 18 rows, so we're preparing the file in the background." in visible_text(page)
    assert '<progress id="export-bar"' in html and 'value="0"' in html
    assert "Check again" in visible_text(page)
    assert "js/export-progress.js" in html
    assert "<meta http-equiv" not in html  # no timed refresh: the link and the script do it
    progress = dave.get(reverse("alliance:export-progress", args=[export.pk])).json()
    assert progress == {
        "status": "queued",
        "status_label": "Waiting to start",
        "finished": False,
        "rows_written": 0,
        "rows_expected": 18,
        "percent": 0,
        "download_url": None,
        "error": "",
    }

    outcome = services.export_run(export_id=export.pk)
    assert outcome.export.status == ExportStatus.READY and not outcome.busy
    export.refresh_from_db()
    assert export.rows_written == 18 and export.file_size > 0
    assert export.expires_at == export.finished_at + timedelta(hours=settings.EXPORT_FILE_HOURS)
    progress = dave.get(reverse("alliance:export-progress", args=[export.pk])).json()
    assert progress["finished"] and progress["percent"] == 100
    assert progress["download_url"] == reverse("alliance:export-download", args=[export.pk])

    page = dave.get(reverse("alliance:export", args=[export.pk]))
    assert "Download alliance-checkin-responses-20250101-20250331-deidentified.xlsx" in visible_text(page)
    assert "js/export-progress.js" not in page.content.decode()
    download = dave.get(reverse("alliance:export-download", args=[export.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.worksheets[0].max_row == 19
    export.refresh_from_db()
    assert export.download_count == 1 and export.last_downloaded_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_page_sees_a_csv_exports_progress_while_the_file_is_written(client, settings, dispatched, monkeypatch):
    """The task writes progress on its own connection while it reads the rows; the page's (another
    connection) sees each update at once, not when the export ends."""
    from alliance.exports import base

    quarter = build_quarter(make_cast())
    settings.EXPORT_STREAM_MAX_ROWS = 0
    settings.EXPORT_PROGRESS_ROWS = 10
    monkeypatch.setattr(base, "ROWS_AT_ONCE", 5)  # progress lands between fetches from the cursor
    monkeypatch.setattr(services._Progress, "INTERVAL", 0)
    export = services.export_create(
        user=quarter.cast.dave.user,
        dataset="checkin_answers",
        fmt="csv",
        identified=False,
        purpose="",
        filters=quarter.filters(),
    )
    client.force_login(quarter.cast.dave.user)
    seen = []

    def poll():  # the page, polling from a thread of its own: its own database connection
        try:
            seen.append(client.get(reverse("alliance:export-progress", args=[export.pk])).json())
        finally:
            connection.close()

    write = services._Progress.__call__

    def write_then_poll(progress, rows):
        write(progress, rows)
        page = threading.Thread(target=poll)
        page.start()
        page.join()

    monkeypatch.setattr(services._Progress, "__call__", write_then_poll)
    outcome = services.export_run(export_id=export.pk)

    assert outcome.export.status == ExportStatus.READY
    total = outcome.export.rows_written
    assert total > 30
    assert [(s["status"], s["rows_written"]) for s in seen] == [("running", rows) for rows in range(10, total + 1, 10)]


def _ready_export(quarter, settings, **changes) -> Export:
    settings.EXPORT_STREAM_MAX_ROWS = 0
    export = services.export_create(
        user=quarter.cast.dave.user,
        dataset="sessions",
        fmt="csv",
        identified=False,
        purpose="",
        filters=quarter.filters(),
    )
    services.export_run(export_id=export.pk)
    export.refresh_from_db()
    if changes:
        Export.objects.filter(pk=export.pk).update(**changes)
        export.refresh_from_db()
    return export


def test_only_the_person_who_asked_can_download_the_file(client, quarter, settings, dispatched):
    export = _ready_export(quarter, settings)
    colleague = ClinicAdminFactory(user=UserFactory(full_name="Dee Colleague"), clinic=quarter.cast.riverside)
    client.force_login(colleague.user)
    page = client.get(reverse("alliance:export", args=[export.pk]))
    assert page.status_code == 200
    assert "Only Dave Dixon, who asked for it, can download this file." in visible_text(page)
    assert client.get(reverse("alliance:export-download", args=[export.pk])).status_code == 404
    assert client.get(reverse("alliance:export-progress", args=[export.pk])).json()["download_url"] is None


def test_files_are_deleted_when_their_time_is_up_and_the_record_stays(dave, quarter, settings, dispatched, export_root):
    export = _ready_export(quarter, settings)
    path = export_root / export.file_path
    assert path.exists()
    assert services.exports_housekeeping(now=export.expires_at - timedelta(minutes=1))["expired"] == 0
    assert path.exists()
    assert services.exports_housekeeping(now=export.expires_at)["expired"] == 1
    assert not path.exists()
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and export.file_deleted_at == export.expires_at
    response = dave.get(reverse("alliance:export-download", args=[export.pk]))
    assert response.status_code == 410
    assert "Export files are deleted 72 hours after they are ready" in visible_text(response)
    assert "File deleted" in visible_text(dave.get(reverse("alliance:exports")))


def test_the_task_checks_again_that_the_person_may_export(quarter, settings, dispatched, export_root):
    settings.EXPORT_STREAM_MAX_ROWS = 0
    export = services.export_create(
        user=quarter.cast.dave.user,
        dataset="alerts",
        fmt="csv",
        identified=False,
        purpose="",
        filters=quarter.filters(),
    )
    quarter.cast.dave.user.is_active = False
    quarter.cast.dave.user.save(update_fields=["is_active"])
    outcome = services.export_run(export_id=export.pk)
    assert outcome.export.status == ExportStatus.FAILED
    assert outcome.export.error == services.NOT_ALLOWED_MESSAGE
    assert not outcome.export.file_path
    assert not list(export_root.rglob("*.*")) if export_root.exists() else True


def test_an_export_runs_once_however_often_the_task_is_delivered(quarter, settings, dispatched):
    export = _ready_export(quarter, settings)
    again = services.export_run(export_id=export.pk)
    assert again.export.status == ExportStatus.READY and not again.busy
    assert again.export.file_path == export.file_path


def test_a_running_export_is_busy_until_its_worker_goes_quiet(quarter, settings, dispatched):
    settings.EXPORT_STREAM_MAX_ROWS = 0
    export = services.export_create(
        user=quarter.cast.dave.user,
        dataset="sessions",
        fmt="csv",
        identified=False,
        purpose="",
        filters=quarter.filters(),
    )
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, progress_at=timezone.now())
    assert services.export_run(export_id=export.pk).busy
    Export.objects.filter(pk=export.pk).update(progress_at=timezone.now() - services.STALE_AFTER - timedelta(1))
    assert services.export_run(export_id=export.pk).export.status == ExportStatus.READY


def test_housekeeping_sends_lost_exports_again_and_gives_up_on_stuck_ones(quarter, settings, dispatched):
    settings.EXPORT_STREAM_MAX_ROWS = 0
    make = lambda: services.export_create(  # noqa: E731
        user=quarter.cast.dave.user,
        dataset="sessions",
        fmt="csv",
        identified=False,
        purpose="",
        filters=quarter.filters(),
    )
    lost, stuck = make(), make()
    assert dispatched == [lost.pk, stuck.pk], "each was sent to the workers when it was asked for"
    dispatched.clear()
    now = timezone.now()
    Export.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=10))
    Export.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(hours=7))
    counts = services.exports_housekeeping(now=now)
    assert counts["requeued"] == 1 and dispatched == [lost.pk]
    assert counts["given_up"] == 1
    stuck.refresh_from_db()
    assert stuck.status == ExportStatus.FAILED and "given up" in stuck.error


def test_a_broker_that_is_down_leaves_the_export_queued(
    dave, quarter, settings, unreachable_broker, caplog, django_capture_on_commit_callbacks
):
    settings.EXPORT_STREAM_MAX_ROWS = 5
    with django_capture_on_commit_callbacks(execute=True):
        response = dave.post(reverse("alliance:export-new"), {**GOOD, "format": "xlsx"})
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("alliance:export", args=[export.pk])
    assert export.status == ExportStatus.QUEUED, "the request is kept, to be sent again"
    assert f"Could not queue export {export.pk}" in caplog.text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"dataset": ""}, "dataset", "Please choose what to export."),
        ({"dataset": "passwords"}, "dataset", "Please choose from the list."),
        ({"format": "pdf"}, "format", "Please choose from the list."),
        ({"dataset": "alerts", "format": "fhir"}, "format", "Alerts can be exported as CSV or Excel (XLSX)."),
        ({"identified": "maybe"}, "identified", "Please choose from the list."),
        ({"date_from": "31/02/2025"}, "date_from", "Please enter a real date"),
        ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "date_to", "The end date is before the start date"),
        ({"clinician": "x"}, "clinician", "Please choose a clinician from the list."),
        ({"instrument": "-1"}, "instrument", "Please choose a questionnaire from the list."),
        ({"identified": "yes", "purpose": "x" * 501}, "purpose", "Please keep this under 500 characters"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_kept(dave, cast, data, field, message):
    response = dave.post(reverse("alliance:export-new"), {**GOOD, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in visible_text(response)
    assert f"error_1_id_{field}" in html, "the message sits with its field"
    assert "Please check the answer" in visible_text(response)
    if field in ("date_from", "date_to") and "/" not in data.get(field, ""):
        assert f'value="{data[field]}"' in html
    if field == "purpose":
        assert "x" * 501 in html
    assert not Export.objects.exists()


def test_another_clinics_clinician_or_questionnaire_cannot_be_chosen(dave, cast):
    import json

    from alliance.services.instruments import instrument_import

    theirs = instrument_import(
        clinic=cast.northgate,
        by=cast.erin.user,
        activate=False,
        text=json.dumps(
            {
                "key": "northgate-own",
                "name": "Northgate's",
                "scale": {"min": 0, "max": 4},
                "items": [{"key": "a", "text": "A"}],
            }
        ),
    )
    for data in ({"clinician": cast.heidi.pk}, {"instrument": theirs.instrument_id}):
        response = dave.post(reverse("alliance:export-new"), {**GOOD, **data})
        assert response.status_code == 400
        assert "from the list" in visible_text(response)


def test_the_form_starts_from_a_reports_filters(dave, cast):
    response = dave.get(reverse("alliance:export-new"), {**QUARTER, "clinician": cast.bob.pk, "bogus": "1"})
    html = response.content.decode()
    assert 'value="2025-01-01"' in html and 'value="2025-03-31"' in html
    assert f'<option value="{cast.bob.pk}" selected>' in html


def test_a_clinician_cannot_export(client, cast):
    client.force_login(cast.bob.user)
    assert client.post(reverse("alliance:export-new"), GOOD).status_code == 403
    from django.core.exceptions import PermissionDenied

    from alliance.forms.reports import default_filters

    with pytest.raises(PermissionDenied):
        services.export_create(
            user=cast.bob.user,
            dataset="sessions",
            fmt="csv",
            identified=False,
            purpose="",
            filters=default_filters(clinic=cast.riverside),
        )
    with pytest.raises(PermissionDenied):
        services.export_create(
            user=cast.erin.user,
            dataset="sessions",
            fmt="csv",
            identified=False,
            purpose="",
            filters=default_filters(clinic=cast.riverside),
        )
    assert cast.bob.user.role == Role.CLINICIAN


def test_the_list_records_every_export_including_patients_own(dave, client, quarter):
    dave.post(reverse("alliance:export-new"), {**GOOD, "dataset": "alerts"})
    client.force_login(quarter.cast.alice.user)
    client.get(reverse("alliance:my-data-json"))
    client.force_login(quarter.cast.dave.user)
    text = visible_text(client.get(reverse("alliance:exports")))
    assert "Alice Archer A patient's own record (JSON) Their own record" in text
    assert (
        "Dave Dixon Alerts (CSV) De-identified 1 Jan 2025 to 31 Mar 2025 · all clinicians · all questionnaires 7"
        in (text)
    )
    assert "Downloaded straight away" in text


def test_another_clinics_exports_are_not_listed(client, quarter):
    Export.objects.create(
        clinic=quarter.cast.northgate,
        requested_by=quarter.cast.erin.user,
        dataset="sessions",
        format="csv",
        identified=False,
        delivery=ExportDelivery.STREAMED,
        status=ExportStatus.STREAMED,
    )
    client.force_login(quarter.cast.dave.user)
    assert "Erin Evans" not in visible_text(client.get(reverse("alliance:exports")))


def test_exports_list_has_a_flat_query_count(cast):
    def add(n):
        Export.objects.bulk_create(
            Export(
                clinic=cast.riverside,
                requested_by=cast.dave.user,
                dataset="sessions",
                format="csv",
                identified=False,
                delivery=ExportDelivery.STREAMED,
                status=ExportStatus.STREAMED,
            )
            for _ in range(n)
        )

    # Each budget counts one query for the device of the admin's second step (django-otp, every request).
    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.dave.user, reverse("alliance:exports"), 8),
            (cast.dave.user, reverse("alliance:export", args=[Export.objects.order_by("pk").first().pk]), 8),
            (cast.dave.user, reverse("alliance:export-new"), 10),
        ],
    )

"""Exports: record the request, stream small ones, prepare big ones in a task, tidy up after.

Every export is an ``Export`` row from the moment it is asked for, so the clinic's list of exports is
complete whatever happens to the file. Small exports (up to ``EXPORT_STREAM_MAX_ROWS`` rows) are
written to an anonymous temporary file and streamed back in the same request; bigger ones are written
by ``export_run`` in a Celery task, which checks again that the person may still export the clinic's
data, reports its progress on the row, and leaves a file that ``exports_housekeeping`` deletes after
``EXPORT_FILE_HOURS``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from alliance.exports import DATASETS, ExportContext, dataset_for
from alliance.exports.base import Dataset
from alliance.exports.render import render
from alliance.models import Export, ExportDataset, ExportDelivery, ExportFormat, ExportStatus, Instrument
from alliance.selectors.filters import DataFilters
from patients.models import AuditKind, Clinic, Clinician, Patient, Role, User
from patients.services.audit import audit_record

logger = logging.getLogger(__name__)

PURPOSE_LIMIT = 500
# A running export reports progress at least this often; without a word for longer, it is stuck.
STALE_AFTER = timedelta(minutes=10)
# A queued export nobody has started within this time is sent to the workers again.
REQUEUE_AFTER = timedelta(minutes=5)
# An export still not finished after this long is given up on.
GIVE_UP_AFTER = timedelta(hours=6)

EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx", ExportFormat.FHIR: "fhir.json", "json": "json"}
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.FHIR: "application/fhir+json",
    ExportFormat.JSON: "application/json",
}

# Kept on the export row in English (often written by a worker, with no one's language in force):
# marked here so the page that shows them can translate them as it reads them.
FAILED_MESSAGE = gettext_noop("Something went wrong while preparing this file. Please try again.")
NOT_ALLOWED_MESSAGE = gettext_noop(
    "This export was not prepared: the person who asked for it can no longer export this clinic's data."
)
GIVEN_UP_MESSAGE = gettext_noop("This export stopped before it finished and was given up on. Please ask for it again.")
INTERRUPTED_MESSAGE = gettext_noop("The download was interrupted.")
PATIENT_DOWNLOAD_DESCRIPTION = gettext_noop("Their own record, everything Alliance holds about them")


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


def _may_export(user: User, clinic: Clinic) -> bool:
    """Only an active clinic admin of the clinic may export its data."""
    return bool(
        user is not None
        and user.is_active
        and user.role == Role.CLINIC_ADMIN
        and user.clinic_admin.clinic_id == clinic.pk
    )


def export_filters(export: Export) -> DataFilters:
    """The filters an export was asked with, loaded again (for the task, which only has the id)."""
    saved = export.filters
    clinician = instrument = None
    if saved.get("clinician_id"):
        clinician = Clinician.objects.select_related("user").filter(clinic=export.clinic).get(pk=saved["clinician_id"])
    if saved.get("instrument_id"):
        instrument = Instrument.objects.filter(Q(clinic=export.clinic) | Q(clinic__isnull=True)).get(
            pk=saved["instrument_id"]
        )
    patient = actor = None
    if saved.get("patient_id"):
        patient = Patient.objects.select_related("user").filter(clinic=export.clinic).get(pk=saved["patient_id"])
    if saved.get("actor_id"):
        actor = User.objects.get(pk=saved["actor_id"])
    return DataFilters(
        clinic=export.clinic,
        date_from=date.fromisoformat(saved["date_from"]),
        date_to=date.fromisoformat(saved["date_to"]),
        clinician=clinician,
        instrument=instrument,
        patient=patient,
        actor=actor,
        audit_kind=saved.get("audit_kind") or "",
    )


def export_dataset(export: Export, filters: DataFilters | None = None) -> Dataset:
    context = ExportContext(filters=filters or export_filters(export), identified=export.identified)
    return dataset_for(export.dataset, context)


def _expected(dataset: Dataset, fmt: str) -> int:
    if fmt == ExportFormat.FHIR:
        return dataset.fhir_count()
    return dataset.count()


def _file_name(dataset: Dataset, fmt: str, identified: bool) -> str:
    return f"{dataset.file_stem()}{'' if identified else '-deidentified'}.{EXTENSIONS[fmt]}"


def export_create(
    *, user: User, dataset: str, fmt: str, identified: bool, purpose: str, filters: DataFilters
) -> Export:
    """Record an export and decide how it is delivered: streamed now, or prepared by a task.

    Raises ``PermissionDenied`` for anyone but an admin of the filters' clinic, and
    ``ValidationError`` (keyed by form field) for a combination that cannot be exported.
    """
    if not _may_export(user, filters.clinic):
        raise PermissionDenied
    purpose = (purpose or "").strip()
    if dataset not in DATASETS:
        raise ValidationError({"dataset": _("Please choose what to export.")})
    kind = DATASETS[dataset]
    if fmt not in kind.formats:
        allowed = ", ".join(str(ExportFormat(value).label) for value in kind.formats)
        raise ValidationError(
            {"format": _("%(dataset)s can be exported as %(formats)s.") % {"dataset": kind.title, "formats": allowed}}
        )
    if identified and not purpose:
        raise ValidationError(
            {
                "purpose": _(
                    "Please say why names and email addresses are needed. It is kept with the record of this export."
                )
            }
        )
    if len(purpose) > PURPOSE_LIMIT:
        raise ValidationError({"purpose": _("Please keep this under %(limit)s characters.") % {"limit": PURPOSE_LIMIT}})
    instance = dataset_for(dataset, ExportContext(filters=filters, identified=identified))
    expected = _expected(instance, fmt)
    streamed = expected <= settings.EXPORT_STREAM_MAX_ROWS
    export = Export.objects.create(
        clinic=filters.clinic,
        requested_by=user,
        dataset=dataset,
        format=fmt,
        identified=identified,
        purpose=purpose,
        filters=filters.as_json(),
        filters_description=filters.describe(applies=instance.filters_apply)[:500],
        delivery=ExportDelivery.STREAMED if streamed else ExportDelivery.FILE,
        status=ExportStatus.RUNNING if streamed else ExportStatus.QUEUED,
        rows_expected=expected,
        file_name=_file_name(instance, fmt, identified),
        started_at=timezone.now() if streamed else None,
    )
    audit_record(
        kind=AuditKind.EXPORT,
        actor=user,
        clinic=filters.clinic,
        patient=filters.patient,
        detail=f"{instance.title}, {'identified' if identified else 'de-identified'}, "
        f"{ExportFormat(fmt).label}: {export.filters_description}",
        page="alliance:export-new",
    )
    if not streamed:
        transaction.on_commit(lambda: export_dispatch(export_id=export.pk))
    return export


def export_dispatch(*, export_id: int) -> bool:
    """Send an export to the workers; whether the broker took it.

    If the broker is down the export stays queued with no ``dispatched_at``, and
    ``exports_dispatch_unsent`` (every minute) sends it as soon as the broker is back.
    """
    try:
        export_run_task.delay(export_id)
    except Exception:  # the broker being unreachable must not lose the request: it stays queued
        logger.exception("Could not queue export %s; it is sent again once the broker answers", export_id)
        return False
    Export.objects.filter(pk=export_id).update(dispatched_at=timezone.now())
    return True


# How many unsent exports one run hands to the broker; the rest wait for the next minute.
DISPATCH_BATCH = 100


def exports_dispatch_unsent() -> int:
    """Send queued exports the broker never took (it was down when they were asked for); how many were sent.

    Rows are locked with ``select_for_update(skip_locked=True)``, so two runs at once never send the
    same export twice; a send that fails stops the run (the broker is still down) and leaves the rest
    for the next one. Sending one twice anyway would be harmless: ``export_run`` claims an export once.
    """
    sent = 0
    with transaction.atomic():
        unsent = (
            Export.objects.select_for_update(skip_locked=True)
            .filter(status=ExportStatus.QUEUED, delivery=ExportDelivery.FILE, dispatched_at__isnull=True)
            .order_by("created_at")
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        for export_id in list(unsent):
            if not export_dispatch(export_id=export_id):
                break
            sent += 1
    return sent


def export_stream(*, export: Export) -> BinaryIO:
    """Write a small export to an anonymous temporary file, rewound, for the response to stream.

    The file lives on disk, not in memory, and disappears when the response closes it.
    """
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when the download ends
    try:
        rows = render(export_dataset(export), export.format, out)
    except Exception:
        out.close()
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=FAILED_MESSAGE, finished_at=timezone.now()
        )
        raise
    size = out.tell()
    out.seek(0)
    now = timezone.now()
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.STREAMED,
        rows_written=rows,
        file_size=size,
        finished_at=now,
        download_count=1,
        last_downloaded_at=now,
    )
    return out


class _Progress:
    """Writes an export's progress to its row as it goes, at most a few times a second.

    On the task's own connection, between chunks of rows: the task runs in autocommit, so each
    update is committed, and seen by the page polling it, at once.
    """

    INTERVAL = 0.25  # seconds: the page polls once a second

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.last = 0.0

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < self.INTERVAL:
            return
        self.last = now
        Export.objects.filter(pk=self.export_id).update(rows_written=rows, progress_at=timezone.now())


@dataclass(frozen=True)
class RunOutcome:
    """What ``export_run`` did: ``busy`` means another worker is on it right now."""

    export: Export | None
    busy: bool = False


def _claim(export_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, progress_at__lt=now - STALE_AFTER)
    return bool(
        Export.objects.filter(claimable, pk=export_id).update(
            status=ExportStatus.RUNNING, started_at=now, progress_at=now, rows_written=0
        )
    )


def export_run(*, export_id: int) -> RunOutcome:
    """Prepare an export's file (the task's body). Safe to run twice: only one run claims the export."""
    if not _claim(export_id):
        export = Export.objects.filter(pk=export_id).first()
        return RunOutcome(export, busy=export is not None and export.status == ExportStatus.RUNNING)
    export = Export.objects.select_related("clinic", "requested_by").get(pk=export_id)
    if not _may_export(export.requested_by, export.clinic):
        return RunOutcome(_finish(export, status=ExportStatus.FAILED, error=NOT_ALLOWED_MESSAGE))
    try:
        filters = export_filters(export)
    except (Clinician.DoesNotExist, Instrument.DoesNotExist, Patient.DoesNotExist, User.DoesNotExist):
        return RunOutcome(_finish(export, status=ExportStatus.FAILED, error=NOT_ALLOWED_MESSAGE))
    dataset = export_dataset(export, filters)
    if export.rows_expected is None:
        # Asked for without the count the web request makes (an import, a retry from the shell).
        Export.objects.filter(pk=export.pk).update(rows_expected=_expected(dataset, export.format))
    relative = Path(str(export.clinic_id)) / f"{uuid.uuid4().hex}.{EXTENSIONS[export.format]}"
    final = export_root() / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + ".part")
    progress = _Progress(export.pk)
    started = time.monotonic()
    try:
        with partial.open("wb") as out:
            rows = render(dataset, export.format, out, progress=progress, every=settings.EXPORT_PROGRESS_ROWS)
        os.replace(partial, final)
    except Exception:
        logger.exception("Export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        return RunOutcome(_finish(export, status=ExportStatus.FAILED, error=FAILED_MESSAGE))
    logger.info("Export %s: %s rows in %.1f s", export.pk, rows, time.monotonic() - started)
    now = timezone.now()
    return RunOutcome(
        _finish(
            export,
            status=ExportStatus.READY,
            rows_written=rows,
            rows_expected=rows,
            file_path=str(relative),
            file_size=final.stat().st_size,
            finished_at=now,
            expires_at=now + timedelta(hours=settings.EXPORT_FILE_HOURS),
        )
    )


# A crashed worker's export is taken over once its progress has gone quiet for STALE_AFTER.
RETRY_BUSY_AFTER = int(STALE_AFTER.total_seconds()) + 60


@shared_task(name="alliance.tasks.export_run", bind=True, ignore_result=True, max_retries=3)
def export_run_task(self, export_id: int) -> None:
    """The worker's half of ``export_dispatch``: prepare the file. Kept beside the service that sends it.

    If another worker is on it (a redelivered message), look again later.
    """
    outcome = export_run(export_id=export_id)
    if outcome.busy:
        raise self.retry(countdown=RETRY_BUSY_AFTER)


def _finish(export: Export, **changes) -> Export:
    changes.setdefault("finished_at", timezone.now())
    Export.objects.filter(pk=export.pk).update(**changes)
    export.refresh_from_db()
    return export


def export_file_open(*, export: Export, user: User) -> BinaryIO:
    """The finished file, for the person who asked for it, counting the download.

    Raises ``PermissionDenied`` for anyone else (the view turns that into "not found") and
    ``FileNotFoundError`` when there is no file (not ready, expired, or gone).
    """
    if export.requested_by_id != user.pk or not _may_export(user, export.clinic):
        raise PermissionDenied
    if export.status != ExportStatus.READY or not export.file_path:
        raise FileNotFoundError(export.file_path)
    handle = (export_root() / export.file_path).open("rb")
    Export.objects.filter(pk=export.pk).update(
        download_count=export.download_count + 1, last_downloaded_at=timezone.now()
    )
    audit_record(
        kind=AuditKind.EXPORT,
        actor=user,
        clinic=export.clinic,
        detail=f"Downloaded the file of export {export.pk}: {export.file_name}",
        page="alliance:export-download",
    )
    return handle


def exports_housekeeping(*, now=None) -> dict[str, int]:
    """Delete files past their time, give up on stuck exports, and send lost ones to the workers again."""
    now = now or timezone.now()
    counts = {"expired": 0, "given_up": 0, "requeued": 0, "orphans": 0}
    for export in Export.objects.filter(status=ExportStatus.READY, expires_at__lte=now).only("pk", "file_path"):
        if export.file_path:
            (export_root() / export.file_path).unlink(missing_ok=True)
        counts["expired"] += Export.objects.filter(pk=export.pk, status=ExportStatus.READY).update(
            status=ExportStatus.EXPIRED, file_deleted_at=now
        )
    stuck = Export.objects.filter(
        status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING),
        delivery=ExportDelivery.FILE,
        created_at__lt=now - GIVE_UP_AFTER,
    )
    counts["given_up"] = stuck.update(
        status=ExportStatus.FAILED,
        finished_at=now,
        error=GIVEN_UP_MESSAGE,
    )
    lost = Export.objects.filter(
        Q(status=ExportStatus.QUEUED, created_at__lt=now - REQUEUE_AFTER)
        | Q(status=ExportStatus.RUNNING, progress_at__lt=now - STALE_AFTER),
        delivery=ExportDelivery.FILE,
    ).values_list("pk", flat=True)
    for export_id in lost:
        export_dispatch(export_id=export_id)
        counts["requeued"] += 1
    # Streamed exports that never finished (the web process died mid-request).
    Export.objects.filter(
        status=ExportStatus.RUNNING, delivery=ExportDelivery.STREAMED, created_at__lt=now - timedelta(hours=1)
    ).update(status=ExportStatus.FAILED, finished_at=now, error=INTERRUPTED_MESSAGE)
    root = export_root()
    if root.is_dir():
        for partial in root.glob("*/*.part"):
            if partial.stat().st_mtime < (now - GIVE_UP_AFTER).timestamp():
                partial.unlink(missing_ok=True)
                counts["orphans"] += 1
    return counts


def export_record_patient_download(*, user: User, fmt: str, rows: int) -> Export:
    """Record a patient downloading their own record, so the clinic's export list is complete."""
    now = timezone.now()
    audit_record(
        kind=AuditKind.EXPORT,
        actor=user,
        patient=user.patient,
        detail=f"Their own record ({ExportFormat(fmt).label})",
        page="alliance:my-data",
    )
    return Export.objects.create(
        clinic=user.patient.clinic,
        requested_by=user,
        dataset=ExportDataset.PATIENT_RECORD,
        format=fmt,
        identified=True,
        filters={},
        filters_description=PATIENT_DOWNLOAD_DESCRIPTION,
        delivery=ExportDelivery.STREAMED,
        status=ExportStatus.STREAMED,
        rows_expected=rows,
        rows_written=rows,
        started_at=now,
        finished_at=now,
        download_count=1,
        last_downloaded_at=now,
    )

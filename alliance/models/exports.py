"""Exports: one row per export, kept as the record of who took which data out of Alliance.

A row is written the moment an export is asked for, whether it is streamed straight back in the
request (small ones), prepared as a file by a Celery task (large ones), or a patient downloading
their own record. The row outlives its file: files are deleted after ``EXPORT_FILE_HOURS``, the
record of the export is kept.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Clinic, User


class ExportDataset(models.TextChoices):
    CHECKIN_ANSWERS = "checkin_answers", _("Check-ins: one row per answered question")
    CHECKIN_RESPONSES = "checkin_responses", _("Check-ins: one row per questionnaire, with totals")
    ALERTS = "alerts", _("Alerts")
    SESSIONS = "sessions", _("Sessions, with check-in status")
    GOALS = "goals", _("Goals, with progress ratings")
    PATIENT_RECORD = "patient_record", _("A patient's own record")
    AUDIT = "audit", _("Audit trail")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")
    FHIR = "fhir", _("FHIR R4 (JSON bundle)")
    JSON = "json", "JSON"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready to download")
    STREAMED = "streamed", _("Downloaded straight away")
    FAILED = "failed", _("Could not be completed")
    EXPIRED = "expired", _("File deleted")


class ExportDelivery(models.TextChoices):
    STREAMED = "streamed", _("In the browser, straight away")
    FILE = "file", _("Prepared in the background")


FINISHED_STATUSES = (ExportStatus.READY, ExportStatus.STREAMED, ExportStatus.FAILED, ExportStatus.EXPIRED)


class Export(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="exports")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="exports")
    dataset = models.CharField(max_length=32, choices=ExportDataset.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    identified = models.BooleanField(help_text="Names and emails included; otherwise pseudonymous ids only.")
    purpose = models.CharField(max_length=500, blank=True, help_text="Why identified data was needed.")
    filters = models.JSONField(default=dict, blank=True)
    filters_description = models.CharField(max_length=500, blank=True)
    delivery = models.CharField(max_length=16, choices=ExportDelivery.choices)
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_expected = models.PositiveBigIntegerField(null=True, blank=True)
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, help_text="The name the download is given.")
    file_path = models.CharField(max_length=300, blank=True, help_text="Relative to EXPORT_ROOT.")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was handed to the broker; empty while the broker could not be reached.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "-created_at"], name="export_clinic_recent"),
            models.Index(fields=["status", "expires_at"], name="export_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(dataset__in=ExportDataset.values), name="export_dataset_valid"),
            models.CheckConstraint(condition=Q(format__in=ExportFormat.values), name="export_format_valid"),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="export_status_valid"),
            models.CheckConstraint(condition=Q(delivery__in=ExportDelivery.values), name="export_delivery_valid"),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.READY) | (~Q(file_path="") & Q(expires_at__isnull=False)),
                name="export_ready_has_a_file_and_an_expiry",
            ),
            models.CheckConstraint(
                condition=Q(identified=False) | Q(dataset=ExportDataset.PATIENT_RECORD) | ~Q(purpose=""),
                name="export_identified_has_a_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} ({self.get_format_display()}) by {self.requested_by}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        """How far along, 0-100. Never 100 until the file is really there."""
        if self.status in (ExportStatus.READY, ExportStatus.STREAMED):
            return 100
        if not self.rows_expected:
            return 0
        return min(99, int(self.rows_written * 100 / self.rows_expected))

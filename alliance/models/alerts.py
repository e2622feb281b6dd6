"""Alerts: a prompt for the clinician to open a conversation. Patients never see the word."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models.checkins import Response
from patients.models import Patient, User, tracked
from sessions.models import CareSession


class AlertKind(models.TextChoices):
    LOW_TOTAL = "low_total", _("Low overall score")
    LOW_ITEM = "low_item", _("A low answer")
    DROP = "drop", _("A drop since the last check-in")
    MISMATCH = "mismatch", _("You and the patient see it differently")
    DECISION_CHECK = "decision_check", _("A low answer after a decision")


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Talked through")


@tracked(patient="patient", title=_("Alert"))
class Alert(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    decision = models.ForeignKey(
        "alliance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    detail = models.CharField(max_length=500, help_text="For the care team: what triggered it, in numbers.")
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledge_note = models.TextField(blank=True, max_length=2000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolve_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["patient", "resolved_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "kind"], condition=Q(response__isnull=False), name="alert_once_per_response_kind"
            ),
            models.UniqueConstraint(
                fields=["care_session"],
                condition=Q(kind=AlertKind.MISMATCH, care_session__isnull=False),
                name="alert_one_mismatch_per_session",
            ),
            models.UniqueConstraint(
                fields=["decision"],
                condition=Q(kind=AlertKind.DECISION_CHECK, decision__isnull=False),
                name="alert_one_per_decision_check",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(acknowledged_at__isnull=False),
                name="alert_resolved_only_after_acknowledged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def status(self) -> str:
        if self.resolved_at:
            return AlertStatus.RESOLVED
        if self.acknowledged_at:
            return AlertStatus.ACKNOWLEDGED
        return AlertStatus.OPEN

    def get_status_display(self) -> str:
        return AlertStatus(self.status).label

"""Appointments between a patient and a clinician, and what later issues hang on them."""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patients.models import Clinician, Patient, User, tracked


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Happened")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Didn't happen")


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    PHONE = "phone", _("Phone call")


@tracked(patient="patient", exclude=["updated_at"], title="Appointment")
class CareSession(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_sessions")
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="care_sessions")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    mode = models.CharField(max_length=16, choices=SessionMode.choices, default=SessionMode.IN_PERSON)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    cancelled_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["clinician", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="care_session_duration_5_to_480",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SessionStatus.values), name="care_session_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(mode__in=SessionMode.values), name="care_session_mode_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.clinician} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def can_change(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def what_happened(self) -> str:
        """What became of a session that is no longer scheduled, as a clause: "it was cancelled"."""
        return {
            SessionStatus.CANCELLED: gettext("it was cancelled"),
            SessionStatus.DONE: gettext("it has been recorded as having happened"),
            SessionStatus.MISSED: gettext("it has been recorded as not having happened"),
        }.get(self.status, gettext("it is still scheduled"))

    @property
    def awaits_outcome(self) -> bool:
        return self.status == SessionStatus.SCHEDULED and self.starts_at <= timezone.now()

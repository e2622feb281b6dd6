"""Appointments between a patient and a clinician, and what later issues hang on them."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from patients.models import Clinician, Patient, User


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Happened"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Didn't happen"


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"


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
    def is_upcoming(self) -> bool:
        return self.status == SessionStatus.SCHEDULED and self.starts_at > timezone.now()

    @property
    def can_change(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def awaits_outcome(self) -> bool:
        return self.status == SessionStatus.SCHEDULED and self.starts_at <= timezone.now()


class AgendaSource(models.TextChoices):
    """Where an agenda item came from. The record pushes items in; this app never looks back up."""

    PATIENT = "patient", "Added by the patient"
    CLINICIAN = "clinician", "Added by the clinician"
    CHECKIN_NOTE = "checkin_note", "From a check-in"
    QUESTION = "question", "A question"
    STORY = "story", "From the patient's story"
    EXPLANATION = "explanation", "About an explanation"
    SETBACK = "setback", "A setback"
    ALERT = "alert", "How our sessions are going"
    DECISION = "decision", "A decision"


class AgendaStatus(models.TextChoices):
    OPEN = "open", "To talk about"
    PARKED = "parked", "Parked for later"
    DISCUSSED = "discussed", "Talked about"


class AgendaItem(models.Model):
    """Something to talk about at a session, raised by either side or arriving from the record.

    ``care_session`` is empty until there is a session to attach it to; such items wait for the
    patient's next appointment. ``source_ref`` names the record item it came from (for example
    ``question:12``) so the same thing is never put on the agenda twice.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="agenda_items")
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    text = models.CharField(max_length=1000)
    source = models.CharField(max_length=32, choices=AgendaSource.choices)
    source_ref = models.CharField(max_length=64, blank=True)
    raised_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AgendaStatus.choices, default=AgendaStatus.OPEN)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "created_at", "pk"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="agenda_item_once_per_source",
            ),
            models.CheckConstraint(condition=models.Q(source__in=AgendaSource.values), name="agenda_source_valid"),
            models.CheckConstraint(condition=models.Q(status__in=AgendaStatus.values), name="agenda_status_valid"),
        ]

    def __str__(self) -> str:
        return self.text[:60]

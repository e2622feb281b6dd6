"""Reminders: who wants which, and one row per reminder that is due, sent or skipped.

A due reminder is a row, never a long-countdown task in the broker. The row's
``(recipient, kind, dedupe_key)`` is unique, so the same reminder cannot exist twice, and it moves
to SENT inside the transaction that holds its row lock while the email goes out: "sent at most once"
is a fact the database keeps.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import User
from sessions.models.appointments import CareSession


class ReminderKind(models.TextChoices):
    CHECKIN = "checkin", _("Check-in reminder before an appointment")
    HOME_PLAN = "home_plan", _("Home-plan nudge")
    DIGEST = "digest", _("Daily digest")
    APPOINTMENT = "appointment", _("A change to an appointment")
    NEWS = "news", _("“Something new is waiting”")


class AppointmentChange(models.TextChoices):
    """What an appointment notice tells the patient; the start of the notice's dedupe key."""

    CANCELLED = "cancelled", _("Cancelled")
    MOVED = "moved", _("Moved to another time")
    CLINICIAN = "clinician", _("Now with another clinician")


class NudgeFrequency(models.TextChoices):
    OFF = "off", _("Off")
    DAILY = "daily", _("Every day")
    FEW_A_WEEK = "few_a_week", _("A few times a week (Monday, Wednesday, Friday)")
    WEEKLY = "weekly", _("Once a week (Mondays)")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not needed")
    FAILED = "failed", _("Could not be sent")


class ReminderPreference(models.Model):
    """One person's reminder choices. Someone without a row gets the defaults below."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reminder_preference")
    checkin_enabled = models.BooleanField("Check-in reminders", default=True)
    checkin_hours_before = models.PositiveSmallIntegerField(default=24)
    nudge_frequency = models.CharField(max_length=16, choices=NudgeFrequency.choices, default=NudgeFrequency.WEEKLY)
    nudge_time = models.TimeField(default=time(18, 0))
    digest_enabled = models.BooleanField("Daily digest", default=True)
    digest_time = models.TimeField(default=time(8, 0))
    appointment_enabled = models.BooleanField("Changes to my appointments", default=True)
    # Off unless the patient asks: "something new is waiting", never what it is.
    news_enabled = models.BooleanField("Something new is waiting", default=False)
    quiet_start = models.TimeField(default=time(21, 0))
    quiet_end = models.TimeField(default=time(8, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(checkin_hours_before__gte=1, checkin_hours_before__lte=72),
                name="reminder_checkin_hours_1_to_72",
            ),
            models.CheckConstraint(
                condition=Q(nudge_frequency__in=NudgeFrequency.values), name="reminder_nudge_frequency_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder choices of {self.user}"

    def allows(self, kind: str) -> bool:
        if kind == ReminderKind.CHECKIN:
            return self.checkin_enabled
        if kind == ReminderKind.HOME_PLAN:
            return self.nudge_frequency != NudgeFrequency.OFF
        if kind == ReminderKind.DIGEST:
            return self.digest_enabled
        if kind == ReminderKind.APPOINTMENT:
            return self.appointment_enabled
        if kind == ReminderKind.NEWS:
            return self.news_enabled
        return False


class Reminder(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    dedupe_key = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    status = models.CharField(max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-due_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["recipient", "-due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "dedupe_key"], name="reminder_once"),
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"),
            models.CheckConstraint(
                condition=(Q(status=ReminderStatus.SENT) & Q(sent_at__isnull=False))
                | (~Q(status=ReminderStatus.SENT) & Q(sent_at__isnull=True)),
                name="reminder_sent_iff_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} ({self.get_status_display()})"

"""Home plans: exercises and activities agreed in session, how worth trying they feel, and practice.

A plan is versioned: every change makes a new ``HomePlan`` version holding a full copy of its items,
so each earlier version stays readable exactly as it was. An item keeps its ``lineage`` across
versions, so "worth trying" ratings and the practice log follow the exercise, not the row.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Patient, User, tracked
from sessions.models.appointments import CareSession


@tracked(patient="patient", title="Home plan")
class HomePlan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="home_plans")
    version = models.PositiveIntegerField()
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="home_plans"
    )
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="home_plan_version_once"),
            models.CheckConstraint(condition=Q(version__gte=1), name="home_plan_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"Home plan v{self.version} for {self.patient}"


@tracked(patient="plan__patient", title="Home plan activity")
class PlanItem(models.Model):
    plan = models.ForeignKey(HomePlan, on_delete=models.CASCADE, related_name="items")
    lineage = models.UUIDField(default=uuid.uuid4)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000)
    how_often = models.CharField(max_length=200)
    link = models.URLField(max_length=500, blank=True)
    notes = models.TextField(max_length=1000, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "lineage"], name="plan_item_once_per_version"),
        ]

    def __str__(self) -> str:
        return self.title


@tracked(patient="patient", title="How worth trying")
class WorthRating(models.Model):
    """How worth trying an item feels to the patient, 0–10. Kept as a history; the latest counts."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="worth_ratings")
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="ratings")
    lineage = models.UUIDField()
    score = models.PositiveSmallIntegerField()
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-rated_at", "-pk"]
        indexes = [models.Index(fields=["patient", "lineage", "rated_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="worth_rating_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/10 for {self.item}"


class PracticeOutcome(models.TextChoices):
    DONE = "done", _("Done")
    PARTLY = "partly", _("Partly")
    NOT_TODAY = "not_today", _("Not today")


@tracked(patient="patient", title="Practice logged")
class PracticeLog(models.Model):
    """One entry per item per day in the patient's time zone; logging again that day updates it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="practice_logs")
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="practice_logs")
    lineage = models.UUIDField()
    day = models.DateField()
    outcome = models.CharField(max_length=16, choices=PracticeOutcome.choices)
    note = models.TextField(max_length=1000, blank=True)
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-logged_at"]
        indexes = [models.Index(fields=["patient", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["patient", "lineage", "day"], name="practice_log_once_per_item_per_day"),
            models.CheckConstraint(condition=Q(outcome__in=PracticeOutcome.values), name="practice_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.item} on {self.day}"

"""Responses to instruments, their answers, and the patient's check-in that groups them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.models.instruments import Instrument, InstrumentVersion, Respondent
from patients.models import Patient, User, tracked
from sessions.models import CareSession


class ImmutableModel(models.Model):
    """Rows that are written once. A correction is a new row, never an edit."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"A {type(self).__name__} is never edited after it is submitted; submit a new one.")
        super().save(*args, **kwargs)


@tracked(patient="patient", title=_("Questionnaire response"))
class Response(ImmutableModel):
    """One person's answers to one instrument version about one patient, scored when submitted."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="responses")
    # Denormalised from the version so the database can enforce "once per session".
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    # No index of its own: the (patient, instrument, submitted_at) index below leads with it.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses", db_index=False)
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    respondent = models.ForeignKey(User, on_delete=models.PROTECT, related_name="responses_given")
    respondent_role = models.CharField(max_length=16, choices=Respondent.choices)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        ordering = ["submitted_at"]
        indexes = [models.Index(fields=["patient", "instrument", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "care_session", "respondent"],
                condition=Q(care_session__isnull=False, supersedes__isnull=True),
                name="response_once_per_session_per_person",
            ),
            models.CheckConstraint(
                condition=Q(respondent_role=Respondent.PATIENT) | Q(care_session__isnull=False),
                name="clinician_rating_needs_a_session",
            ),
            models.CheckConstraint(
                condition=Q(respondent_role__in=Respondent.values), name="response_respondent_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name} for {self.patient} at {self.submitted_at:%Y-%m-%d}"


@tracked(patient="response__patient", title=_("Answer"))
class Answer(ImmutableModel):
    # No index of its own: the (response, item_key) constraint's index leads with it.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", db_index=False)
    item_key = models.CharField(max_length=64)
    value = models.SmallIntegerField(null=True, blank=True, help_text="Empty when the item was skipped.")

    class Meta:
        ordering = ["response", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item_key"], name="answer_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_key}={self.value}"


@tracked(patient="patient", title=_("Check-in"))
class CheckIn(ImmutableModel):
    """A patient's check-in: the alliance items, the pain check, and anything to raise next time."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.PROTECT, related_name="checkins"
    )
    alliance_response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="checkin_alliance")
    pain_response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.PROTECT, related_name="checkin_pain"
    )
    note = models.TextField(
        blank=True, max_length=2000, help_text="Anything the patient wants to raise next time; agenda-ready."
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "care_session"],
                condition=Q(care_session__isnull=False),
                name="checkin_once_per_patient_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in by {self.patient} at {self.submitted_at:%Y-%m-%d %H:%M}"

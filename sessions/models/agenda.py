"""The shared agenda and the session record.

An ``AgendaItem`` is something to talk about, raised by either side or pushed in from the record by
a higher app. It lives on one session at a time (``care_session``), or waits for the patient's next
appointment when none is booked. Parking an item, a missed session or a cancelled one moves it on;
nothing on an agenda is ever silently dropped.

Before a session either side can settle an item early: "answered already", "same as ..." (merged
into another open item of the same appointment, shown under it) or "park for later" (off this
appointment's agenda into the patient's parked list, from which it can be brought back). An item
not talked about at a session that happened, or on a session that didn't, is carried to the next
one, and ``times_carried`` counts how often that has happened.

What happened to an item at a given session is an ``AgendaEntry``: who led it and what was agreed,
or that it was parked for later. ``SessionRecord`` is the clinician's plain-language summary and next
steps, shared with the patient, and the patient's own "what I took from today".
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from patients.models import Patient, User, tracked
from sessions.models.appointments import CareSession

TEXT_LIMIT = 1000
AGREED_LIMIT = 2000
SUMMARY_LIMIT = 4000
TAKEAWAY_LIMIT = 2000


class AgendaSource(models.TextChoices):
    """Where an agenda item came from. The record pushes items in; this app never looks back up."""

    PATIENT = "patient", _("Added by the patient")
    CLINICIAN = "clinician", _("Added by the clinician")
    CHECKIN_NOTE = "checkin_note", _("From a check-in")
    QUESTION = "question", _("A question")
    STORY = "story", _("From the patient's story")
    EXPLANATION = "explanation", _("About an explanation")
    SETBACK = "setback", _("A setback")
    ALERT = "alert", _("How our sessions are going")
    DECISION = "decision", _("A decision")
    REVIEW = "review", _("A step-back review")


class AgendaStatus(models.TextChoices):
    OPEN = "open", _("To talk about")
    PARKED = "parked", _("Parked for later")
    DISCUSSED = "discussed", _("Talked about")
    ANSWERED = "answered", _("Answered already")
    MERGED = "merged", _("Same as another item")


@tracked(patient="patient", title="Agenda item")
class AgendaItem(models.Model):
    """Something to talk about at a session, raised by either side or arriving from the record.

    ``care_session`` is empty until there is a session to attach it to; such items wait for the
    patient's next appointment. ``source_ref`` names the record item it came from (for example
    ``question:12``) so the same thing is never put on the agenda twice. ``parked_from`` is the
    session at which it was last parked, so the next agenda can say where it came from.
    ``merged_into`` is the item a "same as" item joined (set exactly when the status is merged);
    ``marked_by``/``marked_at`` say who settled it early (answered, merged or parked) and when.
    ``times_carried`` counts the appointments it has been carried on from without being talked about.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="agenda_items")
    care_session = models.ForeignKey(
        CareSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    text = models.CharField(max_length=TEXT_LIMIT)
    source = models.CharField(max_length=32, choices=AgendaSource.choices)
    source_ref = models.CharField(max_length=64, blank=True)
    raised_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AgendaStatus.choices, default=AgendaStatus.OPEN)
    position = models.PositiveIntegerField(default=0)
    parked_from = models.ForeignKey(CareSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    times_carried = models.PositiveSmallIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_items"
    )
    marked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "created_at", "pk"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["care_session", "position"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "source", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="agenda_item_once_per_source",
            ),
            models.CheckConstraint(condition=models.Q(source__in=AgendaSource.values), name="agenda_source_valid"),
            models.CheckConstraint(condition=models.Q(status__in=AgendaStatus.values), name="agenda_status_valid"),
            # A "same as" item always names the item it joined, and only such an item does.
            models.CheckConstraint(
                condition=Q(status=AgendaStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=AgendaStatus.MERGED) & Q(merged_into__isnull=True)),
                name="agenda_item_merged_names_target",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def carried_label(self) -> str:
        """ "Carried over once", "... twice", "... 3 times"; empty for an item never carried."""
        if not self.times_carried:
            return ""
        if self.times_carried == 1:
            return gettext("Carried over once")
        if self.times_carried == 2:
            return gettext("Carried over twice")
        return ngettext("Carried over %(count)d time", "Carried over %(count)d times", self.times_carried) % {
            "count": self.times_carried
        }


class LedBy(models.TextChoices):
    PATIENT = "patient", _("The patient led")
    CLINICIAN = "clinician", _("The clinician led")
    TOGETHER = "together", _("We led it together")


class EntryOutcome(models.TextChoices):
    DISCUSSED = "discussed", _("Talked about")
    PARKED = "parked", _("Parked for later")


@tracked(patient="agenda_item__patient", title="What was talked about")
class AgendaEntry(models.Model):
    """What became of one agenda item at one session. An item parked twice has two entries."""

    care_session = models.ForeignKey(CareSession, on_delete=models.CASCADE, related_name="agenda_entries")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="entries")
    outcome = models.CharField(max_length=16, choices=EntryOutcome.choices)
    led_by = models.CharField(max_length=16, choices=LedBy.choices, blank=True)
    agreed = models.TextField(max_length=AGREED_LIMIT, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agenda_item__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["care_session", "agenda_item"], name="agenda_entry_once_per_session"),
            models.CheckConstraint(condition=Q(outcome__in=EntryOutcome.values), name="agenda_entry_outcome_valid"),
            models.CheckConstraint(
                condition=Q(led_by="") | Q(led_by__in=LedBy.values), name="agenda_entry_led_by_valid"
            ),
            # Something talked about was led by someone; a parked item need not say.
            models.CheckConstraint(
                condition=Q(outcome=EntryOutcome.PARKED) | ~Q(led_by=""), name="agenda_entry_discussed_has_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.agenda_item}"


@tracked(patient="care_session__patient", exclude=["updated_at"], title="Session record")
class SessionRecord(models.Model):
    """The clinician's shared summary of a session, and the patient's own take on it."""

    care_session = models.OneToOneField(CareSession, on_delete=models.CASCADE, related_name="record")
    summary = models.TextField(max_length=SUMMARY_LIMIT)
    next_steps = models.TextField(max_length=SUMMARY_LIMIT, blank=True)
    written_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    patient_takeaway = models.TextField(max_length=TAKEAWAY_LIMIT, blank=True)
    takeaway_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(summary=""), name="session_record_has_summary"),
        ]

    def __str__(self) -> str:
        return f"Record of {self.care_session}"

"""Step-back reviews: every few sessions, or when either side asks, the clinician writes a short,
honest look at how things are going, beside the patient's own figures, and the patient answers.

A review is asked for (``asked_at``) or written (``written_at``), or both: asking makes a row that
waits, unwritten, until the clinician writes it. A patient has at most one review waiting.
The figures are the sentences shown beside the review when it was written, kept as they were then.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from patients.models import Patient, User, tracked

_BLANK = r"^\s*$"
REVIEW_TEXT_LIMIT = 2000

# The four parts of a review, in the order they are written and shown: (field, heading, prompt).
REVIEW_PARTS = (
    ("what_changed", _("What has changed"), _("What has changed since we started, or since the last review?")),
    ("what_hasnt", _("What hasn't changed"), _("What hasn't changed, or not as much as we hoped?")),
    ("going_on", _("What I think is going on"), _("What do you think is going on?")),
    ("try_next", _("What to try next"), _("What would you suggest trying next?")),
)


@tracked(patient="patient", title=_("Step-back review"))
class StepBackReview(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(null=True, blank=True)
    written_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(null=True, blank=True)
    what_changed = models.TextField(_("what has changed"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    what_hasnt = models.TextField(_("what hasn't changed"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    going_on = models.TextField(_("what I think is going on"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    try_next = models.TextField(_("what to try next"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    figures = models.JSONField(default=list, blank=True, help_text="The sentences about the patient's figures.")
    reflection = models.TextField(_("how this looks from where I am"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    disagree = models.TextField(_("what I see differently"), max_length=REVIEW_TEXT_LIMIT, blank=True)
    reflected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-written_at", "-pk"]
        indexes = [models.Index(fields=["patient", "written_at"], name="review_patient_written")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(written_at__isnull=True), name="review_one_waiting_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(asked_at__isnull=False, asked_by__isnull=False) | Q(written_at__isnull=False),
                name="review_asked_or_written",
            ),
            models.CheckConstraint(
                condition=Q(written_at__isnull=True, written_by__isnull=True)
                | (
                    Q(written_at__isnull=False, written_by__isnull=False)
                    & ~Q(what_changed__regex=_BLANK)
                    & ~Q(what_hasnt__regex=_BLANK)
                    & ~Q(going_on__regex=_BLANK)
                    & ~Q(try_next__regex=_BLANK)
                ),
                name="review_written_has_every_part",
            ),
            models.CheckConstraint(
                condition=Q(reflected_at__isnull=True, reflection="", disagree="")
                | (Q(reflected_at__isnull=False, written_at__isnull=False) & ~Q(reflection__regex=_BLANK)),
                name="review_reflection_after_writing",
            ),
        ]

    def __str__(self) -> str:
        return f"Step-back review for {self.patient}"

    def get_absolute_url(self) -> str:
        return reverse("alliance:review", args=[self.patient_id, self.pk])

    @property
    def parts(self) -> list[tuple[str, str]]:
        """(heading, text) for each part, in order."""
        return [(heading, getattr(self, name)) for name, heading, _ in REVIEW_PARTS]

"""Subject access requests: a patient's right to a complete copy of what the clinic holds about them.

UK GDPR Article 15 (and the HIPAA right of access): the clinic answers within one calendar month of
receiving the request. A request is one ``AccessRequest`` row that moves through its states only by
the services in ``alliance.services.access_requests``; every step is also an ``AccessRequestEvent``
(who, when, what), so the request's own page tells its whole story.

    preparing ──(worker builds the complete file)──▶ review ──(release)──▶ released
        │                                              │
        └──▶ failed                                    └──(refuse)──▶ refused
               └──(an admin's "Try again")──▶ preparing

While in review an admin marks items to withhold (``WithheldItem``, each with its reason) and
records a decision; releasing writes the patient's copy without the withheld items.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Clinic, Patient, User, tracked

_BLANK = r"^\s*$"


class AccessRequestState(models.TextChoices):
    PREPARING = "preparing", _("Preparing the copy")
    REVIEW = "review", _("Ready for review")
    FAILED = "failed", _("Could not be prepared")
    RELEASED = "released", _("Released to the patient")
    REFUSED = "refused", _("Refused")


OPEN_STATES = (AccessRequestState.PREPARING, AccessRequestState.REVIEW, AccessRequestState.FAILED)


class AccessDecision(models.TextChoices):
    FULL = "full", _("Release in full")
    PARTIAL = "partial", _("Release with some items withheld")
    REFUSE = "refuse", _("Refuse the request")


REASON_NEEDED = (AccessDecision.PARTIAL, AccessDecision.REFUSE)


# When the broker took the build or the email is plumbing, not part of the request: not kept.
@tracked(
    patient="patient",
    title=_("Subject access request"),
    event_name="AccessRequestVersion",
    exclude=["dispatched_at", "patient_told_at"],
)
class AccessRequest(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="access_requests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_requests")
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    how_received = models.CharField(max_length=500, blank=True)
    # Calendar days, not moments: the day the admin entered is the day everyone is shown, in any zone.
    received_on = models.DateField(help_text="The day the clinic received the request: the statutory clock starts.")
    due_on = models.DateField(
        help_text="One calendar month after receipt (the corresponding day, else the month's last)."
    )
    state = models.CharField(max_length=16, choices=AccessRequestState.choices, default=AccessRequestState.PREPARING)
    opened_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker took the build; empty while it is still to be sent."
    )
    built_at = models.DateTimeField(null=True, blank=True)
    complete_path = models.CharField(
        max_length=300, blank=True, help_text="The complete copy, relative to EXPORT_ROOT."
    )
    item_count = models.PositiveIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=AccessDecision.choices, blank=True)
    decision_reason = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    released_path = models.CharField(
        max_length=300, blank=True, help_text="The patient's copy, relative to EXPORT_ROOT."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    patient_told_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker took the email telling the patient their copy is waiting."
    )

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["clinic", "-received_on"], name="accessrequest_clinic_received")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AccessRequestState.values), name="accessrequest_state_valid"),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=AccessDecision.values), name="accessrequest_decision_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gt=models.F("received_on")), name="accessrequest_due_on_after_receipt"
            ),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(decision="") & Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="accessrequest_decision_says_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(decision__in=REASON_NEEDED) | ~Q(decision_reason__regex=_BLANK),
                name="accessrequest_withholding_or_refusing_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(state=AccessRequestState.PREPARING)
                | Q(state=AccessRequestState.FAILED)
                | (Q(built_at__isnull=False, item_count__isnull=False) & ~Q(complete_path="")),
                name="accessrequest_reviewed_copy_exists",
            ),
            models.CheckConstraint(
                condition=~Q(state=AccessRequestState.RELEASED)
                | (
                    Q(decision__in=(AccessDecision.FULL, AccessDecision.PARTIAL))
                    & Q(released_at__isnull=False, released_by__isnull=False, closed_at__isnull=False)
                    & ~Q(released_path="")
                ),
                name="accessrequest_released_has_decision_and_file",
            ),
            models.CheckConstraint(
                condition=~Q(state=AccessRequestState.REFUSED)
                | Q(decision=AccessDecision.REFUSE, closed_at__isnull=False, released_path=""),
                name="accessrequest_refused_is_closed_without_a_file",
            ),
            # One open request per patient: a second one while the first is open is the same request.
            models.UniqueConstraint(
                fields=["patient"], condition=Q(state__in=OPEN_STATES), name="accessrequest_one_open_per_patient"
            ),
        ]

    def __str__(self) -> str:
        return f"Subject access request {self.pk} for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@tracked(patient="request__patient", title=_("Item withheld from a subject access copy"))
class WithheldItem(models.Model):
    """One item left out of the patient's copy, with the reason the patient is given."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="withheld")
    section = models.CharField(max_length=100, help_text="The section key in the complete copy.")
    section_title = models.CharField(max_length=200)
    item_id = models.CharField(max_length=40, help_text="The item's id within its section.")
    reason = models.TextField(max_length=2000)
    withheld_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    withheld_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["section", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "section", "item_id"], name="withheld_item_once"),
            models.CheckConstraint(condition=~Q(reason__regex=_BLANK), name="withheld_item_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.section_title} #{self.item_id}"


class AccessEventKind(models.TextChoices):
    OPENED = "opened", _("Request opened")
    BUILT = "built", _("Complete copy prepared")
    BUILD_FAILED = "build_failed", _("Copy could not be prepared")
    RETRIED = "retried", _("Preparing the copy again")
    WITHHELD = "withheld", _("Item withheld")
    DECIDED = "decided", _("Decision recorded")
    RELEASED = "released", _("Released to the patient")
    REFUSED = "refused", _("Request refused")
    DOWNLOADED = "downloaded", _("Released copy downloaded")


class AccessRequestEvent(models.Model):
    """One step of a request: who did what, and when. Never edited; the worker's steps have no person."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=AccessEventKind.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    detail = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccessEventKind.values), name="accessevent_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

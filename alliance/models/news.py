"""What's new for a patient: which new things they have seen, and when they last came to look.

The things themselves (an answer, a reply to a win, shared options…) already live in the record and
the sessions; nothing is copied. ``NewsSeen`` is one row per thing the patient has seen, written when
they open it from the list or when the "What's new" page shows it to them. ``NewsVisit`` is the last
time they came to look at all (their home page or the "What's new" page): an email about new things
is sent at most once between two visits.

Like ``RecordVisit``, neither is audited: they record the patient's own looking, not their record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import User


class NewsKind(models.TextChoices):
    """A kind of new thing; with its object's id it names one thing on the list."""

    ANSWER = "answer", _("An answer to your question")
    WIN_REPLY = "win_reply", _("A reply to your win")
    REFLECTION = "reflection", _("What your clinician heard in your story")
    OPTIONS = "options", _("Options shared with you")
    EXPLANATION = "explanation", _("An explanation, new or revised")
    PLAN_ITEM = "plan_item", _("Something new in your home plan")
    SESSION_RECORD = "session_record", _("What you agreed in a session")
    ADVICE = "advice", _("Your clinician's own view on a decision")
    REVIEW = "review", _("A step-back review")


class NewsSeen(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NewsKind.choices)
    object_id = models.BigIntegerField()
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "object_id"], name="news_seen_once"),
            models.CheckConstraint(condition=Q(kind__in=NewsKind.values), name="news_seen_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.kind} {self.object_id}"


class NewsVisit(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="+")
    visited_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} looked at what's new"

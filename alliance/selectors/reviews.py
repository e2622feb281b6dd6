"""Step-back reviews: which are there, whether the next one is due, and the figures shown beside one.

A review is due when the patient has had the clinic's number of sessions (``Clinic.review_every_sessions``,
sessions that happened) since the last written review, or since their first session if there has
been none, or when either side has asked for one and it is not written yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.instruments.scoring import minimal_important_difference
from alliance.models import Goal, GoalStatus, StepBackReview
from alliance.models.record import SCALE_RANGES
from alliance.selectors.progress import Point, change_sentence, progress_for_patient
from patients.models import Patient, User
from sessions.models import CareSession, SessionStatus

_LONG_AGO = datetime(2000, 1, 1).astimezone()


def review_status_annotate(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate each patient with ``sessions_since_review`` (sessions that happened since the last
    written review), ``review_asked`` (a review asked for and not written yet), ``review_every``
    (their clinic's setting) and ``review_due``. Subqueries in the select list: no extra query."""
    last_written = (
        StepBackReview.objects.filter(patient=OuterRef(OuterRef("pk")), written_at__isnull=False)
        .order_by("-written_at")
        .values("written_at")[:1]
    )
    since = (
        CareSession.objects.filter(
            patient=OuterRef("pk"),
            status=SessionStatus.DONE,
            starts_at__gt=Coalesce(Subquery(last_written), Value(_LONG_AGO, output_field=DateTimeField())),
        )
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    waiting = StepBackReview.objects.filter(patient=OuterRef("pk"), written_at__isnull=True)
    return patients.annotate(
        sessions_since_review=Coalesce(Subquery(since, output_field=IntegerField()), 0),
        review_asked=Exists(waiting),
        review_every=F("clinic__review_every_sessions"),
    ).annotate(
        review_due=ExpressionWrapper(
            Q(review_asked=True) | Q(sessions_since_review__gte=F("review_every")), output_field=BooleanField()
        )
    )


@dataclass(frozen=True)
class ReviewStatus:
    sessions_since: int
    every: int
    asked: StepBackReview | None
    due: bool

    @property
    def sessions_to_go(self) -> int:
        return max(self.every - self.sessions_since, 0)


def review_status(*, patient: Patient) -> ReviewStatus:
    """Whether a step-back review is due for ``patient``, and why (two queries)."""
    row = review_status_annotate(Patient.objects.filter(pk=patient.pk)).values(
        "sessions_since_review", "review_every", "review_due"
    )[0]
    asked = StepBackReview.objects.filter(patient=patient, written_at__isnull=True).select_related("asked_by").first()
    return ReviewStatus(
        sessions_since=row["sessions_since_review"], every=row["review_every"], asked=asked, due=row["review_due"]
    )


def reviews_for(*, user: User, patient: Patient) -> QuerySet[StepBackReview]:
    """The patient's written reviews, newest first. ``patient`` comes from a selector scoped to ``user``."""
    return StepBackReview.objects.filter(patient=patient, written_at__isnull=False).select_related("written_by")


def review_get(*, user: User, patient: Patient, pk) -> StepBackReview:
    """One written review of ``patient``'s (404 otherwise, including one asked for and not written yet)."""
    try:
        return reviews_for(user=user, patient=patient).get(pk=pk)
    except (StepBackReview.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def review_figures(*, patient: Patient, you: bool) -> list[str]:
    """The patient's own figures in plain, honest sentences: the alliance total against its range, the
    pain check's average against its minimal important difference (1 point), and each goal's rating.

    ``you`` words them for the patient ("Your …"); otherwise they name no one ("The …").
    """
    progress = progress_for_patient(patient=patient, include_clinician=False)
    low, high = progress.alliance_range
    sentences = [
        change_sentence(
            _("Your alliance check-in total") if you else _("The alliance check-in total"),
            progress.patient_alliance,
            lower_is_better=False,
            mid=minimal_important_difference(low, high),
            out_of=high,
        ),
        change_sentence(
            _("Your pain check average") if you else _("The pain check average"),
            progress.pain_total,
            lower_is_better=True,
            mid=minimal_important_difference(*progress.pain_range),
            out_of=progress.pain_range[1],
        ),
    ]
    goals = (
        Goal.objects.filter(patient=patient, withdrawn_at__isnull=True)
        .exclude(status__in=[GoalStatus.PROPOSED, GoalStatus.LET_GO])
        .prefetch_related("ratings")
        .order_by("created_at", "pk")
    )
    for goal in goals:
        ratings = sorted(goal.ratings.all(), key=lambda r: (r.rated_at, r.pk))
        points = [Point(r.rated_at, Decimal(r.value)) for r in ratings]
        g_low, g_high = SCALE_RANGES[goal.scale]
        sentences.append(
            change_sentence(
                _("The rating for the goal “%(goal)s”") % {"goal": goal.text},
                points,
                lower_is_better=False,
                mid=minimal_important_difference(Decimal(g_low), Decimal(g_high)),
                out_of=Decimal(g_high),
            )
            or _("The goal “%(goal)s” has no rating yet.") % {"goal": goal.text}
        )
    if not progress.patient_alliance:
        sentences[0] = _("No alliance check-ins yet.")
    if not progress.pain_total:
        sentences[1] = _("No pain checks yet.")
    return sentences

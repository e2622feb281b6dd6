"""Reads of the shared record, always scoped to the person asking.

The patient sees everything about themself except clinicians' private notes, withdrawn items and
options that have not been shared yet. Their care team sees all of it, withdrawn items marked.
Nobody else reaches a record: ``record_patient_get`` answers 404 for someone else's patient and
403 for a role that may not read contents (a clinic admin sees counts only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alliance.models import (
    Decision,
    DecisionStatus,
    Explanation,
    ExplanationVersion,
    Fit,
    FitResponse,
    Goal,
    GoalRating,
    GoalStatus,
    Option,
    PrivateNote,
    Question,
    QuestionReply,
    QuestionStatus,
    RecordRevision,
    RecordVisit,
    Setback,
    StoryEntry,
    StoryPassage,
    StoryReflection,
    Win,
)
from alliance.models.record import OPEN_QUESTION_STATUSES, SCALE_RANGES, GoalScale, RecordItem, section_models
from patients.models import Patient, Role, User
from patients.selectors import caseload_for_clinician, patient_get

READERS = (Role.PATIENT, Role.CLINICIAN)
CLINICIAN_READERS = (Role.CLINICIAN,)
BYLINE = ("created_by", "last_activity_by", "withdrawn_by")


def record_patient_get(*, user: User, pk, roles=READERS) -> Patient:
    """The patient whose record this is: 404 if not yours to see, 403 if your role may not do this."""
    patient = patient_get(user=user, pk=pk)
    if user.role not in roles:
        raise PermissionDenied
    return patient


def _visible(qs: QuerySet, user: User) -> QuerySet:
    if user.role == Role.PATIENT:
        return qs.filter(withdrawn_at__isnull=True)
    return qs


def _get(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def mark_new(items, *, user: User, since: datetime | None):
    """Set ``is_new`` on each item: someone else touched it after ``user`` last looked."""
    for item in items:
        item.is_new = item.last_activity_by_id not in (None, user.pk) and (
            since is None or item.last_activity_at > since
        )
    return items


# --- Questions -------------------------------------------------------------------------------------


def questions_for(*, user: User, patient: Patient) -> QuerySet[Question]:
    replies = QuestionReply.objects.select_related("author").order_by("created_at", "pk")
    return (
        _visible(Question.objects.filter(patient=patient), user)
        .select_related(*BYLINE)
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("-last_activity_at", "-pk")
    )


def question_get(*, user: User, patient: Patient, pk) -> Question:
    return _get(questions_for(user=user, patient=patient), pk)


# --- Goals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    points: str  # an SVG polyline
    summary: str
    low: int
    high: int


TREND_WIDTH, TREND_HEIGHT = 120, 32


def goal_trend(goal: Goal) -> Trend | None:
    """A small line of the goal's ratings, and the same in words."""
    ratings = list(goal.ratings.all())
    if not ratings:
        return None
    low, high = SCALE_RANGES[goal.scale]
    span = len(ratings) - 1 or 1
    coords = []
    for index, rating in enumerate(ratings):
        x = 2 + (TREND_WIDTH - 4) * index / span
        y = 2 + (TREND_HEIGHT - 4) * (high - rating.value) / (high - low)
        coords.append(f"{x:.1f},{y:.1f}")
    if len(coords) == 1:
        coords.append(coords[0].replace("2.0,", f"{TREND_WIDTH - 2:.1f},", 1))

    def show(value: int) -> str:
        return f"{value:+d}" if goal.scale == GoalScale.GAS and value else str(value)

    def day(rating: GoalRating) -> str:
        return date_format(timezone.localtime(rating.rated_at), "MONTH_DAY_FORMAT")

    first, last = ratings[0], ratings[-1]
    if len(ratings) == 1:
        summary = _("Rated %(value)s on %(day)s.") % {"value": show(first.value), "day": day(first)}
    else:
        summary = _("From %(first)s on %(first_day)s to %(last)s on %(last_day)s, over %(count)s ratings.") % {
            "first": show(first.value),
            "first_day": day(first),
            "last": show(last.value),
            "last_day": day(last),
            "count": len(ratings),
        }
    return Trend(points=" ".join(coords), summary=summary, low=low, high=high)


def goals_for(*, user: User, patient: Patient) -> QuerySet[Goal]:
    ratings = GoalRating.objects.select_related("rated_by").order_by("rated_at", "pk")
    return (
        _visible(Goal.objects.filter(patient=patient), user)
        .select_related(*BYLINE, "status_changed_by")
        .prefetch_related(Prefetch("ratings", queryset=ratings))
        .order_by("-last_activity_at", "-pk")
    )


def goal_get(*, user: User, patient: Patient, pk) -> Goal:
    return _get(goals_for(user=user, patient=patient), pk)


GOAL_ORDER = [GoalStatus.PROPOSED, GoalStatus.ACTIVE, GoalStatus.PAUSED, GoalStatus.ACHIEVED, GoalStatus.LET_GO]


# --- Wins and setbacks -----------------------------------------------------------------------------


def wins_for(*, user: User, patient: Patient) -> QuerySet[Win]:
    return (
        _visible(Win.objects.filter(patient=patient), user)
        .select_related(*BYLINE, "acknowledged_by")
        .order_by("-created_at", "-pk")
    )


def setbacks_for(*, user: User, patient: Patient) -> QuerySet[Setback]:
    return (
        _visible(Setback.objects.filter(patient=patient), user).select_related(*BYLINE).order_by("-created_at", "-pk")
    )


def journal_for(*, user: User, patient: Patient) -> list[Win | Setback]:
    """Wins and setbacks together, newest first."""
    wins, setbacks = list(wins_for(user=user, patient=patient)), list(setbacks_for(user=user, patient=patient))
    items = [*wins, *setbacks]
    return sorted(items, key=lambda item: (item.created_at, item.pk), reverse=True)


def win_get(*, user: User, patient: Patient, pk) -> Win:
    return _get(wins_for(user=user, patient=patient), pk)


def setback_get(*, user: User, patient: Patient, pk) -> Setback:
    return _get(setbacks_for(user=user, patient=patient), pk)


# --- Explanations ----------------------------------------------------------------------------------


def explanations_for(*, user: User, patient: Patient) -> QuerySet[Explanation]:
    versions = ExplanationVersion.objects.select_related(
        "written_by", "response", "response__responded_by", "response__talked_through_by"
    ).order_by("-number")
    return (
        _visible(Explanation.objects.filter(patient=patient), user)
        .select_related(*BYLINE)
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-last_activity_at", "-pk")
    )


def explanation_get(*, user: User, patient: Patient, pk) -> Explanation:
    return _get(explanations_for(user=user, patient=patient), pk)


def fit_response_get(*, explanation: Explanation, pk) -> FitResponse:
    return _get(FitResponse.objects.filter(version__explanation=explanation).select_related("version__explanation"), pk)


# --- Options and decisions -------------------------------------------------------------------------


def decisions_for(*, user: User, patient: Patient) -> QuerySet[Decision]:
    options = Option.objects.select_related(*BYLINE).order_by("position", "pk")
    qs = Decision.objects.filter(patient=patient)
    if user.role == Role.PATIENT:
        qs = qs.exclude(status=DecisionStatus.DRAFT)
        options = options.filter(withdrawn_at__isnull=True, shared_at__isnull=False)
    return (
        _visible(qs, user)
        .select_related(*BYLINE, "preferred_option", "after_check", "advice_by")
        .prefetch_related(Prefetch("options", queryset=options))
        .order_by("-last_activity_at", "-pk")
    )


def decision_get(*, user: User, patient: Patient, pk) -> Decision:
    return _get(decisions_for(user=user, patient=patient), pk)


# --- Story -----------------------------------------------------------------------------------------


def story_for(*, user: User, patient: Patient) -> QuerySet[StoryEntry]:
    return (
        _visible(StoryEntry.objects.filter(patient=patient), user)
        .select_related(*BYLINE)
        .prefetch_related(
            Prefetch("passages", queryset=StoryPassage.objects.select_related("marked_by")),
            Prefetch("reflections", queryset=StoryReflection.objects.select_related("written_by")),
        )
        .order_by("-created_at", "-pk")
    )


def story_entry_get(*, user: User, patient: Patient, pk) -> StoryEntry:
    return _get(story_for(user=user, patient=patient), pk)


def story_reflection_get(*, user: User, patient: Patient, pk) -> StoryReflection:
    entries = story_for(user=user, patient=patient)
    return _get(StoryReflection.objects.filter(entry__in=entries).select_related("entry__patient__user"), pk)


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def story_sentences(entry: StoryEntry) -> list[str]:
    """The entry's text as a list of sentences (split after . ! ? … and at line breaks), in order,
    each exactly as written, so a passage can be picked from a list instead of retyped."""
    return [part.strip() for part in _SENTENCE_END.split(entry.body) if part and part.strip()]


def story_segments(entry: StoryEntry) -> list[tuple[str, bool]]:
    """The entry's text split into (text, is_marked) pieces, so marked passages can be highlighted safely."""
    body = entry.body
    spans = []
    for passage in entry.passages.all():
        start = body.find(passage.quote)
        if start >= 0:
            spans.append((start, start + len(passage.quote)))
    spans.sort()
    segments, cursor = [], 0
    for start, end in spans:
        if start < cursor:  # overlapping marks: extend the current one
            if end > cursor:
                segments[-1] = (segments[-1][0] + body[cursor:end], True)
                cursor = end
            continue
        if start > cursor:
            segments.append((body[cursor:start], False))
        segments.append((body[start:end], True))
        cursor = end
    if cursor < len(body):
        segments.append((body[cursor:], False))
    return segments


# --- Private notes, history ------------------------------------------------------------------------


def private_notes_for(*, user: User, patient: Patient, section: str | None = None) -> QuerySet[PrivateNote]:
    """The care team's private notes. Never for the patient: an empty list, whatever is asked."""
    if user.role != Role.CLINICIAN:
        return PrivateNote.objects.none()
    qs = PrivateNote.objects.filter(patient=patient).select_related(*BYLINE).order_by("-created_at", "-pk")
    return qs.filter(section=section) if section is not None else qs


def record_item_get(*, user: User, patient: Patient, model: type[RecordItem], pk) -> RecordItem:
    if model is PrivateNote:
        return _get(private_notes_for(user=user, patient=patient), pk)
    if model is Decision:
        return decision_get(user=user, patient=patient, pk=pk)
    if model is Option:
        decisions = decisions_for(user=user, patient=patient)
        qs = Option.objects.filter(decision__in=decisions).select_related("decision", *BYLINE)
        if user.role == Role.PATIENT:
            qs = qs.filter(shared_at__isnull=False)
        return _get(_visible(qs, user), pk)
    return _get(_visible(model.objects.filter(patient=patient).select_related(*BYLINE), user), pk)


def record_history(*, item: RecordItem) -> list[RecordRevision]:
    return list(RecordRevision.objects.filter(item_kind=item.kind, item_id=item.pk).select_related("edited_by"))


# --- Summaries: the hub, the homes, the clinic admin -----------------------------------------------


def record_visits(*, user: User, patient: Patient) -> dict[str, datetime]:
    return dict(RecordVisit.objects.filter(user=user, patient=patient).values_list("section", "seen_at"))


EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _new_count(model, section: str, user: User):
    """A subquery: items of ``model`` that someone else touched since ``user`` last looked at ``section``."""
    seen = RecordVisit.objects.filter(user=user, patient=OuterRef(OuterRef("pk")), section=section).values("seen_at")
    qs = (
        model.objects.filter(patient=OuterRef("pk"), last_activity_by__isnull=False)
        .exclude(last_activity_by=user)
        .filter(last_activity_at__gt=Coalesce(Subquery(seen[:1]), Value(EPOCH)))
    )
    if user.role == Role.PATIENT:
        qs = qs.filter(withdrawn_at__isnull=True)
        if model is Decision:
            qs = qs.exclude(status=DecisionStatus.DRAFT)
    return Coalesce(Subquery(qs.order_by().values("patient").annotate(n=Count("pk")).values("n")[:1]), Value(0))


def _new_annotations(user: User) -> dict:
    return {
        f"new_{section}_{model.__name__.lower()}": _new_count(model, section, user)
        for section, models in section_models().items()
        for model in models
    }


def _new_from(row: Patient) -> dict[str, int]:
    return {
        section: sum(getattr(row, f"new_{section}_{model.__name__.lower()}") for model in models)
        for section, models in section_models().items()
    }


def record_new_counts(*, user: User, patient: Patient) -> dict[str, int]:
    """For each part of the record, how many items someone else has touched since ``user`` last looked (one query)."""
    row = Patient.objects.filter(pk=patient.pk).annotate(**_new_annotations(user)).get()
    return _new_from(row)


def _n(qs: QuerySet, ref: str):
    """A subquery counting ``qs`` for the outer patient (``ref`` is the path from ``qs`` to that patient)."""
    return Coalesce(Subquery(qs.order_by().values(ref).annotate(n=Count("pk")).values("n")[:1]), Value(0))


def _count(model, *, patient_ref, **filters):
    qs = model.objects.filter(patient=patient_ref, withdrawn_at__isnull=True, **filters).order_by()
    return Coalesce(Subquery(qs.values("patient").annotate(n=Count("pk")).values("n")[:1]), Value(0))


def _open_fit_filter(prefix: str = "") -> Q:
    return Q(**{f"{prefix}fit__in": [Fit.PARTLY, Fit.DOESNT_FIT], f"{prefix}talked_through_at__isnull": True})


def record_counts_annotate(qs: QuerySet[Patient]) -> QuerySet[Patient]:
    """Counts only, never contents: what a clinic admin may see, and what the caseload shows."""
    ref = OuterRef("pk")
    open_fits = FitResponse.objects.filter(
        _open_fit_filter(), version__explanation__patient=ref, version__explanation__withdrawn_at__isnull=True
    ).order_by()
    return qs.annotate(
        open_questions=_count(Question, patient_ref=ref, status__in=OPEN_QUESTION_STATUSES),
        all_questions=_count(Question, patient_ref=ref),
        active_goals=_count(Goal, patient_ref=ref, status=GoalStatus.ACTIVE),
        wins=_count(Win, patient_ref=ref),
        unacknowledged_wins=_count(Win, patient_ref=ref, acknowledged_at__isnull=True, created_by=OuterRef("user")),
        setbacks=_count(Setback, patient_ref=ref),
        explanations=_count(Explanation, patient_ref=ref),
        open_fits=Coalesce(
            Subquery(
                open_fits.values("version__explanation__patient").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        decisions=_count(Decision, patient_ref=ref),
        story_entries=_count(StoryEntry, patient_ref=ref),
    )


def _for(path: str, patients) -> dict:
    """``path`` matched to one patient (an ``OuterRef``) or to any of a queryset of patient ids."""
    return {path if isinstance(patients, OuterRef) else f"{path}__in": patients}


def _open_questions(patients) -> QuerySet[Question]:
    return Question.objects.filter(
        withdrawn_at__isnull=True, status__in=OPEN_QUESTION_STATUSES, **_for("patient", patients)
    )


def _open_fits(patients) -> QuerySet[FitResponse]:
    return FitResponse.objects.filter(
        _open_fit_filter(),
        version__explanation__withdrawn_at__isnull=True,
        **_for("version__explanation__patient", patients),
    )


def _wins_waiting(patients) -> QuerySet[Win]:
    """Only the patient's own wins wait for a clinician's reply."""
    return Win.objects.filter(
        withdrawn_at__isnull=True,
        acknowledged_at__isnull=True,
        created_by=F("patient__user"),
        **_for("patient", patients),
    )


def open_fits_for(*, patient: Patient) -> QuerySet[FitResponse]:
    """The patient's answers that an explanation "partly fits" or "doesn't fit", not yet talked through,
    each with its version and explanation. Both sides may see these."""
    return _open_fits([patient.pk]).select_related("version__explanation")


def record_attention_sets(*, patients: QuerySet) -> dict[str, QuerySet]:
    """Which of ``patients`` (a queryset of ids) have something in their record waiting for a clinician:
    for each reason, a queryset of patient ids, to be used inside another query (``pk__in=``)."""
    return {
        "questions": _open_questions(patients).values("patient_id"),
        "fits": _open_fits(patients).values("version__explanation__patient_id"),
        "wins": _wins_waiting(patients).values("patient_id"),
    }


@dataclass
class ClinicianAttention:
    """The oldest few of each kind of thing waiting; ``more_*`` says there are others beyond them."""

    unacknowledged_wins: list[Win]
    open_fits: list[FitResponse]
    with_open_questions: list[Patient]
    more_wins: bool = False
    more_fits: bool = False
    more_questions: bool = False

    @property
    def anything(self) -> bool:
        return bool(self.unacknowledged_wins or self.open_fits or self.with_open_questions)


ATTENTION_LIMIT = 10


def _first(qs: QuerySet, limit: int = ATTENTION_LIMIT) -> tuple[list, bool]:
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def record_attention_for_clinician(*, user: User) -> ClinicianAttention:
    """What in the shared record is waiting for this clinician across their caseload: the oldest
    ``ATTENTION_LIMIT`` wins and explanations, and patients with open questions by name. Three
    queries, whatever the caseload's size."""
    caseload = caseload_for_clinician(user=user)
    patient_ids = caseload.values("pk")
    wins, more_wins = _first(_wins_waiting(patient_ids).select_related("patient__user").order_by("created_at", "pk"))
    # One line per explanation: its newest open answer (an older version's answer may still be open too).
    newest_open = (
        _open_fits(patient_ids)
        .order_by("version__explanation_id", "-version__number")
        .distinct("version__explanation_id")
    )
    fits, more_fits = _first(
        FitResponse.objects.filter(pk__in=newest_open.values("pk"))
        .select_related("version__explanation__patient__user")
        .order_by("responded_at", "pk")
    )
    me = OuterRef("pk")
    asking, more_questions = _first(
        caseload.prefetch_related(None)
        .select_related(None)
        .select_related("user")
        .filter(pk__in=_open_questions(patient_ids).values("patient_id"))
        .annotate(
            open_questions=_n(_open_questions(me), "patient"),
            # Open questions the patient worried about asking: the clinician is reminded to be gentle.
            worried_questions=_n(_open_questions(me).filter(worried_silly=True), "patient"),
        )
    )
    return ClinicianAttention(
        unacknowledged_wins=wins,
        open_fits=fits,
        with_open_questions=asking,
        more_wins=more_wins,
        more_fits=more_fits,
        more_questions=more_questions,
    )


@dataclass
class PatientPrompts:
    answers_to_read: int = 0
    explanations_to_answer: int = 0
    felt_heard_to_say: int = 0
    goals_suggested: int = 0
    reflections_to_check: int = 0
    decisions_waiting: int = 0
    checks_waiting: int = 0

    @property
    def total(self) -> int:
        return (
            self.answers_to_read
            + self.explanations_to_answer
            + self.felt_heard_to_say
            + self.goals_suggested
            + self.reflections_to_check
            + self.decisions_waiting
            + self.checks_waiting
        )


def record_prompts_for_patient(*, user: User) -> PatientPrompts:
    """What in their record is waiting for the patient: one query, a plain count per prompt.

    Each count reads one table (or a short join) by the patient's id, and the counts come back
    together (``UNION ALL``). Correlated subqueries did the same work in the database but cost
    several times as long to build in Python, and the home page is where patients land.
    """
    pid = user.patient.pk
    live = {"withdrawn_at__isnull": True}
    later_version = ExplanationVersion.objects.filter(
        explanation=OuterRef("explanation"), number__gt=OuterRef("number")
    )
    counted = {
        "answers_to_read": Question.objects.filter(patient_id=pid, status=QuestionStatus.ANSWERED, **live),
        # The latest version of each explanation, not yet answered.
        "explanations_to_answer": ExplanationVersion.objects.filter(
            explanation__patient_id=pid, explanation__withdrawn_at__isnull=True, response__isnull=True
        ).exclude(Exists(later_version)),
        "felt_heard_to_say": FitResponse.objects.filter(
            version__explanation__patient_id=pid,
            version__explanation__withdrawn_at__isnull=True,
            talked_through_at__isnull=False,
            felt_heard="",
        ),
        "goals_suggested": Goal.objects.filter(patient_id=pid, status=GoalStatus.PROPOSED, **live),
        "reflections_to_check": StoryReflection.objects.filter(
            entry__patient_id=pid, entry__withdrawn_at__isnull=True, response=""
        ),
        "decisions_waiting": Decision.objects.filter(patient_id=pid, status=DecisionStatus.SHARED, **live),
        "checks_waiting": Decision.objects.filter(
            patient_id=pid, status=DecisionStatus.DECIDED, after_check__isnull=True, **live
        ),
    }
    # Without a GROUP BY each part is one row, its name and its count, even when the count is 0.
    parts = [
        qs.order_by().annotate(prompt=Value(name)).values("prompt").annotate(n=Count("pk")).values_list("prompt", "n")
        for name, qs in counted.items()
    ]
    return PatientPrompts(**dict(parts[0].union(*parts[1:], all=True)))


def record_counts_for_admin(*, user: User) -> QuerySet[Patient]:
    """Per-patient counts for a clinic admin: how much is in each record, never what it says."""
    if user.role != Role.CLINIC_ADMIN:
        return Patient.objects.none()
    qs = Patient.objects.filter(clinic_id=user.clinic_admin.clinic_id).select_related("user")
    return record_counts_annotate(qs).order_by("user__full_name")

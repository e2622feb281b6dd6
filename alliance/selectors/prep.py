"""The prep sheet: one page per appointment, of what happened since the patient's last session.

Everything is read through the selectors the rest of the app uses (check-ins from ``progress``,
alerts, the shared record, the agenda and the home plan), each trimmed to what the sheet shows.
The sheet's query count does not grow with the patient's history: each section is one query (two
where the selector prefetches), and each list is cut at ``SHEET_LIMIT`` rows so the sheet still
prints on one or two A4 pages; ``more_*`` says when the record holds more.

The clinician's sheet and the patient's differ only in what the patient never sees: alerts, private
notes and the "worried it sounds silly" cue. Those are not read at all for the patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from alliance.models import Alert, FitResponse, Goal, GoalStatus, PrivateNote, Question, Setback, Win
from alliance.models.record import OPEN_QUESTION_STATUSES
from alliance.numbers import number
from alliance.selectors.alerts import alerts_for_patient
from alliance.selectors.progress import Point, progress_for_patient
from alliance.selectors.record import (
    goals_for,
    open_fits_for,
    private_notes_for,
    questions_for,
    setbacks_for,
    wins_for,
)
from patients.models import Role, User
from sessions.models import AgendaEntry, AgendaItem, CareSession, HomePlan, SessionRecord
from sessions.selectors import agenda_for_session, home_plan_items, previous_session_for

# The most rows of any one list the sheet shows: enough to prepare, few enough to print on two pages.
SHEET_LIMIT = 6
CHECKIN_LIMIT = 6
GOAL_STATUSES = (GoalStatus.ACTIVE, GoalStatus.PROPOSED, GoalStatus.PAUSED)


@dataclass(frozen=True)
class CheckinRow:
    """One check-in: its alliance total and pain-check average, each with the change from the check-in before
    (None when there was none before, or that part was not answered)."""

    at: datetime
    alliance: Decimal | None
    alliance_change: Decimal | None
    pain: Decimal | None
    pain_change: Decimal | None

    @property
    def alliance_change_words(self) -> str:
        return change_words(self.alliance_change)

    @property
    def pain_change_words(self) -> str:
        return change_words(self.pain_change)


def change_words(change: Decimal | None) -> str:
    """A change in words as well as figures, readable in black and white: "up 3", "down 1.5", "no change"."""
    if change is None:
        return ""
    if number(change) == "0":
        return _("no change")
    if change > 0:
        return _("up %(change)s") % {"change": number(abs(change))}
    return _("down %(change)s") % {"change": number(abs(change))}


@dataclass
class PrepSheet:
    care_session: CareSession
    for_patient: bool
    previous: CareSession | None
    checkins: list[CheckinRow]
    alliance_points: list[Point]
    alliance_range: tuple[Decimal, Decimal]
    pain_range: tuple[Decimal, Decimal]
    questions: list[Question]
    open_fits: list[FitResponse]
    wins_waiting: list[Win]
    setbacks: list[Setback]
    plan: HomePlan | None
    plan_items: list
    goals: list[Goal]
    agenda: list[AgendaItem]
    agreed: list[AgendaEntry]
    last_record: SessionRecord | None
    alerts: list[Alert] = field(default_factory=list)
    private_notes: list[PrivateNote] = field(default_factory=list)
    more: set[str] = field(default_factory=set)

    @property
    def patient(self):
        return self.care_session.patient

    @property
    def since(self) -> datetime | None:
        """Where "since the last session" starts: that session's start, or None if there was none."""
        return self.previous.starts_at if self.previous else None


def _first(rows, name: str, more: set[str], limit: int = SHEET_LIMIT) -> list:
    """The first ``limit`` rows; notes ``name`` in ``more`` when there were others beyond them."""
    rows = list(rows[: limit + 1])
    if len(rows) > limit:
        more.add(name)
    return rows[:limit]


def _changes(points: list[Point]) -> dict[datetime, tuple[Decimal, Decimal | None]]:
    """Each point's value and its change from the point before, by time."""
    out = {}
    for index, point in enumerate(points):
        change = point.value - points[index - 1].value if index else None
        out[point.at] = (point.value, change)
    return out


def _checkin_rows(points_alliance, points_pain, since, more: set[str]) -> tuple[list[CheckinRow], list[Point]]:
    alliance, pain = _changes(points_alliance), _changes(points_pain)
    times = sorted({*alliance, *pain}, reverse=True)
    if since is not None:
        times = [at for at in times if at >= since]
    if len(times) > CHECKIN_LIMIT:
        more.add("checkins")
        times = times[:CHECKIN_LIMIT]
    rows = [
        CheckinRow(
            at=at,
            alliance=alliance.get(at, (None, None))[0],
            alliance_change=alliance.get(at, (None, None))[1],
            pain=pain.get(at, (None, None))[0],
            pain_change=pain.get(at, (None, None))[1],
        )
        for at in times
    ]
    shown = set(times)
    return rows, [point for point in points_alliance if point.at in shown]


def _with_latest_rating(goals: list[Goal]) -> list[Goal]:
    """Set ``latest_rating`` on each goal (None if never rated) from its prefetched ratings."""
    for goal in goals:
        ratings = list(goal.ratings.all())
        goal.latest_rating = ratings[-1] if ratings else None
    return goals


def prep_sheet_for(*, user: User, care_session: CareSession, today: date) -> PrepSheet:
    """The sheet for ``care_session`` (already fetched for ``user`` through ``care_session_get``).

    "Since the last session" runs from the start of the patient's latest session before this one
    that took place; with none, everything so far. Open questions, explanations that don't fit yet
    and wins waiting for a reply are listed however old they are, since they are still open. The
    home plan's practice covers ``sessions.selectors.ADHERENCE_DAYS`` days up to ``today`` (the
    patient's own date). About 20 queries, the same whatever the amount of history.
    """
    patient = care_session.patient
    for_patient = user.role == Role.PATIENT
    previous = previous_session_for(care_session=care_session)
    since = previous.starts_at if previous else None
    more: set[str] = set()

    progress = progress_for_patient(patient=patient, include_clinician=False)
    checkins, alliance_points = _checkin_rows(progress.patient_alliance, progress.pain_total, since, more)

    recent = Q(created_at__gte=since) if since else Q()
    # Replies are not shown on the sheet: no need to read them.
    questions = questions_for(user=user, patient=patient).prefetch_related(None)
    questions = questions.filter(Q(status__in=OPEN_QUESTION_STATUSES) | recent, withdrawn_at__isnull=True)
    wins = wins_for(user=user, patient=patient).filter(
        acknowledged_at__isnull=True, created_by_id=patient.user_id, withdrawn_at__isnull=True
    )
    setbacks = setbacks_for(user=user, patient=patient).filter(recent, withdrawn_at__isnull=True)
    goals = goals_for(user=user, patient=patient).filter(status__in=GOAL_STATUSES, withdrawn_at__isnull=True)
    plan, plan_items = home_plan_items(patient=patient, today=today)
    last = agenda_for_session(care_session=previous) if previous else None

    sheet = PrepSheet(
        care_session=care_session,
        for_patient=for_patient,
        previous=previous,
        checkins=checkins,
        alliance_points=alliance_points,
        alliance_range=progress.alliance_range,
        pain_range=progress.pain_range,
        questions=_first(questions, "questions", more),
        open_fits=_first(open_fits_for(patient=patient).order_by("responded_at", "pk"), "fits", more),
        wins_waiting=_first(wins.order_by("created_at", "pk"), "wins", more),
        setbacks=_first(setbacks, "setbacks", more),
        plan=plan,
        plan_items=plan_items,
        goals=_with_latest_rating(_first(goals, "goals", more)),
        agenda=agenda_for_session(care_session=care_session).active,
        agreed=[entry for entry in last.discussed if entry.agreed] if last else [],
        last_record=last.record if last else None,
        more=more,
    )
    if not for_patient:
        alerts = alerts_for_patient(user=user, patient=patient).select_related(None).filter(resolved_at__isnull=True)
        sheet.alerts = _first(alerts, "alerts", more)
        notes = private_notes_for(user=user, patient=patient).select_related(None).select_related("created_by")
        sheet.private_notes = _first(notes.filter(recent, withdrawn_at__isnull=True), "notes", more)
    return sheet

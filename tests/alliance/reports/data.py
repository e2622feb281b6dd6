"""A small clinic's first quarter of 2025, built by hand so every report figure can be worked out on paper.

Riverside, January to March 2025 (London is on GMT until 30 March, so local time is UTC here):

| patient | clinician | sessions that happened (check-in total · pain)       | other check-ins                   |
|---------|-----------|------------------------------------------------------|-----------------------------------|
| alice   | bob       | 10 Jan (36 · 8), 10 Feb (28 · 6), 10 Mar (32 · 5)    | 20 Dec 2024 (out of range)        |
| frank   | carol     | 15 Jan (20 · 4), 15 Feb (none); 15 Mar cancelled     | 1 Mar, no session (28 · 5)        |
| priya   | bob       | 20 Jan (40, corrected to 36 · 7), 20 Mar (23 · 6.67) |                                   |
| sam     | carol     | 20 Feb (27, one answer of 3 · 6)                     | 31 Mar 23:30 UTC: 1 Apr in London |
| grace   | heidi     | (Northgate: never in Riverside's figures)            |                                   |

Alerts the rules raise (thresholds: total below 28, an answer at or below 4, a drop of 6, a mismatch of 8):
alice 10 Feb drop; frank 15 Jan low total; priya 20 Mar low total and drop; sam 20 Feb low total and
low answer; and a mismatch on alice's 10 Jan session, where bob rated 28 against her 36.
The session's clinician acknowledged them after 2 h (alice's drop, resolved after 26 h), 4 h
(frank's), 1 h (priya's low total, resolved at once), 10 h (sam's low total) and 30 min (the
mismatch); the other two are still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from alliance.models import Alert, AlertKind, CheckIn, Goal, GoalRating, GoalScale, Response
from alliance.selectors.filters import DataFilters
from alliance.services.checkins import checkin_submit, clinician_rating_submit, response_correct
from alliance.services.record import goal_add, goal_rate
from sessions.models import CareSession, SessionStatus
from tests.conftest import Cast
from tests.factories import CareSessionFactory, CareTeamFactory, PatientFactory, UserFactory

START, END = date(2025, 1, 1), date(2025, 3, 31)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def four(a, b=None, c=None, d=None) -> dict:
    b, c, d = (a if x is None else x for x in (b, c, d))
    return {"relationship": a, "goals": b, "approach": c, "overall": d}


def pain(a, b=None, c=None) -> dict:
    b, c = (a if x is None else x for x in (b, c))
    return {"intensity": a, "enjoyment": b, "activity": c}


@dataclass
class Quarter:
    cast: Cast
    priya: object = None
    sam: object = None
    sessions: dict = field(default_factory=dict)
    checkins: dict = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)
    corrected: Response | None = None
    correction: Response | None = None
    goals: dict = field(default_factory=dict)
    ratings: list = field(default_factory=list)

    def filters(self, **overrides) -> DataFilters:
        values = {"clinic": self.cast.riverside, "date_from": START, "date_to": END, **overrides}
        return DataFilters(**values)


def build_quarter(cast: Cast) -> Quarter:
    q = Quarter(cast=cast)
    q.priya = PatientFactory(
        user=UserFactory(email="priya@example.org", full_name="Priya Patel"), clinic=cast.riverside
    )
    q.sam = PatientFactory(user=UserFactory(email="sam@example.org", full_name="Sam Stone"), clinic=cast.riverside)
    CareTeamFactory(patient=q.priya, clinician=cast.bob)
    CareTeamFactory(patient=q.sam, clinician=cast.carol)

    def session(name, patient, clinician, when, status=SessionStatus.DONE, reason=""):
        q.sessions[name] = CareSessionFactory(
            patient=patient, clinician=clinician, starts_at=when, status=status, cancelled_reason=reason
        )
        return q.sessions[name]

    def checkin(name, patient, care_session, alliance, pain_answers, when, note=""):
        result = checkin_submit(
            patient=patient,
            care_session=care_session,
            alliance_answers=alliance,
            pain_answers=pain_answers,
            note=note,
            submitted_at=when,
        )
        q.checkins[name] = result.checkin
        return result.checkin

    c = cast
    # Out of range, before: alice's standalone check-in in December.
    checkin("alice-dec", c.alice, None, four(8), {}, at(12, 20, year=2024))
    s = session("alice-jan", c.alice, c.bob, at(1, 10))
    checkin("alice-jan", c.alice, s, four(9), pain(8), at(1, 10, 8))
    clinician_rating_submit(clinician=c.bob, care_session=s, answers=four(7), submitted_at=at(1, 10, 12))
    s = session("alice-feb", c.alice, c.bob, at(2, 10))
    checkin("alice-feb", c.alice, s, four(7), pain(6), at(2, 10, 8), note="Can we talk about sleep?")
    s = session("alice-mar", c.alice, c.bob, at(3, 10))
    checkin("alice-mar", c.alice, s, four(8), pain(5), at(3, 10, 8))
    session("alice-apr", c.alice, c.bob, at(4, 10))  # after the range

    s = session("frank-jan", c.frank, c.carol, at(1, 15))
    checkin("frank-jan", c.frank, s, four(5), pain(4), at(1, 15, 8))
    session("frank-feb", c.frank, c.carol, at(2, 15))  # happened, no check-in
    session("frank-mar", c.frank, c.carol, at(3, 15), status=SessionStatus.CANCELLED, reason="Clinic closed, snow")
    checkin("frank-standalone", c.frank, None, four(7), pain(5), at(3, 1, 9))

    s = session("priya-jan", q.priya, c.bob, at(1, 20))
    checkin("priya-jan", q.priya, s, four(10), pain(7), at(1, 20, 8))
    s = session("priya-mar", q.priya, c.bob, at(3, 20))
    checkin("priya-mar", q.priya, s, four(6, 6, 6, 5), pain(7, 7, 6), at(3, 20, 8))
    # priya corrects her January answers from 40 to 36; the correction keeps January's date.
    q.corrected = q.checkins["priya-jan"].alliance_response
    q.correction, _ = response_correct(original=q.corrected, by=q.priya.user, answers=four(9))
    Response.objects.filter(pk=q.correction.pk).update(submitted_at=at(1, 20, 9))
    q.correction.refresh_from_db()

    s = session("sam-feb", q.sam, c.carol, at(2, 20))
    checkin("sam-feb", q.sam, s, four(3, 8, 8, 8), pain(6), at(2, 20, 8))
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time began on 30 March).
    checkin("sam-after", q.sam, None, four(10), {}, at(3, 31, 23, 30))

    # Northgate's patient, whom Riverside's figures must never include.
    s = session("grace-feb", c.grace, c.heidi, at(2, 1))
    checkin("grace-feb", c.grace, s, four(2), pain(9), at(2, 1, 8))

    def alert(name, session_name, kind):
        q.alerts[name] = Alert.objects.get(care_session=q.sessions[session_name], kind=kind)
        return q.alerts[name]

    def handle(name, session_name, kind, *, acknowledged=None, resolved=None):
        found = alert(name, session_name, kind)
        clinician = q.sessions[session_name].clinician.user
        changes = {}
        if acknowledged is not None:
            changes.update(
                acknowledged_at=found.raised_at + acknowledged, acknowledged_by=clinician, acknowledge_note="Seen"
            )
        if resolved is not None:
            changes.update(resolved_at=found.raised_at + resolved, resolved_by=clinician, resolve_note="We talked")
        Alert.objects.filter(pk=found.pk).update(**changes)
        found.refresh_from_db()

    handle("alice-drop", "alice-feb", AlertKind.DROP, acknowledged=timedelta(hours=2), resolved=timedelta(hours=26))
    handle("frank-low", "frank-jan", AlertKind.LOW_TOTAL, acknowledged=timedelta(hours=4))
    handle("priya-low", "priya-mar", AlertKind.LOW_TOTAL, acknowledged=timedelta(hours=1), resolved=timedelta(hours=1))
    handle("priya-drop", "priya-mar", AlertKind.DROP)
    handle("sam-low", "sam-feb", AlertKind.LOW_TOTAL, acknowledged=timedelta(hours=10))
    handle("sam-item", "sam-feb", AlertKind.LOW_ITEM)
    handle("mismatch", "alice-jan", AlertKind.MISMATCH, acknowledged=timedelta(minutes=30))

    # Goals: alice's own, rated twice in the quarter (and once after it); one carol suggested to
    # frank; priya's from after the quarter; and one sam withdrew before it began.
    def goal(name, patient, by, text, created, **kwargs):
        made = goal_add(patient=patient, by=by, text=text, **kwargs)
        Goal.objects.filter(pk=made.pk).update(created_at=created, agreed_at=created if made.agreed_at else None)
        made.refresh_from_db()
        q.goals[name] = made
        return made

    def rate(goal_name, by, value, when, note=""):
        rating = goal_rate(goal=q.goals[goal_name], by=by, value=value, note=note)
        GoalRating.objects.filter(pk=rating.pk).update(rated_at=when)
        rating.refresh_from_db()
        q.ratings.append(rating)

    goal("alice", c.alice, c.alice.user, "Walk to the shops without stopping", at(1, 5), why="So I can see my friends")
    rate("alice", c.alice.user, 3, at(1, 12), note="Got halfway")
    rate("alice", c.bob.user, 6, at(3, 1))
    rate("alice", c.alice.user, 8, at(4, 2))
    goal("frank", c.frank, c.carol.user, "Sleep through the night", at(2, 1), scale=GoalScale.GAS)
    goal("priya", q.priya, q.priya.user, "Swim again", at(5, 1))
    goal("sam", q.sam, q.sam.user, "Garden", at(11, 1, year=2024))
    Goal.objects.filter(pk=q.goals["sam"].pk).update(withdrawn_at=at(12, 1, year=2024), withdrawn_by=q.sam.user)
    return q


def riverside_alerts_in_range() -> int:
    return Alert.objects.filter(patient__clinic__name="Riverside Pain Service", raised_at__year=2025).count()


__all__ = ["END", "START", "CareSession", "CheckIn", "Quarter", "at", "build_quarter", "four", "pain"]

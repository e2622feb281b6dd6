"""Reads of appointments, scoped to the person asking (through the patients they may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from patients.models import Patient, Role, User
from patients.selectors import caseload_for_clinician, patients_for_user, scoped_get
from sessions.models import (
    AgendaEntry,
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    CareSession,
    EntryOutcome,
    HomePlan,
    PlanItem,
    PracticeLog,
    PracticeOutcome,
    Reminder,
    ReminderStatus,
    SessionRecord,
    SessionStatus,
    WorthRating,
)


def care_sessions_for_user(*, user: User) -> QuerySet[CareSession]:
    base = CareSession.objects.select_related("patient__user", "clinician__user")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(patient_id=user.patient.pk)
    if role in (Role.CLINICIAN, Role.CLINIC_ADMIN):
        return base.filter(patient__in=patients_for_user(user=user).values("pk"))
    return base.none()


def care_session_get(*, user: User, pk) -> CareSession:
    return scoped_get(care_sessions_for_user(user=user), pk, message="No such session.")


def care_session_get_for_patient(*, patient: Patient, pk) -> CareSession:
    """One of this patient's own appointments, or 404."""
    return scoped_get(CareSession.objects.filter(patient_id=patient.pk), pk, message="No such session.")


def care_sessions_upcoming(*, user: User) -> QuerySet[CareSession]:
    return (
        care_sessions_for_user(user=user)
        .filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())
        .order_by("starts_at")
    )


def care_sessions_past(*, user: User) -> QuerySet[CareSession]:
    """Sessions whose time has come, or that were cancelled, newest first."""
    now = timezone.now()
    return (
        care_sessions_for_user(user=user)
        .exclude(status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .order_by("-starts_at")
    )


def care_sessions_awaiting_outcome(*, user: User) -> QuerySet[CareSession]:
    """Sessions whose time has passed but nobody has said whether they happened."""
    return (
        care_sessions_for_user(user=user)
        .filter(status=SessionStatus.SCHEDULED, starts_at__lte=timezone.now())
        .order_by("starts_at")
    )


def next_session_for_patient(*, patient: Patient) -> CareSession | None:
    return (
        CareSession.objects.filter(patient=patient, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())
        .select_related("clinician__user")
        .order_by("starts_at")
        .first()
    )


def caseload_with_next_session(*, user: User) -> QuerySet[Patient]:
    """A clinician's caseload, each patient annotated with their next appointment's time and id."""
    upcoming = CareSession.objects.filter(
        patient=OuterRef("pk"), status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("starts_at")
    return caseload_for_clinician(user=user).annotate(
        next_session_at=Subquery(upcoming.values("starts_at")[:1]),
        next_session_id=Subquery(upcoming.values("pk")[:1]),
    )


# --- The shared agenda and the session record ------------------------------------------------


# A rough time per item, by where it came from: enough to see whether an agenda fits its appointment,
# not a schedule. A question or a note is usually quick; a setback, a passage of the story, an
# explanation or how the sessions are going takes a real conversation; a decision or a step-back
# review takes longest.
MINUTES_BY_SOURCE = {
    AgendaSource.PATIENT: 5,
    AgendaSource.CLINICIAN: 5,
    AgendaSource.QUESTION: 5,
    AgendaSource.CHECKIN_NOTE: 5,
    AgendaSource.STORY: 10,
    AgendaSource.EXPLANATION: 10,
    AgendaSource.SETBACK: 10,
    AgendaSource.ALERT: 10,
    AgendaSource.DECISION: 15,
    AgendaSource.REVIEW: 15,
}
# Saying hello, the check-in, and agreeing next steps at the end, whatever is on the agenda.
SETTLING_MINUTES = 10


def agenda_item_minutes(item: AgendaItem) -> int:
    """The rough minutes an item takes to talk about (``MINUTES_BY_SOURCE``; items merged into it add none)."""
    return MINUTES_BY_SOURCE.get(item.source, 5)


# What the patient sent when things were hard (a check-in note), what an alert raised, and what they
# see differently in a step-back review are never offered for parking: someone may still park them,
# but the page never suggests it.
NEVER_SUGGEST_PARKING = (AgendaSource.CHECKIN_NOTE, AgendaSource.ALERT)


def agenda_item_never_park(item: AgendaItem) -> bool:
    """Whether ``item`` must never be suggested for parking: from a check-in note, an alert, or a
    step-back review disagreement (``source_ref`` ``review:<pk>:disagree``)."""
    if item.source in NEVER_SUGGEST_PARKING:
        return True
    return item.source == AgendaSource.REVIEW and item.source_ref.endswith(":disagree")


@dataclass(frozen=True)
class AgendaFit:
    """Whether the open items fit the appointment: minutes needed (with ``SETTLING_MINUTES``) and
    available (its length), and, when they don't fit, the items the viewer might park to make them
    fit: from the bottom of the agreed order up, only items the viewer may park (the patient: their
    own), never those ``agenda_item_never_park`` protects. Only ever a suggestion: nothing is
    parked unless someone presses the button."""

    minutes_needed: int
    minutes_available: int
    suggestions: list[AgendaItem]

    @property
    def fits(self) -> bool:
        return self.minutes_needed <= self.minutes_available

    @property
    def over_by(self) -> int:
        return max(0, self.minutes_needed - self.minutes_available)


def agenda_fit(*, care_session: CareSession, items: list[AgendaItem]) -> AgendaFit:
    """``items`` carry ``may_settle`` (as ``agenda_for_session`` sets it for the person looking)."""
    needed = SETTLING_MINUTES + sum(agenda_item_minutes(item) for item in items)
    available = care_session.duration_minutes
    suggestions: list[AgendaItem] = []
    if needed > available:
        remaining = needed
        for item in (item for item in reversed(items) if item.may_settle and not agenda_item_never_park(item)):
            if remaining <= available:
                break
            suggestions.append(item)
            remaining -= agenda_item_minutes(item)
    return AgendaFit(minutes_needed=needed, minutes_available=available, suggestions=suggestions)


@dataclass(frozen=True)
class SessionAgenda:
    """Everything the agenda page shows for one session, read in a fixed number of queries.

    ``active`` are the open items in order, ``answered`` those marked answered already; each carries
    ``merged`` (the items marked "same as" it), ``is_patients`` (the patient raised it), ``may_settle``
    (the person looking may mark it answered, same as, or park it) and ``minutes``. ``parked`` is the
    patient's parked list (when asked for); ``parked_here`` and ``discussed`` are this session's entries.
    """

    active: list[AgendaItem]
    answered: list[AgendaItem]
    parked: list[AgendaItem]
    parked_here: list[AgendaEntry]
    discussed: list[AgendaEntry]
    record: SessionRecord | None
    fit: AgendaFit


def agenda_for_session(
    *, care_session: CareSession, viewer: User | None = None, with_parked: bool = False
) -> SessionAgenda:
    """The agenda of ``care_session`` as ``viewer`` sees it (someone the session's selector let in).

    The clinician may settle every item; the patient only their own. ``parked`` is read only
    ``with_parked`` (the agenda page shows it; a summary of the agenda need not).
    """
    clinician_view = viewer is not None and viewer.role == Role.CLINICIAN

    def mark(item: AgendaItem) -> AgendaItem:
        patient_user_id = item.patient.user_id
        item.is_patients = item.raised_by_id is not None and item.raised_by_id == patient_user_id
        item.may_settle = clinician_view or (viewer is not None and viewer.pk == patient_user_id and item.is_patients)
        item.minutes = agenda_item_minutes(item)
        item.merged = []
        return item

    on_session = [
        mark(item)
        for item in AgendaItem.objects.filter(
            care_session=care_session, status__in=(AgendaStatus.OPEN, AgendaStatus.ANSWERED)
        )
        .select_related("raised_by", "parked_from", "marked_by", "patient")
        .order_by("position", "created_at", "pk")
    ]
    parked = (
        [
            mark(item)
            for item in AgendaItem.objects.filter(patient_id=care_session.patient_id, status=AgendaStatus.PARKED)
            .select_related("raised_by", "parked_from", "marked_by", "patient")
            .order_by("-marked_at", "-pk")
        ]
        if with_parked
        else []
    )
    entries = list(
        AgendaEntry.objects.filter(care_session=care_session)
        .select_related("agenda_item__raised_by", "agenda_item__care_session", "agenda_item__patient")
        .order_by("agenda_item__position", "pk")
    )
    hosts = {item.pk: item for item in on_session}
    for entry in entries:
        hosts.setdefault(entry.agenda_item_id, mark(entry.agenda_item))
    for child in (
        AgendaItem.objects.filter(merged_into__in=list(hosts), status=AgendaStatus.MERGED)
        .select_related("raised_by", "marked_by")
        .order_by("created_at", "pk")
    ):
        hosts[child.merged_into_id].merged.append(child)
    record = SessionRecord.objects.filter(care_session=care_session).select_related("written_by").first()
    active = [item for item in on_session if item.status == AgendaStatus.OPEN]
    return SessionAgenda(
        active=active,
        answered=[item for item in on_session if item.status == AgendaStatus.ANSWERED],
        parked=parked,
        parked_here=[e for e in entries if e.outcome == EntryOutcome.PARKED],
        discussed=[e for e in entries if e.outcome == EntryOutcome.DISCUSSED],
        record=record,
        fit=agenda_fit(care_session=care_session, items=active),
    )


def agenda_items_for_user(*, user: User) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(patient__in=patients_for_user(user=user).values("pk")).select_related(
        "patient__user", "care_session"
    )


def agenda_item_get(*, user: User, pk) -> AgendaItem:
    return scoped_get(agenda_items_for_user(user=user), pk, message="No such agenda item.")


def agenda_waiting_for_patient(*, patient: Patient) -> list[AgendaItem]:
    """Items waiting for a session to be booked (parked items wait in the parked list instead)."""
    return list(
        AgendaItem.objects.filter(patient=patient, care_session__isnull=True, status=AgendaStatus.OPEN)
        .select_related("raised_by", "parked_from")
        .order_by("created_at", "pk")
    )


def previous_session_for(*, care_session: CareSession) -> CareSession | None:
    """The patient's latest session before ``care_session`` that took place ("done"), or None."""
    return (
        CareSession.objects.filter(
            patient_id=care_session.patient_id, status=SessionStatus.DONE, starts_at__lt=care_session.starts_at
        )
        .select_related("clinician__user")
        .order_by("-starts_at", "-pk")
        .first()
    )


def latest_record_for_patient(*, patient: Patient) -> SessionRecord | None:
    """The record of the patient's latest session that took place, with that session (for the home)."""
    return (
        SessionRecord.objects.filter(care_session__patient=patient, care_session__status=SessionStatus.DONE)
        .select_related("care_session")
        .order_by("-care_session__starts_at")
        .first()
    )


# --- Home plans ------------------------------------------------------------------------------

ADHERENCE_DAYS = 14


def _count_logs(patient: Patient, since: date, outcome: str | None):
    logs = PracticeLog.objects.filter(patient=patient, lineage=OuterRef("lineage"), day__gte=since)
    if outcome is not None:
        logs = logs.filter(outcome=outcome)
    return Coalesce(
        Subquery(logs.order_by().values("lineage").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
    )


def home_plan_items(*, patient: Patient, today: date, days: int = ADHERENCE_DAYS) -> tuple[HomePlan | None, list]:
    """The current plan's items, each with its latest "worth trying" score, today's log, and the
    last ``days`` days of practice (done / partly / not today), in one query for the items."""
    plan = HomePlan.objects.filter(patient=patient).select_related("created_by").order_by("-version").first()
    if plan is None:
        return None, []
    since = today - timedelta(days=days - 1)
    latest_rating = WorthRating.objects.filter(patient=patient, lineage=OuterRef("lineage")).order_by(
        "-rated_at", "-pk"
    )
    today_log = PracticeLog.objects.filter(patient=patient, lineage=OuterRef("lineage"), day=today)
    first_seen = PlanItem.objects.filter(plan__patient=patient, lineage=OuterRef("lineage")).order_by(
        "plan__created_at"
    )
    items = list(
        plan.items.annotate(
            worth=Subquery(latest_rating.values("score")[:1]),
            worth_at=Subquery(latest_rating.values("rated_at")[:1]),
            today_outcome=Subquery(today_log.values("outcome")[:1]),
            today_note=Subquery(today_log.values("note")[:1]),
            first_seen=Subquery(first_seen.values("plan__created_at")[:1]),
            done=_count_logs(patient, since, PracticeOutcome.DONE),
            partly=_count_logs(patient, since, PracticeOutcome.PARTLY),
            not_today=_count_logs(patient, since, PracticeOutcome.NOT_TODAY),
        ).order_by("position", "pk")
    )
    tz = patient.user.tzinfo
    for item in items:
        started = item.first_seen.astimezone(tz).date() if item.first_seen else today
        item.window_days = max(1, min(days, (today - started).days + 1))
        item.logged = item.done + item.partly + item.not_today
        item.today_label = PracticeOutcome(item.today_outcome).label if item.today_outcome else ""
    return plan, items


def home_plan_today(*, patient: Patient, today: date) -> list[PlanItem]:
    """The current plan's items for the patient's home page, each with how today's practice went
    (``today_label``, empty if not logged yet): one query. The plan page has the fuller picture."""
    current = HomePlan.objects.filter(patient=patient).order_by("-version").values("pk")[:1]
    today_log = PracticeLog.objects.filter(patient=patient, lineage=OuterRef("lineage"), day=today)
    items = list(
        PlanItem.objects.filter(plan=Subquery(current))
        .annotate(today_outcome=Subquery(today_log.values("outcome")[:1]))
        .order_by("position", "pk")
    )
    for item in items:
        item.today_label = PracticeOutcome(item.today_outcome).label if item.today_outcome else ""
    return items


def practice_notes_recent(*, patient: Patient, limit: int = 10) -> list[PracticeLog]:
    """What the patient said about how practice felt, newest first."""
    return list(
        PracticeLog.objects.filter(patient=patient)
        .exclude(note="")
        .select_related("item")
        .order_by("-day", "-logged_at")[:limit]
    )


def home_plan_versions(*, patient: Patient) -> list[HomePlan]:
    return list(
        HomePlan.objects.filter(patient=patient)
        .select_related("created_by", "care_session")
        .prefetch_related("items")
        .order_by("-version")
    )


def plan_item_get(*, user: User, pk) -> PlanItem:
    items = PlanItem.objects.select_related("plan__patient__user").filter(
        plan__patient__in=patients_for_user(user=user).values("pk")
    )
    return scoped_get(items, pk, message="No such plan item.")


# --- Reminders -------------------------------------------------------------------------------


def reminders_for_recipient(*, user: User) -> QuerySet[Reminder]:
    return Reminder.objects.filter(recipient=user).exclude(status=ReminderStatus.PENDING).order_by("-due_at", "-pk")


def reminders_for_clinic(*, user: User) -> QuerySet[Reminder]:
    """Every reminder sent to (or skipped for) people in a clinic admin's clinic."""
    if user.role != Role.CLINIC_ADMIN:
        return Reminder.objects.none()
    clinic_id = user.clinic_admin.clinic_id
    return (
        Reminder.objects.filter(
            Q(recipient__patient__clinic_id=clinic_id)
            | Q(recipient__clinician__clinic_id=clinic_id)
            | Q(recipient__clinic_admin__clinic_id=clinic_id)
        )
        .select_related("recipient")
        .order_by("-due_at", "-pk")
    )

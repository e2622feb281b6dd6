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


@dataclass(frozen=True)
class SessionAgenda:
    """Everything the agenda page shows for one session, read in a fixed number of queries."""

    active: list[AgendaItem]
    parked_here: list[AgendaEntry]
    discussed: list[AgendaEntry]
    record: SessionRecord | None


def agenda_for_session(*, care_session: CareSession) -> SessionAgenda:
    active = list(
        AgendaItem.objects.filter(care_session=care_session, status__in=(AgendaStatus.OPEN, AgendaStatus.PARKED))
        .select_related("raised_by", "parked_from")
        .order_by("position", "created_at", "pk")
    )
    entries = list(
        AgendaEntry.objects.filter(care_session=care_session)
        .select_related("agenda_item__raised_by", "agenda_item__care_session")
        .order_by("agenda_item__position", "pk")
    )
    record = SessionRecord.objects.filter(care_session=care_session).select_related("written_by").first()
    return SessionAgenda(
        active=active,
        parked_here=[e for e in entries if e.outcome == EntryOutcome.PARKED],
        discussed=[e for e in entries if e.outcome == EntryOutcome.DISCUSSED],
        record=record,
    )


def agenda_items_for_user(*, user: User) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(patient__in=patients_for_user(user=user).values("pk")).select_related(
        "patient__user", "care_session"
    )


def agenda_item_get(*, user: User, pk) -> AgendaItem:
    return scoped_get(agenda_items_for_user(user=user), pk, message="No such agenda item.")


def agenda_waiting_for_patient(*, patient: Patient) -> list[AgendaItem]:
    """Items waiting for a session to be booked."""
    return list(
        AgendaItem.objects.filter(
            patient=patient, care_session__isnull=True, status__in=(AgendaStatus.OPEN, AgendaStatus.PARKED)
        )
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

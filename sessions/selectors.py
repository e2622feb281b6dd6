"""Reads of appointments, scoped to the person asking (through the patients they may see)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from patients.models import Patient, Role, User
from patients.selectors import caseload_for_clinician, patients_for_user
from sessions.models import CareSession, SessionStatus


def care_sessions_for_user(*, user: User) -> QuerySet[CareSession]:
    base = CareSession.objects.select_related("patient__user", "clinician__user")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(patient_id=user.patient.pk)
    if role in (Role.CLINICIAN, Role.CLINIC_ADMIN):
        return base.filter(patient__in=patients_for_user(user=user).values("pk"))
    return base.none()


def care_session_get(*, user: User, pk) -> CareSession:
    try:
        return care_sessions_for_user(user=user).get(pk=pk)
    except (CareSession.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session.") from None


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

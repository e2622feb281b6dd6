"""Reads for check-ins and clinicians' ratings. Everything goes through the patient selector."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from alliance.models import CheckIn, Respondent, Response
from patients.models import Patient, Role, User
from patients.selectors import patients_for_user
from sessions.models import CareSession, SessionStatus


def checkin_target_session(*, patient: Patient) -> CareSession | None:
    """The appointment a check-in now belongs to, or None (the check-in then stands on its own).

    The patient's next scheduled appointment; failing that, the latest one that started within the
    last day and has no check-in yet, so a patient can still check in straight after a session.
    Each carries ``has_checkin`` and its clinician's name.
    """
    now = timezone.now()
    sessions = (
        CareSession.objects.filter(patient=patient)
        .select_related("clinician__user")
        .annotate(has_checkin=Exists(CheckIn.objects.filter(care_session=OuterRef("pk"))))
    )
    upcoming = sessions.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now).order_by("starts_at").first()
    if upcoming is not None:
        return upcoming
    return (
        sessions.filter(
            status__in=(SessionStatus.SCHEDULED, SessionStatus.DONE),
            starts_at__gt=now - timedelta(days=1),
            starts_at__lte=now,
            has_checkin=False,
        )
        .order_by("-starts_at")
        .first()
    )


def checkin_for_session(*, patient: Patient, care_session: CareSession | None) -> CheckIn | None:
    if care_session is None or getattr(care_session, "has_checkin", True) is False:
        return None
    return CheckIn.objects.filter(patient=patient, care_session_id=care_session.pk).first()


def checkin_get(*, user: User, pk) -> CheckIn:
    try:
        return (
            CheckIn.objects.filter(patient__in=patients_for_user(user=user).values("pk"))
            .select_related("care_session__clinician__user", "alliance_response", "pain_response")
            .get(pk=pk)
        )
    except (CheckIn.DoesNotExist, ValueError, TypeError):
        raise Http404("No such check-in.") from None


def sessions_to_rate(*, user: User, days: int = 14) -> QuerySet[CareSession]:
    """The clinician's own recent sessions that they have not rated yet."""
    if user.role != Role.CLINICIAN:
        return CareSession.objects.none()
    now = timezone.now()
    rated = Response.objects.filter(care_session=OuterRef("pk"), respondent=user, respondent_role=Respondent.CLINICIAN)
    return (
        CareSession.objects.filter(
            clinician=user.clinician,
            patient__in=patients_for_user(user=user).values("pk"),
            status__in=(SessionStatus.SCHEDULED, SessionStatus.DONE),
            starts_at__lte=now,
            starts_at__gt=now - timedelta(days=days),
        )
        .exclude(Q(pk__in=rated.values("care_session")))
        .select_related("patient__user")
        .order_by("-starts_at")
    )

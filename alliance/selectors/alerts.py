"""Reads for alerts, only ever for the clinicians on the patient's care team."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from django.db.models import BooleanField, Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from alliance.models import Alert, Purpose, Respondent, Response
from patients.models import Clinic, Patient, Role, User
from patients.selectors import patients_for_user


def alerts_overdue_cutoff(*, clinic: Clinic, zone: tzinfo, now: datetime | None = None) -> datetime:
    """Alerts raised before this moment, and neither acknowledged nor resolved, are overdue.

    Counted in whole days in the clinician's zone: with ``clinic.alert_overdue_days`` of 2, an alert
    raised on Monday is overdue from the start of Wednesday. So being overdue only ever changes at
    midnight, and a page kept for the day (the caseload's cache) is never wrong about it.
    """
    local = timezone.localtime(now or timezone.now(), zone)
    start_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_today - timedelta(days=clinic.alert_overdue_days - 1)


def alerts_overdue(alerts: QuerySet[Alert], *, cutoff: datetime) -> QuerySet[Alert]:
    """Of ``alerts``, those nobody has acknowledged or resolved and raised before ``cutoff``."""
    return alerts.filter(resolved_at__isnull=True, acknowledged_at__isnull=True, raised_at__lt=cutoff)


def alerts_for_user(*, user: User) -> QuerySet[Alert]:
    """Alerts about the patients this clinician cares for. Patients and admins get none."""
    if user.role != Role.CLINICIAN:
        return Alert.objects.none()
    return Alert.objects.filter(patient__in=patients_for_user(user=user).values("pk")).select_related(
        "patient__user", "care_session", "acknowledged_by", "resolved_by"
    )


def alert_get(*, user: User, pk) -> Alert:
    try:
        return alerts_for_user(user=user).get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise Http404("No such alert.") from None


def alerts_open_for_user(*, user: User) -> QuerySet[Alert]:
    """This clinician's unresolved alerts, overdue ones first (oldest first), then the rest as before.

    Each row carries ``is_overdue`` (bool), by the same rule as the caseload (``alerts_overdue``):
    not acknowledged nor resolved, raised before ``alerts_overdue_cutoff`` in the clinician's zone.
    """
    alerts = alerts_for_user(user=user).filter(resolved_at__isnull=True)
    if user.role != Role.CLINICIAN:
        return alerts
    cutoff = alerts_overdue_cutoff(clinic=user.clinician.clinic, zone=user.tzinfo)
    overdue = Q(acknowledged_at__isnull=True, raised_at__lt=cutoff)
    return alerts.annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
    ).order_by(
        "-is_overdue",
        Case(When(overdue, then=F("raised_at"))).asc(nulls_last=True),
        "acknowledged_at",
        "-raised_at",
    )


def caseload_annotate_alliance(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Add each patient's open alert count and their latest alliance total to a caseload."""
    open_alerts = (
        Alert.objects.filter(patient=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    latest_alliance = Response.objects.filter(
        patient=OuterRef("pk"),
        respondent_role=Respondent.PATIENT,
        instrument__purpose=Purpose.ALLIANCE,
        superseded_by__isnull=True,
    ).order_by("-submitted_at")
    return patients.annotate(
        open_alerts=Coalesce(Subquery(open_alerts, output_field=IntegerField()), 0),
        latest_alliance_total=Subquery(latest_alliance.values("total")[:1]),
        latest_alliance_at=Subquery(latest_alliance.values("submitted_at")[:1]),
    )


def alerts_for_patient(*, user: User, patient: Patient) -> QuerySet[Alert]:
    return alerts_for_user(user=user).filter(patient=patient).order_by("-raised_at")

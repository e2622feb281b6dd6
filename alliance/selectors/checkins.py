"""Reads for check-ins, ratings, alerts and progress. Everything goes through the patient selector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from alliance.models import Alert, Answer, CheckIn, Instrument, InstrumentVersion, Purpose, Respondent, Response
from patients.models import Patient, Role, User
from patients.selectors import patients_for_user
from sessions.models import CareSession, SessionStatus


@dataclass(frozen=True)
class CheckInTarget:
    """The appointment a check-in is for, with only what the check-in pages show."""

    pk: int
    starts_at: datetime
    clinician_name: str
    has_checkin: bool

    @property
    def clinician_short_name(self) -> str:
        return self.clinician_name.split(" ")[0]

    @classmethod
    def from_session(cls, care_session: CareSession) -> CheckInTarget:
        return cls(care_session.pk, care_session.starts_at, care_session.clinician.user.full_name, False)


# Written out because building it through the ORM took longer than running it. Table names are
# the models' own (tests/alliance/test_checkin_target.py runs it on every database we support).
TARGET_SQL = """
    SELECT s.id, s.starts_at, s.status, u.full_name AS clinician_name,
           EXISTS (SELECT 1 FROM alliance_checkin c WHERE c.care_session_id = s.id) AS has_checkin
    FROM care_sessions_caresession s
    JOIN patients_clinician cl ON cl.id = s.clinician_id
    JOIN patients_user u ON u.id = cl.user_id
    WHERE s.patient_id = %s AND s.status IN (%s, %s) AND s.starts_at > %s
    ORDER BY s.starts_at
    LIMIT 20
"""


def checkin_target_session(*, patient: Patient) -> CheckInTarget | None:
    """The appointment a check-in now belongs to: the next one, else one that started in the last day.

    This runs on every visit to the patient's home and check-in pages, the pages patients open
    most (bench/checkin.py), so it is one plain query.
    """
    now = timezone.now()
    rows = CareSession.objects.raw(
        TARGET_SQL, [patient.pk, SessionStatus.SCHEDULED, SessionStatus.DONE, now - timedelta(days=1)]
    )
    candidates = [
        (row.status, CheckInTarget(row.pk, row.starts_at, row.clinician_name, bool(row.has_checkin))) for row in rows
    ]
    upcoming = [t for status, t in candidates if t.starts_at > now and status == SessionStatus.SCHEDULED]
    if upcoming:
        return upcoming[0]
    recent = [t for _, t in candidates if t.starts_at <= now and not t.has_checkin]
    return recent[-1] if recent else None


def checkin_for_session(*, patient: Patient, care_session: CareSession | CheckInTarget | None) -> CheckIn | None:
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
    return alerts_for_user(user=user).filter(resolved_at__isnull=True).order_by("acknowledged_at", "-raised_at")


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


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal
    care_session_id: int | None = None


@dataclass(frozen=True)
class ItemSeries:
    key: str
    text: str
    points: list[Point]


@dataclass(frozen=True)
class Progress:
    patient_alliance: list[Point]
    clinician_alliance: list[Point]
    pain_total: list[Point]
    pain_items: list[ItemSeries]
    alliance_range: tuple[Decimal, Decimal]
    pain_range: tuple[Decimal, Decimal]
    alliance_threshold: Decimal | None


def progress_for_patient(*, patient: Patient, include_clinician: bool) -> Progress:
    """All of a patient's alliance and pain-check scores, oldest first, in a fixed number of queries."""
    from alliance.scoring import total_range

    responses = list(
        Response.objects.filter(patient=patient, superseded_by__isnull=True)
        .filter(instrument__purpose__in=(Purpose.ALLIANCE, Purpose.PAIN))
        .select_related("version", "instrument")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("pk")))
        .order_by("submitted_at", "pk")
    )
    patient_alliance, clinician_alliance, pain_total = [], [], []
    pain_item_points: dict[str, list[Point]] = {}
    pain_item_text: dict[str, str] = {}
    alliance_range = (Decimal(0), Decimal(40))
    pain_range = (Decimal(0), Decimal(10))
    threshold = None
    for response in responses:
        if response.total is None:
            continue
        point = Point(response.submitted_at, response.total, response.care_session_id)
        definition = response.version.definition
        if response.instrument.purpose == Purpose.ALLIANCE:
            if response.respondent_role == Respondent.PATIENT:
                patient_alliance.append(point)
                alliance_range = total_range(definition)
                threshold = definition.get("thresholds", {}).get("total_below", threshold)
            elif include_clinician:
                clinician_alliance.append(point)
        elif response.respondent_role == Respondent.PATIENT:
            pain_total.append(point)
            pain_range = total_range(definition)
            for item in definition["items"]:
                pain_item_text[item["key"]] = item.get("label") or item["text"]
            for answer in response.answers.all():
                if answer.value is not None:
                    pain_item_points.setdefault(answer.item_key, []).append(
                        Point(response.submitted_at, Decimal(answer.value), response.care_session_id)
                    )
    return Progress(
        patient_alliance=patient_alliance,
        clinician_alliance=clinician_alliance,
        pain_total=pain_total,
        pain_items=[ItemSeries(key, pain_item_text.get(key, key), pts) for key, pts in pain_item_points.items()],
        alliance_range=alliance_range,
        pain_range=pain_range,
        alliance_threshold=Decimal(str(threshold)) if threshold is not None else None,
    )


def alerts_for_patient(*, user: User, patient: Patient) -> QuerySet[Alert]:
    return alerts_for_user(user=user).filter(patient=patient).order_by("-raised_at")


def instruments_for_admin(*, user: User) -> QuerySet[Instrument]:
    if user.role != Role.CLINIC_ADMIN:
        return Instrument.objects.none()
    clinic_id = user.clinic_admin.clinic_id
    latest = Subquery(
        InstrumentVersion.objects.filter(instrument=OuterRef("pk")).order_by("-number").values("number")[:1]
    )
    return (
        Instrument.objects.filter(Q(clinic_id=clinic_id) | Q(clinic__isnull=True))
        .annotate(
            latest_version=latest, responses_count=Count("responses", filter=Q(responses__patient__clinic_id=clinic_id))
        )
        .order_by("clinic_id", "name")
    )


def instrument_get_for_admin(*, user: User, pk) -> Instrument:
    try:
        return instruments_for_admin(user=user).get(pk=pk)
    except (Instrument.DoesNotExist, ValueError, TypeError):
        raise Http404("No such instrument.") from None

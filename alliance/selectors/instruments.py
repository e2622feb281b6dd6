"""Which questionnaires a clinic uses now, and the clinic admin's list of them."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from alliance.instruments import builtin_sync
from alliance.models import Instrument, InstrumentVersion
from patients.models import Clinic, Role, User


def instruments_current(*, clinic: Clinic, respondent: str, purposes: tuple[str, ...]) -> dict[str, InstrumentVersion]:
    """For each purpose, the version a new response is given on: the clinic's own active one, else ours.

    One query: PostgreSQL's ``DISTINCT ON (purpose)`` keeps the first row of each purpose in this
    order: a clinic's own instrument before the built-in one, then its newest version.
    Raises ``LookupError`` when a purpose has no instrument at all.
    """
    chosen = {
        version.instrument.purpose: version
        for version in InstrumentVersion.objects.filter(
            instrument__purpose__in=purposes, instrument__respondent=respondent, instrument__is_active=True
        )
        .filter(Q(instrument__clinic=clinic) | Q(instrument__clinic__isnull=True))
        .select_related("instrument")
        .order_by("instrument__purpose", F("instrument__clinic_id").desc(nulls_last=True), "instrument_id", "-number")
        .distinct("instrument__purpose")
    }
    missing = [purpose for purpose in purposes if purpose not in chosen]
    if missing and builtin_sync(Instrument, InstrumentVersion):
        # Our own questionnaires were missing (a flushed database): load them once, then look again.
        return instruments_current(clinic=clinic, respondent=respondent, purposes=purposes)
    if missing:
        raise LookupError(f"No {', '.join(missing)} instrument for {respondent}s.")
    return chosen


def instrument_current(*, clinic: Clinic, purpose: str, respondent: str) -> InstrumentVersion:
    return instruments_current(clinic=clinic, respondent=respondent, purposes=(purpose,))[purpose]


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

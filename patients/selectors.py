"""Reads, always scoped to the person asking.

Every view reaches people through these functions. Something outside the requester's reach
raises ``Http404``, exactly as something that does not exist, so nothing leaks by status code.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from patients.models import CareTeamMembership, Clinician, Invitation, Patient, Role, User


def patients_for_user(*, user: User) -> QuerySet[Patient]:
    """The patients this person may see: themself, their caseload, or their clinic."""
    base = Patient.objects.select_related("user", "clinic")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(pk=user.patient.pk)
    if role == Role.CLINICIAN:
        clinician = user.clinician
        return base.filter(clinic_id=clinician.clinic_id, care_team__clinician=clinician)
    if role == Role.CLINIC_ADMIN:
        return base.filter(clinic_id=user.clinic_admin.clinic_id)
    return base.none()


def patient_get(*, user: User, pk) -> Patient:
    try:
        return patients_for_user(user=user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None


def caseload_for_clinician(*, user: User) -> QuerySet[Patient]:
    """A clinician's active caseload, each patient with the names of their care team."""
    return (
        patients_for_user(user=user)
        .filter(user__is_active=True)
        .prefetch_related(Prefetch("care_team", queryset=CareTeamMembership.objects.select_related("clinician__user")))
        .order_by("user__full_name")
    )


def clinicians_for_user(*, user: User) -> QuerySet[Clinician]:
    """Clinicians this person may see: their care team, their colleagues, or their clinic's."""
    base = Clinician.objects.select_related("user", "clinic")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(care_team_memberships__patient=user.patient)
    if role == Role.CLINICIAN:
        return base.filter(clinic_id=user.clinician.clinic_id)
    if role == Role.CLINIC_ADMIN:
        return base.filter(clinic_id=user.clinic_admin.clinic_id)
    return base.none()


def clinician_get(*, user: User, pk) -> Clinician:
    try:
        return clinicians_for_user(user=user).get(pk=pk)
    except (Clinician.DoesNotExist, ValueError, TypeError):
        raise Http404("No such clinician.") from None


def people_for_admin(*, user: User) -> QuerySet[User]:
    """Everyone in a clinic admin's clinic, with their profile and invitation state."""
    if user.role != Role.CLINIC_ADMIN:
        return User.objects.none()
    clinic_id = user.clinic_admin.clinic_id
    open_invitation = Invitation.objects.filter(user=OuterRef("pk"), accepted_at__isnull=True, revoked_at__isnull=True)
    return (
        User.objects.filter(
            Q(patient__clinic_id=clinic_id) | Q(clinician__clinic_id=clinic_id) | Q(clinic_admin__clinic_id=clinic_id)
        )
        .select_related("patient", "clinician", "clinic_admin")
        .annotate(
            has_open_invitation=Exists(open_invitation),
            care_team_size=Count("patient__care_team", distinct=True),
            caseload_size=Count("clinician__care_team_memberships", distinct=True),
        )
        .order_by("full_name", "email")
    )


def person_get_for_admin(*, user: User, pk) -> User:
    try:
        return people_for_admin(user=user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None


def care_team_for_patient(*, patient: Patient) -> QuerySet[CareTeamMembership]:
    return (
        CareTeamMembership.objects.filter(patient=patient)
        .select_related("clinician__user")
        .order_by("clinician__user__full_name")
    )


def invitation_latest_for(*, person: User) -> Invitation | None:
    return Invitation.objects.filter(user=person).order_by("-created_at").first()

"""Who may take part in a patient's sessions: the patient, and the clinicians on their care team."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from patients.models import CareTeamMembership, Patient, Role, User


def is_on_care_team(*, user: User, patient: Patient) -> bool:
    return (
        user.role == Role.CLINICIAN
        and CareTeamMembership.objects.filter(patient=patient, clinician=user.clinician).exists()
    )


def check_takes_part(*, user: User, patient: Patient) -> None:
    """The patient themself or a clinician on their care team; anyone else is refused."""
    if user.role == Role.PATIENT and user.patient.pk == patient.pk:
        return
    if is_on_care_team(user=user, patient=patient):
        return
    raise PermissionDenied


def check_care_team(*, user: User, patient: Patient) -> None:
    if not is_on_care_team(user=user, patient=patient):
        raise PermissionDenied


def check_is_patient(*, user: User, patient: Patient) -> None:
    if not (user.role == Role.PATIENT and user.patient.pk == patient.pk):
        raise PermissionDenied

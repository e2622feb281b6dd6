"""Who may take part in a patient's sessions and record: the patient, and the clinicians on their care team.

Each check raises ``PermissionDenied`` for anyone else. The rules themselves are written once, in
``patients.selectors`` (``is_own_record``, ``on_care_team``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from patients.models import Patient, User
from patients.selectors import is_own_record, on_care_team


def is_on_care_team(*, user: User, patient: Patient) -> bool:
    return on_care_team(clinician=user.clinician_profile, patient=patient)


def check_takes_part(*, user: User, patient: Patient) -> None:
    """The patient themself or a clinician on their care team; anyone else is refused."""
    if not (is_own_record(user=user, patient=patient) or is_on_care_team(user=user, patient=patient)):
        raise PermissionDenied


def check_care_team(*, user: User, patient: Patient) -> None:
    if not is_on_care_team(user=user, patient=patient):
        raise PermissionDenied


def check_is_patient(*, user: User, patient: Patient) -> None:
    if not is_own_record(user=user, patient=patient):
        raise PermissionDenied

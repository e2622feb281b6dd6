"""When a clinician leaves a patient's care team, or an account is closed: no appointment is left behind.

A clinic admin sees every future appointment the change affects and decides, for each, whether it
passes to another clinician on the patient's care team or is cancelled (the patient is told kindly,
with the reason). The change itself happens only once every affected appointment has its decision,
all in one transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from patients.models import Clinician, Patient, Role, User
from patients.services import care_team_unassign, user_deactivate
from sessions.models import CareSession, SessionStatus
from sessions.services.appointments import care_session_cancel, care_session_reassign

CANCEL = "cancel"
# Stored as the cancelled appointment's reason, in the words of whoever closes it (translated then).
DEFAULT_REASON = gettext_noop("Your clinician is no longer able to see you for this appointment.")


# One decision per appointment: (the appointment, the clinician it passes to, or None to cancel it).
Decision = tuple[CareSession, Clinician | None]


def _check_admin(by: User, clinic_id: int) -> None:
    if by.role != Role.CLINIC_ADMIN or by.clinic_admin.clinic_id != clinic_id:
        raise PermissionDenied


def appointments_ahead(*, patient: Patient | None = None, clinician: Clinician | None = None) -> QuerySet[CareSession]:
    """Scheduled appointments that have not started yet, of a patient, a clinician, or both, soonest first."""
    qs = CareSession.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())
    if patient is not None:
        qs = qs.filter(patient=patient)
    if clinician is not None:
        qs = qs.filter(clinician=clinician)
    return qs.select_related("patient__user", "clinician__user").order_by("starts_at", "pk")


def _apply(*, by: User, decisions: list[Decision], expected: list[CareSession], reason: str) -> None:
    """Carry out one decision per expected appointment; refuse if any is missing (someone booked meanwhile)."""
    decided = {care_session.pk for care_session, _ in decisions}
    if decided != {care_session.pk for care_session in expected}:
        raise ValidationError(
            _(
                "The appointments changed while you were deciding (one was booked or moved). "
                "Please look at the list again."
            )
        )
    reason = (reason or "").strip() or _(DEFAULT_REASON)
    problems = {}
    for care_session, to in decisions:
        try:
            if to is None:
                care_session_cancel(by=by, care_session=care_session, reason=reason)
            else:
                care_session_reassign(by=by, care_session=care_session, clinician=to)
        except ValidationError as error:
            # Said next to the appointment it is about (the form names each choice "appointment-<id>").
            problems[f"appointment-{care_session.pk}"] = error.messages
    if problems:
        raise ValidationError(problems)


def care_team_leave(
    *, by: User, patient: Patient, clinician: Clinician, decisions: list[Decision], reason: str = ""
) -> None:
    """Take ``clinician`` off ``patient``'s care team, after passing on or cancelling their appointments ahead."""
    _check_admin(by, patient.clinic_id)
    with transaction.atomic():
        expected = list(appointments_ahead(patient=patient, clinician=clinician).select_for_update(of=("self",)))
        if any(to is not None and to.pk == clinician.pk for _, to in decisions):
            raise ValidationError(
                _("Choose someone other than %(name)s for each appointment.") % {"name": clinician.user.full_name}
            )
        _apply(by=by, decisions=decisions, expected=expected, reason=reason)
        care_team_unassign(patient=patient, clinician=clinician, by=by)


def account_close(*, by: User, person: User, decisions: list[Decision], reason: str = "") -> User:
    """Deactivate ``person`` after passing on (a clinician's) or cancelling (a patient's) appointments ahead."""
    clinic = person.clinic
    _check_admin(by, clinic.pk if clinic else -1)
    with transaction.atomic():
        if person.role == Role.CLINICIAN:
            expected = list(appointments_ahead(clinician=person.clinician).select_for_update(of=("self",)))
        elif person.role == Role.PATIENT:
            expected = list(appointments_ahead(patient=person.patient).select_for_update(of=("self",)))
            if any(to is not None for _, to in decisions):
                raise ValidationError(_("A patient's appointments are cancelled when their account closes."))
        else:
            expected = []
        _apply(by=by, decisions=decisions, expected=expected, reason=reason)
        return user_deactivate(person=person, by=by)

"""Writes about appointments: schedule, reschedule, cancel, and record whether one happened."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from patients.models import Clinician, Patient, Role, User
from patients.selectors import on_care_team
from sessions.models import AppointmentChange, CareSession, SessionMode, SessionStatus
from sessions.services.agenda import agenda_attach_waiting, agenda_carry_forward
from sessions.services.reminders import appointment_notice

MIN_DURATION, MAX_DURATION = 5, 480


def _check_can_manage(*, by: User, patient: Patient) -> None:
    """Clinicians on the patient's care team, and admins of the patient's clinic, manage appointments."""
    role = by.role
    if role == Role.CLINIC_ADMIN and by.clinic_admin.clinic_id == patient.clinic_id:
        return
    if role == Role.CLINICIAN and on_care_team(clinician=by.clinician, patient=patient):
        return
    raise PermissionDenied


def _validate_slot(
    *,
    patient: Patient,
    clinician: Clinician,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if starts_at is None or timezone.is_naive(starts_at):
        errors["starts_at"] = _("Please choose a date and time.")
    elif starts_at <= timezone.now():
        errors["starts_at"] = _("Please choose a time in the future.")
    if not (MIN_DURATION <= duration_minutes <= MAX_DURATION):
        errors["duration_minutes"] = _("A session lasts between %(min)s and %(max)s minutes.") % {
            "min": MIN_DURATION,
            "max": MAX_DURATION,
        }
    if mode not in SessionMode.values:
        errors["mode"] = _("Choose in person, video or phone.")
    if clinician.clinic_id != patient.clinic_id:
        errors["clinician"] = _("Choose a clinician from the patient's clinic.")
    elif not on_care_team(clinician=clinician, patient=patient):
        errors["clinician"] = _(
            "%(clinician)s is not on %(patient)s's care team. A clinic admin can add them first."
        ) % {"clinician": clinician.user.full_name, "patient": patient.user.full_name}
    if not clinician.user.is_active:
        errors["clinician"] = _("This clinician's account is deactivated.")
    if not patient.user.is_active:
        errors["patient"] = _("This patient's account is deactivated.")
    if errors:
        raise ValidationError(errors)

    ends_at = starts_at + timedelta(minutes=duration_minutes)
    nearby = CareSession.objects.filter(
        clinician=clinician,
        status=SessionStatus.SCHEDULED,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - timedelta(minutes=MAX_DURATION),
    ).select_related("patient__user")
    if exclude_pk is not None:
        nearby = nearby.exclude(pk=exclude_pk)
    for other in nearby:
        if other.ends_at > starts_at:
            local = timezone.localtime(other.starts_at)
            raise ValidationError(
                {
                    "starts_at": _(
                        "%(clinician)s already has a session at %(time)s on %(day)s that overlaps this time. "
                        "Please choose another time."
                    )
                    % {
                        "clinician": clinician.user.full_name,
                        "time": formats.date_format(local, "CLOCK_FORMAT"),
                        "day": formats.date_format(local, "WEEKDAY_DAY_FORMAT"),
                    }
                }
            )


def care_session_schedule(
    *,
    by: User,
    patient: Patient,
    clinician: Clinician,
    starts_at: datetime,
    duration_minutes: int = 45,
    mode: str = SessionMode.IN_PERSON,
) -> CareSession:
    _check_can_manage(by=by, patient=patient)
    with transaction.atomic():
        _validate_slot(
            patient=patient, clinician=clinician, starts_at=starts_at, duration_minutes=duration_minutes, mode=mode
        )
        care_session = CareSession.objects.create(
            patient=patient,
            clinician=clinician,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            mode=mode,
            created_by=by,
        )
        agenda_attach_waiting(care_session=care_session)
    return care_session


def care_session_reschedule(
    *, by: User, care_session: CareSession, starts_at: datetime, duration_minutes: int, mode: str
) -> CareSession:
    _check_can_manage(by=by, patient=care_session.patient)
    if not care_session.can_change:
        raise ValidationError(_("Only a scheduled session can be moved."))
    with transaction.atomic():
        _validate_slot(
            patient=care_session.patient,
            clinician=care_session.clinician,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            mode=mode,
            exclude_pk=care_session.pk,
        )
        moved = care_session.starts_at != starts_at
        care_session.starts_at = starts_at
        care_session.duration_minutes = duration_minutes
        care_session.mode = mode
        care_session.save(update_fields=["starts_at", "duration_minutes", "mode", "updated_at"])
        if moved:
            appointment_notice(care_session=care_session, change=AppointmentChange.MOVED)
    return care_session


def care_session_reassign(*, by: User, care_session: CareSession, clinician: Clinician) -> CareSession:
    """Pass a scheduled appointment to another clinician on the patient's care team, free at that time.

    The patient is told by email. Raises ``ValidationError`` (keyed ``clinician``) when that
    clinician cannot take it, and ``PermissionDenied`` for anyone who may not manage the patient.
    """
    _check_can_manage(by=by, patient=care_session.patient)
    if not care_session.can_change:
        raise ValidationError(_("Only a scheduled session can be passed to another clinician."))
    if clinician.pk == care_session.clinician_id:
        return care_session
    with transaction.atomic():
        _validate_slot(
            patient=care_session.patient,
            clinician=clinician,
            starts_at=care_session.starts_at,
            duration_minutes=care_session.duration_minutes,
            mode=care_session.mode,
            exclude_pk=care_session.pk,
        )
        care_session.clinician = clinician
        care_session.save(update_fields=["clinician", "updated_at"])
        appointment_notice(care_session=care_session, change=AppointmentChange.CLINICIAN)
    return care_session


def care_session_cancel(*, by: User, care_session: CareSession, reason: str = "") -> CareSession:
    _check_can_manage(by=by, patient=care_session.patient)
    if not care_session.can_change:
        raise ValidationError(_("This session is no longer scheduled, so it cannot be cancelled."))
    with transaction.atomic():
        care_session.status = SessionStatus.CANCELLED
        care_session.cancelled_reason = (reason or "").strip()[:500]
        care_session.save(update_fields=["status", "cancelled_reason", "updated_at"])
        agenda_carry_forward(care_session=care_session)
        appointment_notice(care_session=care_session, change=AppointmentChange.CANCELLED)
    return care_session


def care_session_record_outcome(*, by: User, care_session: CareSession, status: str) -> CareSession:
    """Record that a session happened, or that it didn't. Neither is anyone's fault to record."""
    _check_can_manage(by=by, patient=care_session.patient)
    if status not in (SessionStatus.DONE, SessionStatus.MISSED):
        raise ValidationError({"status": _("Choose whether the session happened.")})
    if care_session.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE, SessionStatus.MISSED):
        raise ValidationError(_("A cancelled session cannot be marked as happened."))
    if care_session.starts_at > timezone.now():
        raise ValidationError(_("This session hasn't started yet."))
    with transaction.atomic():
        care_session.status = status
        care_session.save(update_fields=["status", "updated_at"])
        if status == SessionStatus.MISSED:
            # Nobody's fault: whatever was on its agenda simply moves to the next appointment.
            agenda_carry_forward(care_session=care_session)
    return care_session

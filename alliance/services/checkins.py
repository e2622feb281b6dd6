"""The patient's check-in and the clinician's mirror rating."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.instruments.scoring import answers_validate, score
from alliance.models import Alert, Answer, CheckIn, InstrumentVersion, Purpose, Respondent, Response
from alliance.selectors.instruments import instrument_current, instruments_current
from alliance.services.alerts import alerts_evaluate
from patients.models import CareTeamMembership, Clinician, Patient, User
from sessions.models import AgendaSource, CareSession, SessionStatus
from sessions.services import agenda_item_add

NOTE_LIMIT = 2000


class AlreadyCheckedIn(Exception):
    """This patient has already checked in for this appointment; nothing was changed."""

    def __init__(self, checkin: CheckIn):
        super().__init__("already checked in")
        self.checkin = checkin


class AlreadyRated(Exception):
    """This clinician has already rated this session; nothing was changed."""


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    alerts: list[Alert]


def checkin_submit(
    *,
    patient: Patient,
    care_session: CareSession | None,
    alliance_answers: Mapping[str, int | None],
    pain_answers: Mapping[str, int | None],
    note: str = "",
    submitted_at: datetime | None = None,
    versions: Mapping[str, InstrumentVersion] | None = None,
) -> CheckInResult:
    """Store a check-in, score it and raise any alerts, all or nothing.

    ``versions`` are the instrument versions the patient was shown (keyed by purpose), so the
    answers are scored against exactly the questions they saw. ``submitted_at`` is only for
    loading history (demo data, imports); a live check-in is "now".
    """
    submitted_at = submitted_at or timezone.now()
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ValidationError(
            {"note": _("Please keep this under %(limit)s characters.") % {"limit": f"{NOTE_LIMIT:,}"}}
        )
    if care_session is not None:
        if care_session.patient_id != patient.pk:
            raise PermissionDenied
        if care_session.status in (SessionStatus.CANCELLED, SessionStatus.MISSED):
            raise ValidationError(_("That appointment isn't going ahead, so this check-in can stand on its own."))
    # "Once per appointment" is the database's rule (a unique constraint); a second check-in, or a
    # double tap, fails to insert below and is reported as AlreadyCheckedIn.
    if versions is None:
        versions = instruments_current(
            clinic=patient.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
        )
    alliance_version, pain_version = versions[Purpose.ALLIANCE], versions[Purpose.PAIN]
    try:
        with transaction.atomic():
            prepared = [
                response_prepare(
                    version=alliance_version,
                    patient=patient,
                    respondent=patient.user,
                    respondent_role=Respondent.PATIENT,
                    answers=alliance_answers,
                    care_session=care_session,
                    submitted_at=submitted_at,
                )
            ]
            if any(value is not None for value in pain_answers.values()):
                prepared.append(
                    response_prepare(
                        version=pain_version,
                        patient=patient,
                        respondent=patient.user,
                        respondent_role=Respondent.PATIENT,
                        answers=pain_answers,
                        care_session=care_session,
                        submitted_at=submitted_at,
                    )
                )
            checkin = checkin_store(
                prepared,
                CheckIn(patient=patient, care_session=care_session, note=note, submitted_at=submitted_at),
            )
            alliance = checkin.alliance_response
            alerts = alerts_evaluate(response=alliance, answers=alliance_answers)
            if note:
                agenda_item_add(
                    patient=patient,
                    text=note,
                    source=AgendaSource.CHECKIN_NOTE,
                    source_ref=f"checkin:{checkin.pk}",
                    raised_by=patient.user,
                    care_session=care_session,
                )
    except IntegrityError:
        existing = CheckIn.objects.filter(patient=patient, care_session=care_session).first() if care_session else None
        if existing is None:
            raise
        raise AlreadyCheckedIn(existing) from None
    return CheckInResult(checkin=checkin, alerts=alerts)


def checkin_store(prepared: list[PreparedResponse], checkin: CheckIn) -> CheckIn:
    """Insert the responses (alliance first, then the pain check if answered), their answers and
    the check-in. Call inside the caller's transaction."""
    saved = responses_save(prepared)
    checkin.alliance_response, checkin.pain_response = saved[0], (saved[1] if len(saved) > 1 else None)
    checkin.save()
    return checkin


def clinician_rating_submit(
    *,
    clinician: Clinician,
    care_session: CareSession,
    answers: Mapping[str, int | None],
    submitted_at: datetime | None = None,
) -> tuple[Response, list[Alert]]:
    """The clinician's side of the same four aspects, for one session they were part of."""
    patient = care_session.patient
    if not CareTeamMembership.objects.filter(patient=patient, clinician=clinician).exists():
        raise PermissionDenied
    if care_session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled, so there's nothing to rate."))
    if care_session.starts_at > timezone.now():
        raise ValidationError(_("You can rate this session once it has started."))
    version = instrument_current(clinic=patient.clinic, purpose=Purpose.ALLIANCE, respondent=Respondent.CLINICIAN)
    if Response.objects.filter(
        instrument_id=version.instrument_id,
        care_session=care_session,
        respondent=clinician.user,
        supersedes__isnull=True,
    ).exists():
        raise AlreadyRated
    try:
        with transaction.atomic():
            response = response_submit(
                version=version,
                patient=patient,
                respondent=clinician.user,
                respondent_role=Respondent.CLINICIAN,
                answers=answers,
                care_session=care_session,
                submitted_at=submitted_at,
            )
            alerts = alerts_evaluate(response=response, answers=answers)
    except IntegrityError:
        raise AlreadyRated from None
    return response, alerts


def response_correct(
    *, original: Response, by: User, answers: Mapping[str, int | None]
) -> tuple[Response, list[Alert]]:
    """Correct a response by submitting a new one that supersedes it. The original is kept as it was."""
    if original.respondent_id != by.pk:
        raise PermissionDenied
    if Response.objects.filter(supersedes=original).exists():
        raise ValidationError(_("This has already been corrected; correct the newest version instead."))
    with transaction.atomic():
        response = response_submit(
            version=original.version,
            patient=original.patient,
            respondent=by,
            respondent_role=original.respondent_role,
            answers=answers,
            care_session=original.care_session,
            supersedes=original,
        )
        alerts = alerts_evaluate(response=response, answers=answers)
    return response, alerts


@dataclass
class PreparedResponse:
    response: Response
    answers: dict[str, int | None]


def response_prepare(
    *,
    version: InstrumentVersion,
    patient: Patient,
    respondent: User,
    respondent_role: str,
    answers: Mapping[str, int | None],
    care_session: CareSession | None = None,
    supersedes: Response | None = None,
    submitted_at: datetime | None = None,
) -> PreparedResponse:
    """Validate and score answers into an unsaved response; ``responses_save`` stores it."""
    try:
        clean = answers_validate(version.definition, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    result = score(version.definition, clean)
    if result.total is None:
        raise ValidationError(_("Please answer a few more of the questions so we can add them up."))
    if respondent_role not in Respondent.values:
        raise ValidationError(_("Unknown respondent."))
    response = Response(
        version=version,
        instrument_id=version.instrument_id,
        patient=patient,
        care_session=care_session,
        respondent=respondent,
        respondent_role=respondent_role,
        total=result.total,
        subscales={key: (str(value) if value is not None else None) for key, value in result.subscales.items()},
        supersedes=supersedes,
        submitted_at=submitted_at or timezone.now(),
    )
    return PreparedResponse(response=response, answers=clean)


def responses_save(prepared: list[PreparedResponse]) -> list[Response]:
    """Store responses and one row per item in two statements. Call inside the caller's transaction."""
    responses = Response.objects.bulk_create([p.response for p in prepared])
    Answer.objects.bulk_create(
        Answer(response=response, item_key=key, value=value)
        for response, p in zip(responses, prepared, strict=True)
        for key, value in p.answers.items()
    )
    return responses


def response_submit(**kwargs) -> Response:
    """Score and store one response (see ``response_prepare`` for the arguments)."""
    return responses_save([response_prepare(**kwargs)])[0]

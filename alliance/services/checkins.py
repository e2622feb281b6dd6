"""The patient's check-in and the clinician's mirror rating."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alliance.models import Alert, Answer, CheckIn, InstrumentVersion, Purpose, Respondent, Response
from alliance.services.alerts import alerts_evaluate
from alliance.services.measures import (
    PreparedResponse,
    instrument_current,
    instruments_current,
    response_prepare,
    response_submit,
    responses_save,
)
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
        raise ValidationError({"note": f"Please keep this under {NOTE_LIMIT:,} characters."})
    if care_session is not None:
        if care_session.patient_id != patient.pk:
            raise PermissionDenied
        if care_session.status in (SessionStatus.CANCELLED, SessionStatus.MISSED):
            raise ValidationError("That appointment isn't going ahead, so this check-in can stand on its own.")
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
    the check-in. Call inside the caller's transaction.

    On PostgreSQL it is one statement: check-ins are the write patients make most, and the ORM's
    three inserts took longer to build than to run (bench/checkin.py). Elsewhere, the ORM.
    tests/alliance/test_checkins.py checks that both ways store the same rows.
    """
    if connection.vendor == "postgresql":
        return _checkin_store_in_one_statement(prepared, checkin)
    return _checkin_store_with_the_orm(prepared, checkin)


def _checkin_store_with_the_orm(prepared: list[PreparedResponse], checkin: CheckIn) -> CheckIn:
    saved = responses_save(prepared)
    checkin.alliance_response, checkin.pain_response = saved[0], (saved[1] if len(saved) > 1 else None)
    checkin.save()
    return checkin


def _checkin_store_in_one_statement(prepared: list[PreparedResponse], checkin: CheckIn) -> CheckIn:
    """PostgreSQL only: data-modifying WITH clauses chain the inserts, each feeding the next its ids."""
    # Every value is a parameter; the SQL around them is built from model metadata only.
    quote = connection.ops.quote_name

    def insert(model, obj, *, skip=(), extra: dict[str, str] | None = None) -> tuple[str, list]:
        """``INSERT INTO table (columns) VALUES (...)`` for ``obj``, with ``extra`` columns as SQL."""
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]
        names = [quote(f.column) for f in fields] + list(extra or {})
        values = ["%s"] * len(fields) + list((extra or {}).values())
        params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
        table = quote(model._meta.db_table)
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})", params  # noqa: S608

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    parts, params, answers, answer_params = [], [], [], []
    # An answer row is its response, the item and the value; a new field on Answer must join here.
    key_type = Answer._meta.get_field("item_key").db_type(connection)
    value_type = Answer._meta.get_field("value").db_type(connection)
    for n, p in enumerate(prepared):
        statement, values = insert(Response, p.response)
        parts.append(f"r{n} AS ({statement} RETURNING id)")
        params += values
        for key, value in p.answers.items():
            answers.append(f"SELECT r{n}.id, CAST(%s AS {key_type}), CAST(%s AS {value_type}) FROM r{n}")  # noqa: S608
            answer_params += [key, value]
    if answers:
        table = quote(Answer._meta.db_table)
        names = ", ".join(column(Answer, name) for name in ("response", "item_key", "value"))
        parts.append(f"a AS (INSERT INTO {table} ({names}) {' UNION ALL '.join(answers)})")
        params += answer_params
    statement, values = insert(
        CheckIn,
        checkin,
        skip=("alliance_response", "pain_response"),
        extra={
            column(CheckIn, "alliance_response"): "(SELECT id FROM r0)",
            column(CheckIn, "pain_response"): "(SELECT id FROM r1)" if len(prepared) > 1 else "NULL",
        },
    )
    parts.append(f"c AS ({statement} RETURNING id)")
    params += values
    returned = ", ".join(f"(SELECT id FROM r{n})" for n in range(len(prepared)))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT (SELECT id FROM c), {returned}", params)  # noqa: S608
        checkin_id, *response_ids = cursor.fetchone()
    for p, pk in zip(prepared, response_ids, strict=True):
        p.response.pk = pk
        p.response._state.adding, p.response._state.db = False, connection.alias
    checkin.alliance_response = prepared[0].response
    checkin.pain_response = prepared[1].response if len(prepared) > 1 else None
    checkin.pk, checkin._state.adding, checkin._state.db = checkin_id, False, connection.alias
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
        raise ValidationError("This session was cancelled, so there's nothing to rate.")
    if care_session.starts_at > timezone.now():
        raise ValidationError("You can rate this session once it has started.")
    version = instrument_current(clinic=patient.clinic, purpose=Purpose.ALLIANCE, respondent="clinician")
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
        raise ValidationError("This has already been corrected; correct the newest version instead.")
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

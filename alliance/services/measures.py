"""Instruments and responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alliance.models import Answer, Instrument, InstrumentVersion, Respondent, Response
from alliance.scoring import DefinitionError, answers_validate, definition_validate, score
from patients.models import Clinic, Patient, User
from sessions.models import CareSession

MAX_DEFINITION_BYTES = 200_000


def instrument_current(*, clinic: Clinic, purpose: str, respondent: str) -> InstrumentVersion:
    """The version a new response of this kind is given on: the clinic's own active one, else ours."""
    instrument = (
        Instrument.objects.filter(purpose=purpose, respondent=respondent, is_active=True)
        .filter(Q(clinic=clinic) | Q(clinic__isnull=True))
        .order_by(F("clinic_id").desc(nulls_last=True), "pk")  # a clinic's own comes before the built-in
        .first()
    )
    if instrument is None:
        raise LookupError(f"No {purpose} instrument for {respondent}s; run migrations to load the built-in ones.")
    return instrument.versions.order_by("-number").first()


def instrument_import(*, clinic: Clinic, by: User, text: str, activate: bool) -> InstrumentVersion:
    """Add a clinic's own instrument, or a new version of one, from a JSON definition."""
    if len(text.encode()) > MAX_DEFINITION_BYTES:
        raise ValidationError({"definition": "That definition is too large (the limit is 200 KB)."})
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            {"definition": f"This isn't valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."}
        ) from None
    try:
        definition = definition_validate(raw)
    except DefinitionError as exc:
        raise ValidationError({"definition": exc.problems}) from None
    if Instrument.objects.filter(clinic__isnull=True, key=definition["key"]).exists():
        raise ValidationError({"definition": f'"{definition["key"]}" is a built-in instrument; choose another key.'})
    with transaction.atomic():
        instrument, created = Instrument.objects.select_for_update().get_or_create(
            clinic=clinic,
            key=definition["key"],
            defaults={
                "name": definition["name"],
                "respondent": definition["respondent"],
                "purpose": definition["purpose"],
                "created_by": by,
            },
        )
        if not created and (instrument.respondent, instrument.purpose) != (
            definition["respondent"],
            definition["purpose"],
        ):
            raise ValidationError(
                {"definition": "A new version must keep the same respondent and purpose as the earlier ones."}
            )
        latest = instrument.versions.order_by("-number").first()
        if latest is not None and latest.definition == definition:
            raise ValidationError({"definition": "This is the same as the current version; nothing to import."})
        version = InstrumentVersion.objects.create(
            instrument=instrument, number=(latest.number + 1) if latest else 1, definition=definition, created_by=by
        )
        instrument.name = definition["name"]
        instrument.is_active = activate
        instrument.save(update_fields=["name", "is_active"])
        if activate:
            # One active instrument of each kind per clinic.
            Instrument.objects.filter(
                clinic=clinic, purpose=instrument.purpose, respondent=instrument.respondent
            ).exclude(pk=instrument.pk).update(is_active=False)
    return version


def response_submit(
    *,
    version: InstrumentVersion,
    patient: Patient,
    respondent: User,
    respondent_role: str,
    answers: Mapping[str, int | None],
    care_session: CareSession | None = None,
    supersedes: Response | None = None,
    submitted_at: datetime | None = None,
) -> Response:
    """Score and store a response with one row per item. Call inside the caller's transaction."""
    try:
        clean = answers_validate(version.definition, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    result = score(version.definition, clean)
    if result.total is None:
        raise ValidationError("Please answer a few more of the questions so we can add them up.")
    if respondent_role not in Respondent.values:
        raise ValidationError("Unknown respondent.")
    response = Response.objects.create(
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
    Answer.objects.bulk_create(Answer(response=response, item_key=key, value=value) for key, value in clean.items())
    return response

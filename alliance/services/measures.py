"""Instruments and responses."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alliance.instruments import builtin_sync
from alliance.models import Answer, Instrument, InstrumentVersion, Respondent, Response
from alliance.scoring import DefinitionError, answers_validate, definition_validate, score
from patients.models import Clinic, Patient, User
from sessions.models import CareSession

MAX_DEFINITION_BYTES = 200_000


# Which version each clinic uses changes only when its admin imports a questionnaire, and the
# check-in pages ask on every request, so each process remembers the answer for a minute. An
# import clears this process's copy at once; other processes follow within CURRENT_TTL seconds.
# Either way a response is scored against the version its form was built from.
CURRENT_TTL = 60.0
_CURRENT: dict[tuple, tuple[float, dict[str, InstrumentVersion]]] = {}


def instruments_current(*, clinic: Clinic, respondent: str, purposes: tuple[str, ...]) -> dict[str, InstrumentVersion]:
    """For each purpose, the version a new response is given on: the clinic's own active one, else ours."""
    key = (clinic.pk, clinic.created_at, respondent, tuple(purposes))
    cached = _CURRENT.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    chosen = _instruments_current(clinic=clinic, respondent=respondent, purposes=purposes)
    if len(_CURRENT) > 1000:
        _CURRENT.clear()
    _CURRENT[key] = (time.monotonic() + CURRENT_TTL, chosen)
    return chosen


def _instruments_current(*, clinic: Clinic, respondent: str, purposes: tuple[str, ...]) -> dict[str, InstrumentVersion]:
    candidates = (
        InstrumentVersion.objects.filter(
            instrument__purpose__in=purposes, instrument__respondent=respondent, instrument__is_active=True
        )
        .filter(Q(instrument__clinic=clinic) | Q(instrument__clinic__isnull=True))
        .order_by(
            "instrument__purpose",
            F("instrument__clinic_id").desc(nulls_last=True),  # a clinic's own comes before the built-in
            "instrument_id",
            "-number",
        )
        .values_list("instrument__purpose", "pk", "created_at")
    )
    chosen_ids: dict[str, tuple] = {}
    for purpose, *identity in candidates:
        chosen_ids.setdefault(purpose, tuple(identity))
    missing = [purpose for purpose in purposes if purpose not in chosen_ids]
    if missing and builtin_sync(Instrument, InstrumentVersion):
        # Our own questionnaires were missing (a flushed database): load them once, then look again.
        return _instruments_current(clinic=clinic, respondent=respondent, purposes=purposes)
    if missing:
        raise LookupError(f"No {', '.join(missing)} instrument for {respondent}s.")
    return {purpose: _version(*identity) for purpose, identity in chosen_ids.items()}


_VERSIONS: dict[tuple, InstrumentVersion] = {}


def _version(pk: int, created_at) -> InstrumentVersion:
    """A version by id. Versions never change once written, so each process keeps the ones it has read.

    The key includes the creation time so a reused id (SQLite can reuse them) is never mistaken.
    """
    key = (pk, created_at)
    version = _VERSIONS.get(key)
    if version is None:
        version = InstrumentVersion.objects.select_related("instrument").get(pk=pk)
        if len(_VERSIONS) > 500:
            _VERSIONS.clear()
        _VERSIONS[key] = version
    return version


def instrument_current(*, clinic: Clinic, purpose: str, respondent: str) -> InstrumentVersion:
    return instruments_current(clinic=clinic, respondent=respondent, purposes=(purpose,))[purpose]


def instrument_import(*, clinic: Clinic, by: User | None, text: str, activate: bool) -> InstrumentVersion:
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
        _CURRENT.clear()
        transaction.on_commit(_CURRENT.clear)  # and again, in case a request cached the old one meanwhile
        if activate:
            # One active instrument of each kind per clinic.
            Instrument.objects.filter(
                clinic=clinic, purpose=instrument.purpose, respondent=instrument.respondent
            ).exclude(pk=instrument.pk).update(is_active=False)
    return version


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
        raise ValidationError("Please answer a few more of the questions so we can add them up.")
    if respondent_role not in Respondent.values:
        raise ValidationError("Unknown respondent.")
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

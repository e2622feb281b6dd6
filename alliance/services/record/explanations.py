"""Explanations: versions written by the clinician, the patient's fit answer, talking it through, feeling heard."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import (
    Explanation,
    ExplanationVersion,
    FeltHeard,
    Fit,
    FitResponse,
)
from alliance.services.record.common import agenda_text, clean_text, require_live, save_fields, touch
from patients.models import Patient, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add, agenda_item_settle
from sessions.services.access import check_care_team, check_is_patient


def explanation_write(*, patient: Patient, by: User, title: str, body: str) -> Explanation:
    check_care_team(user=by, patient=patient)
    title = clean_text(title, field="title", limit=200, required=_("Please give the explanation a short title."))
    body = clean_text(body, field="body", limit=6000, required=_("Please write the explanation in plain language."))
    with transaction.atomic():
        explanation = Explanation.objects.create(patient=patient, created_by=by, last_activity_by=by, title=title)
        ExplanationVersion.objects.create(explanation=explanation, number=1, body=body, written_by=by)
    return explanation


def explanation_revise(*, explanation: Explanation, by: User, body: str) -> ExplanationVersion:
    """A new version; the earlier ones stay readable, each with its date and the patient's answer to it."""
    check_care_team(user=by, patient=explanation.patient)
    require_live(explanation)
    body = clean_text(body, field="body", limit=6000, required=_("Please write the new version."))
    with transaction.atomic():
        # Lock the explanation itself so two revisions at once are numbered one after the other.
        Explanation.objects.select_for_update(of=("self",)).filter(pk=explanation.pk).first()
        latest = explanation.versions.order_by("-number").first()
        if latest is not None and latest.body == body:
            raise ValidationError(
                {"body": _("This is the same as the current version. Change the wording to save a new one.")}
            )
        version = ExplanationVersion.objects.create(
            explanation=explanation, number=(latest.number + 1) if latest else 1, body=body, written_by=by
        )
        touch(explanation, by, version.written_at)
    return version


def explanation_respond(*, version: ExplanationVersion, by: User, fit: str, words: str = "") -> FitResponse:
    """The patient says how the explanation fits their experience. "Partly" and "doesn't fit" go on the agenda."""
    explanation = version.explanation
    check_is_patient(user=by, patient=explanation.patient)
    require_live(explanation)
    if fit not in Fit.values:
        raise ValidationError({"fit": _("Please choose how well this fits your experience.")})
    required = (
        None if fit == Fit.FITS else _("Please say, in your own words, what doesn't fit. It helps us understand.")
    )
    words = clean_text(words, field="words", limit=4000, required=required)
    latest_number = explanation.versions.order_by("-number").values_list("number", flat=True).first()
    if version.number != latest_number:
        raise ValidationError(_("There's a newer version of this explanation. Please answer that one."))
    try:
        with transaction.atomic():
            response = FitResponse.objects.create(version=version, fit=fit, words=words, responded_by=by)
            touch(explanation, by, response.responded_at)
            if fit != Fit.FITS:

                def said() -> str:
                    if fit == Fit.PARTLY:
                        template = _("The explanation “%(title)s” partly fits: %(words)s")
                    else:
                        template = _("The explanation “%(title)s” doesn't fit: %(words)s")
                    return agenda_text(template % {"title": explanation.title, "words": words})

                agenda_item_add(
                    patient=explanation.patient,
                    text=said,
                    source=AgendaSource.EXPLANATION,
                    source_ref=f"fit:{response.pk}",
                    raised_by=by,
                )
    except IntegrityError:
        raise ValidationError(_("You've already answered this version. Thank you.")) from None
    return response


def explanation_talked_through(*, response: FitResponse, by: User, note: str = "") -> FitResponse:
    """The clinician records that they talked it through; the patient is then asked whether they felt heard."""
    explanation = response.version.explanation
    check_care_team(user=by, patient=explanation.patient)
    if not response.is_open:
        raise ValidationError(_("This has already been talked through."))
    note = clean_text(note, field="note", limit=2000)
    with transaction.atomic():
        now = timezone.now()
        response.talked_through_at, response.talked_through_by, response.talked_through_note = now, by, note
        save_fields(response, "talked_through_at", "talked_through_by", "talked_through_note")
        touch(explanation, by, now)
        agenda_item_settle(
            patient=explanation.patient, source=AgendaSource.EXPLANATION, source_ref=f"fit:{response.pk}"
        )
    return response


def explanation_felt_heard(*, response: FitResponse, by: User, felt_heard: str, words: str = "") -> FitResponse:
    explanation = response.version.explanation
    check_is_patient(user=by, patient=explanation.patient)
    if response.talked_through_at is None:
        raise ValidationError(_("You'll be asked this once you've talked it through together."))
    if response.felt_heard:
        raise ValidationError(_("You've already told us. Thank you."))
    if felt_heard not in FeltHeard.values:
        raise ValidationError({"felt_heard": _("Please choose one.")})
    words = clean_text(words, field="words", limit=2000)
    with transaction.atomic():
        now = timezone.now()
        response.felt_heard, response.felt_heard_words, response.felt_heard_at = felt_heard, words, now
        save_fields(response, "felt_heard", "felt_heard_words", "felt_heard_at")
        touch(explanation, by, now)
    return response

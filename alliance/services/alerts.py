"""Alert rules, and the clinician acknowledging and resolving an alert.

The rules run when a rating is submitted, with thresholds from the instrument's own definition:
- the total is below ``total_below``;
- any single answer is at or below ``item_at_or_below``;
- the patient's total dropped by at least ``drop_by`` since their previous response;
- the patient's and the clinician's totals for the same session differ by at least ``mismatch_by``
  (taken from the patient's instrument).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from alliance.models import Alert, AlertKind, Instrument, Respondent, Response
from alliance.numbers import number
from patients.models import User
from sessions.models import AgendaSource, CareSession, SessionStatus
from sessions.services import agenda_item_add

# What the patient sees on the agenda. Never the word "alert".
ALLIANCE_AGENDA_TEXT = gettext_noop("How our sessions are going for you")


def _previous_total(response: Response) -> tuple[Decimal | None, object] | None:
    """The total and time of the patient's previous response to the same instrument, if any.

    A response that was corrected never counts (its correction, which is newer, does), except the
    one this response itself corrects, which is left out by id.
    """
    previous = (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            respondent_role=Respondent.PATIENT,
            submitted_at__lt=response.submitted_at,
        )
        .exclude(pk__in=[response.pk, response.supersedes_id or response.pk])
        .order_by("-submitted_at")
        .values_list("total", "submitted_at")
        .first()
    )
    return previous


def _counterpart(response: Response) -> tuple[Response, Response] | None:
    """(patient's response, clinician's response) for the same session, if both exist."""
    if response.care_session_id is None:
        return None
    if response.respondent_role == Respondent.PATIENT and response.care_session.starts_at > response.submitted_at:
        # Checked in before the appointment: the clinician can only rate once it has started.
        return None
    counterpart_key = response.version.definition.get("counterpart")
    if not counterpart_key:
        return None
    counterpart_instruments = Instrument.objects.filter(key=counterpart_key).values("pk")
    other_role = Respondent.CLINICIAN if response.respondent_role == Respondent.PATIENT else Respondent.PATIENT
    other = (
        Response.objects.filter(
            care_session_id=response.care_session_id,
            instrument__in=counterpart_instruments,
            respondent_role=other_role,
            superseded_by__isnull=True,
        )
        .select_related("version")
        .order_by("-submitted_at")
        .first()
    )
    if other is None:
        return None
    return (response, other) if response.respondent_role == Respondent.PATIENT else (other, response)


def alerts_evaluate(*, response: Response, answers: Mapping[str, int | None] | None = None) -> list[Alert]:
    """Raise the alerts this response calls for. Runs inside the submitting transaction.

    ``answers`` may be passed when the caller has them already, to save reading them back. An alert's
    reason is stored as words for the care team, so it is written in the clinic's language
    (``LANGUAGE_CODE``), not in the language of the patient whose check-in raised it.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _alerts_evaluate(response=response, answers=answers)


def _alerts_evaluate(*, response: Response, answers: Mapping[str, int | None] | None) -> list[Alert]:
    definition = response.version.localised
    thresholds = definition.get("thresholds", {})
    by_patient = response.respondent_role == Respondent.PATIENT
    name = "" if by_patient else response.respondent.full_name
    raised: list[Alert] = []

    def raise_alert(kind: str, detail: str) -> None:
        raised.append(
            Alert.objects.create(
                patient_id=response.patient_id,
                care_session_id=response.care_session_id,
                response=response,
                kind=kind,
                detail=detail[:500],
                raised_at=response.submitted_at,
            )
        )

    total = response.total
    if total is not None and "total_below" in thresholds and total < Decimal(str(thresholds["total_below"])):
        values = {"total": number(total), "limit": thresholds["total_below"]}
        if by_patient:
            detail = _("The patient's %(instrument)s total is %(total)s, below %(limit)s.") % {
                **values,
                "instrument": definition["name"].lower(),
            }
        else:
            detail = _("%(name)s's rating total is %(total)s, below %(limit)s.") % {**values, "name": name}
        raise_alert(AlertKind.LOW_TOTAL, detail)

    if "item_at_or_below" in thresholds:
        limit = Decimal(str(thresholds["item_at_or_below"]))
        labels = {item["key"]: item.get("label") or item["text"] for item in definition["items"]}
        if answers is None:
            answers = {a.item_key: a.value for a in response.answers.all()}
        low = [f"{labels[key]} {value}" for key, value in answers.items() if value is not None and value <= limit]
        if low:
            values = {"limit": thresholds["item_at_or_below"], "answers": "; ".join(low), "name": name}
            if by_patient:
                detail = _("The patient's answers at or below %(limit)s: %(answers)s") % values
            else:
                detail = _("%(name)s's answers at or below %(limit)s: %(answers)s") % values
            raise_alert(AlertKind.LOW_ITEM, detail)

    if response.respondent_role == Respondent.PATIENT and "drop_by" in thresholds and total is not None:
        previous = _previous_total(response)
        if previous is not None and previous[0] is not None:
            previous_total, previous_at = previous
            if previous_total - total >= Decimal(str(thresholds["drop_by"])):
                raise_alert(
                    AlertKind.DROP,
                    _("Down from %(before)s to %(after)s since the check-in on %(date)s.")
                    % {
                        "before": number(previous_total),
                        "after": number(total),
                        "date": date_format(timezone.localtime(previous_at), "SHORT_DAY_MONTH_FORMAT"),
                    },
                )

    pair = _counterpart(response)
    if pair is not None:
        patient_response, clinician_response = pair
        limit = patient_response.version.definition.get("thresholds", {}).get("mismatch_by")
        if (
            limit is not None
            and patient_response.total is not None
            and clinician_response.total is not None
            and abs(patient_response.total - clinician_response.total) >= Decimal(str(limit))
        ):
            alert, created = Alert.objects.get_or_create(
                care_session_id=response.care_session_id,
                kind=AlertKind.MISMATCH,
                defaults={
                    "patient_id": response.patient_id,
                    "response": response,
                    "raised_at": response.submitted_at,
                    "detail": _(
                        "For the same session the patient's total is %(patient)s and the clinician's is %(clinician)s."
                    )
                    % {"patient": number(patient_response.total), "clinician": number(clinician_response.total)},
                },
            )
            if created:
                raised.append(alert)
    if raised:
        _agenda_push(response)
    return raised


def _agenda_push(response: Response) -> None:
    """One neutral agenda item per session, however many alerts that session's ratings raised."""
    target = response.care_session
    if target is None or target.status != SessionStatus.SCHEDULED or target.starts_at <= timezone.now():
        target = (
            CareSession.objects.filter(
                patient_id=response.patient_id, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
            )
            .order_by("starts_at")
            .first()
        )
    agenda_item_add(
        patient=response.patient,
        text=_(ALLIANCE_AGENDA_TEXT),
        source=AgendaSource.ALERT,
        source_ref=f"session:{target.pk}" if target else f"waiting:{response.pk}",
        raised_by=None,
        care_session=target,
    )


def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Record that a clinician has seen the alert. Acknowledging twice changes nothing."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Please keep the note under 2,000 characters.")})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by, alert.acknowledge_note = timezone.now(), by, note
            alert.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledge_note"])
    return alert


def alert_resolve(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Record that the conversation has happened. Resolving also acknowledges."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Please keep the note under 2,000 characters.")})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.resolved_at is not None:
            return alert
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, by
        alert.resolved_at, alert.resolved_by, alert.resolve_note = now, by, note
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolve_note"])
    return alert

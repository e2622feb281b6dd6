"""Wins and setbacks: the journal, the clinician's acknowledgement, and setbacks put on the agenda."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import (
    Setback,
    Win,
)
from alliance.services.record.common import agenda_text, clean_text, require_live, save_fields
from patients.models import Patient, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add
from sessions.services.access import check_care_team, check_takes_part


def win_log(*, patient: Patient, by: User, text: str) -> Win:
    check_takes_part(user=by, patient=patient)
    text = clean_text(text, field="text", limit=1000, required=_("Please write what went well. Small things count."))
    return Win.objects.create(patient=patient, created_by=by, last_activity_by=by, text=text)


def win_acknowledge(*, win: Win, by: User, reply: str = "") -> Win:
    """The clinician acknowledges a win in one tap, with a few words if they like (up to 500 characters).

    ``ValidationError`` if it was acknowledged already (by anyone on the care team) or the words are too long.
    """
    check_care_team(user=by, patient=win.patient)
    require_live(win)
    reply = clean_text(reply, field="reply", limit=500)
    with transaction.atomic():
        win = Win.objects.select_for_update(of=("self",)).get(pk=win.pk)
        if win.acknowledged_at is not None:
            raise ValidationError(_("This win has already been acknowledged."))
        now = timezone.now()
        win.acknowledgement, win.acknowledged_at, win.acknowledged_by = reply, now, by
        win.touch(by=by, at=now)
        save_fields(
            win, "acknowledgement", "acknowledged_at", "acknowledged_by", "last_activity_at", "last_activity_by"
        )
    return win


def setback_log(
    *,
    patient: Patient,
    by: User,
    what_happened: str,
    what_was_going_on: str = "",
    what_helped: str = "",
    add_to_agenda: bool = False,
) -> Setback:
    """A hard patch, in the person's own words. Nothing here is scored or judged."""
    check_takes_part(user=by, patient=patient)
    what_happened = clean_text(
        what_happened, field="what_happened", limit=2000, required=_("Please say a little about what happened.")
    )
    what_was_going_on = clean_text(what_was_going_on, field="what_was_going_on", limit=2000)
    what_helped = clean_text(what_helped, field="what_helped", limit=2000)
    with transaction.atomic():
        setback = Setback.objects.create(
            patient=patient,
            created_by=by,
            last_activity_by=by,
            what_happened=what_happened,
            what_was_going_on=what_was_going_on,
            what_helped=what_helped,
        )
        if add_to_agenda:
            setback_add_to_agenda(setback=setback, by=by)
    return setback


def setback_add_to_agenda(*, setback: Setback, by: User) -> Setback:
    check_takes_part(user=by, patient=setback.patient)
    require_live(setback)
    agenda_item_add(
        patient=setback.patient,
        text=lambda: agenda_text(_("A setback: %(what)s") % {"what": setback.what_happened}),
        source=AgendaSource.SETBACK,
        source_ref=f"setback:{setback.pk}",
        raised_by=by,
    )
    if setback.on_agenda_at is None:
        setback.on_agenda_at = timezone.now()
        setback.touch(by=by, at=setback.on_agenda_at)
        save_fields(setback, "on_agenda_at", "last_activity_at", "last_activity_by")
    return setback

"""The patient's story: entries, passages a clinician picks out, and "what I heard" reflections."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import (
    HeardResponse,
    StoryEntry,
    StoryPassage,
    StoryReflection,
    StoryTopic,
)
from alliance.services.record.common import agenda_text, clean_text, require_live, save_fields, touch
from patients.models import Patient, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add
from sessions.services.access import check_care_team, check_is_patient


def story_add(*, patient: Patient, by: User, topic: str, title: str, body: str) -> StoryEntry:
    check_is_patient(user=by, patient=patient)
    if topic not in StoryTopic.values:
        raise ValidationError({"topic": _("Please choose what this part of your story is about.")})
    title = clean_text(title, field="title", limit=200)
    body = clean_text(
        body,
        field="body",
        limit=6000,
        required=_("Please write something. It can be as short or as long as you like."),
    )
    return StoryEntry.objects.create(
        patient=patient, created_by=by, last_activity_by=by, topic=topic, title=title, body=body
    )


def passage_in_body(body: str, quote: str) -> str | None:
    """The words of ``body`` that ``quote`` stands for, exactly as written there, or ``None``.

    A selection made in the browser may show line breaks and runs of spaces differently from the
    stored text, so any run of white space in the quote matches any run in the body.
    """
    words = quote.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in words), body)
    return match.group(0) if match else None


def story_passage_mark(*, entry: StoryEntry, by: User, quote: str, note: str = "") -> StoryPassage:
    """A clinician picks out a passage to talk about (``quote``: words of the entry, selected on the
    page or a sentence chosen from a list); it goes on the next agenda. ``ValidationError`` on
    ``quote`` if the words are not in the entry or are already marked."""
    check_care_team(user=by, patient=entry.patient)
    require_live(entry)
    quote = clean_text(
        quote, field="quote", limit=1000, required=_("Please select the words you'd like to talk about.")
    )
    note = clean_text(note, field="note", limit=500)
    found = passage_in_body(entry.body, quote)
    if found is None:
        raise ValidationError(
            {"quote": _("Those words aren't in this entry. Please select them in the entry, or choose a sentence.")}
        )
    quote = found
    try:
        with transaction.atomic():
            passage = StoryPassage.objects.create(entry=entry, quote=quote, note=note, marked_by=by)
            touch(entry, by, passage.marked_at)
            first_name = entry.patient.user.get_short_name()
            agenda_item_add(
                patient=entry.patient,
                text=lambda: agenda_text(
                    _("Let's talk about this, from %(name)s's story: “%(quote)s”")
                    % {"name": first_name, "quote": quote}
                ),
                source=AgendaSource.STORY,
                source_ref=f"passage:{passage.pk}",
                raised_by=by,
            )
    except IntegrityError:
        raise ValidationError({"quote": _("This passage is already marked.")}) from None
    return passage


def story_reflect(*, entry: StoryEntry, by: User, summary: str) -> StoryReflection:
    check_care_team(user=by, patient=entry.patient)
    require_live(entry)
    summary = clean_text(summary, field="summary", limit=2000, required=_("Please write what you heard, briefly."))
    with transaction.atomic():
        reflection = StoryReflection.objects.create(entry=entry, summary=summary, written_by=by)
        touch(entry, by, reflection.written_at)
    return reflection


def story_reflection_respond(
    *, reflection: StoryReflection, by: User, confirmed: bool, correction: str = ""
) -> StoryReflection:
    entry = reflection.entry
    check_is_patient(user=by, patient=entry.patient)
    if reflection.response:
        raise ValidationError(_("You've already replied to this. Thank you."))
    required = None if confirmed else _("Please say what they missed or got wrong, in your own words.")
    correction = clean_text(correction, field="correction", limit=2000, required=required)
    with transaction.atomic():
        now = timezone.now()
        reflection.response = HeardResponse.CONFIRMED if confirmed else HeardResponse.CORRECTED
        reflection.correction, reflection.responded_at = correction, now
        save_fields(reflection, "response", "correction", "responded_at")
        touch(entry, by, now)
    return reflection

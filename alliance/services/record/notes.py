"""A clinician's private notes, for the care team only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from alliance.models import (
    PrivateNote,
    RecordSection,
)
from alliance.services.record.common import clean_text
from patients.models import Patient, User
from sessions.services.access import check_care_team


def private_note_add(*, patient: Patient, by: User, body: str, section: str = "") -> PrivateNote:
    check_care_team(user=by, patient=patient)
    if section and section not in RecordSection.values:
        raise ValidationError({"section": _("Unknown part of the record.")})
    body = clean_text(body, field="body", limit=4000, required=_("Please write the note."))
    return PrivateNote.objects.create(patient=patient, created_by=by, last_activity_by=by, section=section, body=body)

"""Editing and withdrawing any record item (earlier wording kept), and marking a part of the record seen."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import (
    Decision,
    DecisionStatus,
    Goal,
    GoalStatus,
    Option,
    RecordRevision,
    RecordVisit,
)
from alliance.models.record import RecordItem
from alliance.services.record.common import clean_text, require_live, save_fields, touch
from alliance.services.record.decisions import option_balance_errors
from patients.models import Patient, Role, User
from patients.selectors import is_own_record
from sessions.services import agenda_item_retract
from sessions.services.access import check_takes_part, is_on_care_team


def _written_by_patient(item: RecordItem) -> bool:
    return item.created_by_id == item.patient.user_id


def _side(by: User, patient: Patient, side: str | None) -> str | None:
    """ "patient", "clinician" (on the care team) or None. Views that already know pass ``side``."""
    if side is not None:
        return side
    if is_own_record(user=by, patient=patient):
        return Role.PATIENT
    if is_on_care_team(user=by, patient=patient):
        return Role.CLINICIAN
    return None


def record_item_may_edit(*, item: RecordItem, by: User, side: str | None = None) -> bool:
    """The patient edits what they wrote (and their goals); the care team edits what clinicians wrote."""
    if item.withdrawn_at is not None or not item.editable:
        return False
    side = _side(by, item.patient, side)
    if isinstance(item, Goal):
        return side == Role.PATIENT or (item.status == GoalStatus.PROPOSED and side == Role.CLINICIAN)
    if isinstance(item, Decision | Option) and item_is_settled(item):
        return False
    return side == (Role.PATIENT if _written_by_patient(item) else Role.CLINICIAN)


def record_item_changed_meanwhile(*, item: RecordItem, by: User) -> str:
    """Why ``by`` may no longer edit ``item`` because of something that happened to it (as a clause:
    "it was withdrawn"), or "" when they may edit it, or never could (that is a permission, not news)."""
    if record_item_may_edit(item=item, by=by):
        return ""
    if item.withdrawn_at is not None:
        return _("it was withdrawn")
    if isinstance(item, Decision | Option) and item_is_settled(item):
        return _("the decision was made")
    if (
        isinstance(item, Goal)
        and item.status != GoalStatus.PROPOSED
        and _side(by, item.patient, None) == Role.CLINICIAN
    ):
        return _("the goal was agreed, so it is the patient's to change")
    return ""


def record_item_may_withdraw(*, item: RecordItem, by: User, side: str | None = None) -> bool:
    if item.withdrawn_at is not None:
        return False
    if isinstance(item, Option) and item.decision.status != DecisionStatus.DRAFT:
        return False
    side = _side(by, item.patient, side)
    if isinstance(item, Goal) and not _written_by_patient(item) and item.status != GoalStatus.PROPOSED:
        # Once agreed, a goal is the patient's: they let it go or withdraw it, not the clinician.
        return side == Role.PATIENT
    return side == (Role.PATIENT if _written_by_patient(item) else Role.CLINICIAN)


def item_is_settled(item: Decision | Option) -> bool:
    decision = item if isinstance(item, Decision) else item.decision
    return decision.status == DecisionStatus.DECIDED


def revise(item: RecordItem, by: User, changes: dict[str, str]) -> RecordRevision | None:
    previous = {field: getattr(item, field) for field in changes if getattr(item, field) != changes[field]}
    if not previous:
        return None
    revision = RecordRevision.objects.create(
        patient=item.patient, item_kind=item.kind, item_id=item.pk, previous=previous, edited_by=by
    )
    for field, value in changes.items():
        setattr(item, field, value)
    item.edited_at = revision.edited_at
    item.touch(by=by, at=revision.edited_at)
    save_fields(item, *previous, "edited_at", "last_activity_at", "last_activity_by")
    return revision


def record_item_edit(*, item: RecordItem, by: User, changes: dict[str, str]) -> RecordRevision | None:
    """Change an item's wording; the earlier wording is kept. Returns the revision (None if nothing changed)."""
    check_takes_part(user=by, patient=item.patient)
    require_live(item)
    if not record_item_may_edit(item=item, by=by):
        raise PermissionDenied
    cleaned = {
        field: clean_text(changes.get(field, getattr(item, field)), field=field, limit=limit, required=required)
        for field, (limit, required) in item.editable.items()
    }
    if isinstance(item, Option) and item.shared_at is not None:
        errors = option_balance_errors(benefits=cleaned["benefits"], downsides=cleaned["downsides"])
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        revision = revise(item, by, cleaned)
        if revision is not None and isinstance(item, Option):
            touch(item.decision, by, revision.edited_at)
    return revision


def record_item_withdraw(*, item: RecordItem, by: User) -> RecordItem:
    """Hide an item from the patient's view. It stays in the record, marked, for the care team."""
    check_takes_part(user=by, patient=item.patient)
    if item.withdrawn_at is not None:
        return item
    if not record_item_may_withdraw(item=item, by=by):
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        item.withdrawn_at, item.withdrawn_by = now, by
        item.touch(by=by, at=now)
        save_fields(item, "withdrawn_at", "withdrawn_by", "last_activity_at", "last_activity_by")
        if item.agenda_source:
            agenda_item_retract(patient=item.patient, source=item.agenda_source, source_ref=f"{item.kind}:{item.pk}")
    return item


def record_visit_mark(*, user: User, patient: Patient, section: str) -> datetime | None:
    """Note that ``user`` is looking at this part of the record now; returns when they last looked (or None)."""
    now = timezone.now()
    visit, created = RecordVisit.objects.get_or_create(
        user=user, patient=patient, section=section, defaults={"seen_at": now}
    )
    if created:
        return None
    previous = visit.seen_at
    RecordVisit.objects.filter(pk=visit.pk).update(seen_at=now)
    return previous

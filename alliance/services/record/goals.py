"""Goals in the patient's own words: suggesting, accepting, rating and changing their status."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import (
    Goal,
    GoalRating,
    GoalScale,
    GoalStatus,
)
from alliance.models.record import GOAL_MOVES, SCALE_RANGES
from alliance.services.record.common import clean_text, require_live, save_fields, touch
from alliance.services.record.items import revise
from patients.models import Patient, User
from patients.selectors import is_own_record
from sessions.services.access import check_is_patient, check_takes_part


def goal_add(*, patient: Patient, by: User, text: str, why: str = "", scale: str = GoalScale.ZERO_TEN) -> Goal:
    """The patient's goal is agreed as they write it; a clinician's is a suggestion the patient accepts or rewords."""
    check_takes_part(user=by, patient=patient)
    text = clean_text(text, field="text", limit=300, required=_("Please write the goal, in a few words."))
    why = clean_text(why, field="why", limit=1000)
    if scale not in GoalScale.values:
        raise ValidationError({"scale": _("Please choose how progress will be rated.")})
    by_patient = is_own_record(user=by, patient=patient)
    now = timezone.now()
    return Goal.objects.create(
        patient=patient,
        created_by=by,
        created_at=now,
        last_activity_at=now,
        last_activity_by=by,
        text=text,
        why=why,
        scale=scale,
        status=GoalStatus.ACTIVE if by_patient else GoalStatus.PROPOSED,
        agreed_at=now if by_patient else None,
    )


def goal_accept(*, goal: Goal, by: User, text: str | None = None) -> Goal:
    """The patient takes on a suggested goal, as written or in their own words (the suggestion stays in history)."""
    check_is_patient(user=by, patient=goal.patient)
    require_live(goal)
    if goal.status != GoalStatus.PROPOSED:
        raise ValidationError(_("This goal is already agreed."))
    new_text = (
        goal.text if text is None else clean_text(text, field="text", limit=300, required=_("Please write the goal."))
    )
    with transaction.atomic():
        if new_text != goal.text:
            revise(goal, by, {"text": new_text})
        now = timezone.now()
        goal.status, goal.agreed_at, goal.status_changed_at, goal.status_changed_by = GoalStatus.ACTIVE, now, now, by
        goal.touch(by=by, at=now)
        save_fields(
            goal,
            "status",
            "agreed_at",
            "status_changed_at",
            "status_changed_by",
            "last_activity_at",
            "last_activity_by",
        )
    return goal


def goal_rate(*, goal: Goal, by: User, value, note: str = "") -> GoalRating:
    check_takes_part(user=by, patient=goal.patient)
    require_live(goal)
    if goal.status != GoalStatus.ACTIVE:
        raise ValidationError(_("Progress is rated while a goal is being worked on."))
    low, high = SCALE_RANGES[goal.scale]
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise ValidationError(
            {"value": _("Please choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}}
        )
    note = clean_text(note, field="note", limit=500)
    with transaction.atomic():
        rating = GoalRating.objects.create(goal=goal, scale=goal.scale, value=value, note=note, rated_by=by)
        touch(goal, by, rating.rated_at)
    return rating


def goal_status_set(*, goal: Goal, by: User, status: str, note: str = "") -> Goal:
    """Achieved, paused, let go, or picked up again. Letting go is a choice, never a failure."""
    check_takes_part(user=by, patient=goal.patient)
    require_live(goal)
    if status not in GOAL_MOVES.get(goal.status, set()):
        raise ValidationError({"status": _("That change isn't available for this goal right now.")})
    if goal.status == GoalStatus.PROPOSED and not is_own_record(user=by, patient=goal.patient):
        raise ValidationError({"status": _("A suggested goal is the patient's to take on or let go.")})
    note = clean_text(note, field="note", limit=500)
    now = timezone.now()
    goal.status, goal.status_note, goal.status_changed_at, goal.status_changed_by = status, note, now, by
    if status == GoalStatus.ACTIVE and goal.agreed_at is None:
        goal.agreed_at = now
    goal.touch(by=by, at=now)
    save_fields(
        goal,
        "status",
        "status_note",
        "status_changed_at",
        "status_changed_by",
        "agreed_at",
        "last_activity_at",
        "last_activity_by",
    )
    return goal

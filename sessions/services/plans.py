"""Home plans: revise (each change is a new version), rate how worth trying, log practice."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.models import Patient, User
from sessions.models import CareSession, HomePlan, PlanItem, PracticeLog, PracticeOutcome, WorthRating
from sessions.services.access import check_care_team, check_is_patient

ITEM_FIELDS = ("title", "description", "how_often", "link", "notes")
LIMITS = {"title": 200, "description": 2000, "how_often": 200, "link": 500, "notes": 1000}
REQUIRED = {
    "title": gettext_lazy("Please give this a short name, such as “Morning walk”."),
    "description": gettext_lazy("Please describe what to do, in plain words."),
    "how_often": gettext_lazy("Please say how often, such as “most days, 10 minutes”."),
}
NOTE_LIMIT = 1000


def plan_item_clean(data: Mapping[str, str]) -> dict[str, str]:
    """Validate one item's fields; errors are keyed by field name."""
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field in ITEM_FIELDS:
        value = (data.get(field) or "").strip()
        if field in REQUIRED and not value:
            errors[field] = REQUIRED[field]
        elif len(value) > LIMITS[field]:
            errors[field] = _("Please keep this under %(limit)s characters (it's %(length)s now).") % {
                "limit": f"{LIMITS[field]:,}",
                "length": f"{len(value):,}",
            }
        cleaned[field] = value
    if cleaned.get("link") and "link" not in errors:
        try:
            URLValidator(schemes=["http", "https"])(cleaned["link"])
        except ValidationError:
            errors["link"] = _("Please give a full web address starting with https://, or leave this empty.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def home_plan_current(*, patient: Patient) -> HomePlan | None:
    return HomePlan.objects.filter(patient=patient).order_by("-version").first()


def home_plan_revise(
    *,
    by: User,
    patient: Patient,
    items: Iterable[Mapping],
    change_note: str = "",
    care_session: CareSession | None = None,
) -> HomePlan:
    """Make the next version of the patient's plan from a full list of items.

    An item that carries the ``lineage`` of an earlier one is the same exercise, changed; its
    ratings and practice log carry on. Earlier versions are never changed.
    """
    check_care_team(user=by, patient=patient)
    change_note = (change_note or "").strip()
    if len(change_note) > 300:
        raise ValidationError({"change_note": _("Please keep this under %(limit)s characters.") % {"limit": "300"}})
    if care_session is not None and care_session.patient_id != patient.pk:
        raise ValidationError({"care_session": _("That session belongs to someone else.")})
    rows = []
    for item in items:
        cleaned = plan_item_clean(item)
        rows.append((item.get("lineage") or uuid.uuid4(), cleaned))
    lineages = [str(lineage) for lineage, _ in rows]
    if len(set(lineages)) != len(lineages):
        raise ValidationError(_("The same item appears twice."))
    for attempt in range(3):
        try:
            with transaction.atomic():
                latest = home_plan_current(patient=patient)
                plan = HomePlan.objects.create(
                    patient=patient,
                    version=(latest.version + 1) if latest else 1,
                    care_session=care_session,
                    change_note=change_note,
                    created_by=by,
                )
                PlanItem.objects.bulk_create(
                    PlanItem(plan=plan, lineage=lineage, position=position, **cleaned)
                    for position, (lineage, cleaned) in enumerate(rows)
                )
                return plan
        except IntegrityError:
            # Two clinicians saved at the same moment and took the same version number: go again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _current_items(plan: HomePlan | None) -> list[dict]:
    if plan is None:
        return []
    return [
        {**{field: getattr(item, field) for field in ITEM_FIELDS}, "lineage": item.lineage} for item in plan.items.all()
    ]


def plan_item_add(*, by: User, patient: Patient, data: Mapping[str, str], change_note: str = "") -> HomePlan:
    plan_item_clean(data)
    current = _current_items(home_plan_current(patient=patient))
    return home_plan_revise(
        by=by,
        patient=patient,
        items=[*current, dict(data)],
        change_note=change_note or _("Added “%(title)s”") % {"title": data["title"].strip()},
    )


def plan_item_change(
    *, by: User, patient: Patient, lineage: uuid.UUID, data: Mapping[str, str], change_note: str = ""
) -> HomePlan:
    cleaned = plan_item_clean(data)
    current = _current_items(home_plan_current(patient=patient))
    if not any(str(item["lineage"]) == str(lineage) for item in current):
        raise ValidationError(_("This item is no longer in the plan."))
    items = [
        ({**cleaned, "lineage": item["lineage"]} if str(item["lineage"]) == str(lineage) else item) for item in current
    ]
    return home_plan_revise(
        by=by,
        patient=patient,
        items=items,
        change_note=change_note or _("Changed “%(title)s”") % {"title": cleaned["title"]},
    )


def plan_item_remove(*, by: User, patient: Patient, lineage: uuid.UUID) -> HomePlan:
    current = _current_items(home_plan_current(patient=patient))
    remaining = [item for item in current if str(item["lineage"]) != str(lineage)]
    if len(remaining) == len(current):
        raise ValidationError(_("This item is no longer in the plan."))
    removed = next(item for item in current if str(item["lineage"]) == str(lineage))
    return home_plan_revise(
        by=by, patient=patient, items=remaining, change_note=_("Took out “%(title)s”") % {"title": removed["title"]}
    )


def _check_current_item(*, patient: Patient, item: PlanItem) -> None:
    plan = home_plan_current(patient=patient)
    if plan is None or item.plan_id != plan.pk:
        raise ValidationError(_("This item has changed since the page was loaded. Please look at your current plan."))


def worth_rating_record(*, by: User, item: PlanItem, score) -> WorthRating:
    """The patient says how worth trying an item feels, 0 to 10. A new rating joins the history."""
    patient = item.plan.patient
    check_is_patient(user=by, patient=patient)
    _check_current_item(patient=patient, item=item)
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = None
    if value is None or not 0 <= value <= 10 or str(score).strip() != str(value):
        raise ValidationError({"score": _("Please choose a number from 0 to 10.")})
    return WorthRating.objects.create(patient=patient, item=item, lineage=item.lineage, score=value)


def patient_today(*, patient: Patient) -> date:
    return timezone.now().astimezone(patient.user.tzinfo).date()


def practice_log_record(*, by: User, item: PlanItem, outcome: str, note: str = "") -> tuple[PracticeLog, bool]:
    """Log today's practice of one item: done, partly or not today, with how it felt.

    One entry per item per day (in the patient's time zone); logging again the same day updates it.
    Returns the entry and whether it is new.
    """
    patient = item.plan.patient
    check_is_patient(user=by, patient=patient)
    _check_current_item(patient=patient, item=item)
    if outcome not in PracticeOutcome.values:
        raise ValidationError({"outcome": _("Please choose done, partly or not today.")})
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ValidationError(
            {
                "note": _("Please keep this under %(limit)s characters (it's %(length)s now).")
                % {"limit": f"{NOTE_LIMIT:,}", "length": f"{len(note):,}"}
            }
        )
    day = patient_today(patient=patient)
    with transaction.atomic():
        log, created = PracticeLog.objects.select_for_update().get_or_create(
            patient=patient,
            lineage=item.lineage,
            day=day,
            defaults={"item": item, "outcome": outcome, "note": note},
        )
        if not created:
            log.item, log.outcome, log.logged_at = item, outcome, timezone.now()
            if note:
                log.note = note
            log.save(update_fields=["item", "outcome", "note", "logged_at"])
    return log, created

"""The shared agenda and the session record: raise, reorder, park, record, and carry forward.

Nothing put on an agenda is dropped. An item is talked about (and recorded as such), or it moves on:
parked by the clinician, or carried because its session was missed or cancelled. Items that arrive
while no session is booked wait, and join the next session when one is booked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from patients.models import Patient, Role, User
from sessions.models import (
    AgendaEntry,
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    CareSession,
    EntryOutcome,
    LedBy,
    SessionRecord,
    SessionStatus,
)
from sessions.models.agenda import AGREED_LIMIT, SUMMARY_LIMIT, TAKEAWAY_LIMIT, TEXT_LIMIT
from sessions.services.access import check_care_team, check_is_patient, check_takes_part

ACTIVE = (AgendaStatus.OPEN, AgendaStatus.PARKED)


def _clean_text(value: str | None, *, field: str, limit: int, required: bool, empty_message: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: empty_message})
    if len(text) > limit:
        raise ValidationError({field: f"Please keep this under {limit:,} characters (it's {len(text):,} now)."})
    return text


def _next_session(*, patient: Patient, after: CareSession | None = None) -> CareSession | None:
    """The patient's next scheduled session that is still to come (and after ``after``, if given)."""
    upcoming = CareSession.objects.filter(patient=patient, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())
    if after is not None:
        upcoming = upcoming.filter(starts_at__gt=after.starts_at).exclude(pk=after.pk)
    return upcoming.order_by("starts_at", "pk").first()


def _end_position(*, patient: Patient, care_session: CareSession | None) -> int:
    last = AgendaItem.objects.filter(patient=patient, care_session=care_session).aggregate(top=Max("position"))["top"]
    return 0 if last is None else last + 1


def agenda_item_add(
    *,
    patient: Patient,
    text: str,
    source: str,
    raised_by: User | None,
    source_ref: str = "",
    care_session: CareSession | None = None,
) -> AgendaItem:
    """Put something on the patient's agenda: the given session, or their next one.

    This is how higher apps push record items (questions, story passages, explanations, setbacks,
    check-in notes, "how our sessions are going") onto the agenda. Items from the record carry a
    ``source_ref``; adding the same one again returns the existing item instead of a duplicate.
    """
    if source not in (AgendaSource.PATIENT, AgendaSource.CLINICIAN):
        # A record item (a check-in note or question may be up to 2,000 characters) is never refused
        # for its length: the agenda shows the start, and the whole text stays in the record.
        text = (text or "").strip()
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    text = _clean_text(
        text, field="text", limit=TEXT_LIMIT, required=True, empty_message="Please say what you'd like to talk about."
    )
    if source not in AgendaSource.values:
        raise ValidationError({"source": "Unknown source."})
    if care_session is None or care_session.status != SessionStatus.SCHEDULED:
        care_session = (
            _next_session(patient=patient)
            if care_session is None
            else _next_session(patient=patient, after=care_session)
        )
    elif care_session.patient_id != patient.pk:
        raise PermissionDenied
    if source_ref:
        existing = AgendaItem.objects.filter(patient=patient, source=source, source_ref=source_ref).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return AgendaItem.objects.create(
                patient=patient,
                care_session=care_session,
                text=text,
                source=source,
                source_ref=source_ref,
                raised_by=raised_by,
                position=_end_position(patient=patient, care_session=care_session),
            )
    except IntegrityError:
        # Two pushes of the same record item raced; the first one stands.
        existing = AgendaItem.objects.filter(patient=patient, source=source, source_ref=source_ref).first()
        if existing is None:
            raise
        return existing


def agenda_item_settle(*, patient: Patient, source: str, source_ref: str) -> int:
    """Mark a record item's agenda entry as talked about (the record says so). Returns how many changed."""
    return AgendaItem.objects.filter(patient=patient, source=source, source_ref=source_ref).update(
        status=AgendaStatus.DISCUSSED
    )


def agenda_item_retract(*, patient: Patient, source: str, source_ref: str) -> int:
    """Take a withdrawn record item off the agenda, unless it has already been talked about."""
    deleted, _ = (
        AgendaItem.objects.filter(patient=patient, source=source, source_ref=source_ref)
        .exclude(status=AgendaStatus.DISCUSSED)
        .exclude(entries__outcome=EntryOutcome.DISCUSSED)
        .delete()
    )
    return deleted


def agenda_item_raise(*, by: User, care_session: CareSession, text: str) -> AgendaItem:
    """The patient or their clinician adds an item to a session's agenda by hand."""
    check_takes_part(user=by, patient=care_session.patient)
    if care_session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            {"text": "This session is no longer open for new items. You can add it to the next one instead."}
        )
    source = AgendaSource.PATIENT if by.role == Role.PATIENT else AgendaSource.CLINICIAN
    return agenda_item_add(
        patient=care_session.patient, text=text, source=source, raised_by=by, care_session=care_session
    )


def agenda_item_move(*, by: User, item: AgendaItem, direction: str) -> AgendaItem:
    """Move an item one place up or down among the items still to talk about. Either side may."""
    check_takes_part(user=by, patient=item.patient)
    if direction not in ("up", "down"):
        raise ValidationError("Choose up or down.")
    if item.status not in ACTIVE:
        raise ValidationError("This item has already been talked about.")
    with transaction.atomic():
        siblings = list(
            AgendaItem.objects.select_for_update()
            .filter(patient_id=item.patient_id, care_session_id=item.care_session_id, status__in=ACTIVE)
            .order_by("position", "created_at", "pk")
        )
        index = next((i for i, sibling in enumerate(siblings) if sibling.pk == item.pk), None)
        if index is None:
            raise ValidationError("This item has moved on since the page was loaded.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(siblings):
            siblings[index], siblings[other] = siblings[other], siblings[index]
        # Renumbering the whole list heals any ties left by concurrent adds.
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                sibling.position = position
                sibling.save(update_fields=["position"])
    item.refresh_from_db()
    return item


def _park(*, by: User, item: AgendaItem, at: CareSession) -> AgendaItem:
    AgendaEntry.objects.update_or_create(
        care_session=at,
        agenda_item=item,
        defaults={"outcome": EntryOutcome.PARKED, "led_by": "", "agreed": "", "recorded_by": by},
    )
    target = _next_session(patient=item.patient, after=at)
    item.status = AgendaStatus.PARKED
    item.parked_from = at
    item.care_session = target
    item.position = _end_position(patient=item.patient, care_session=target)
    item.save(update_fields=["status", "parked_from", "care_session", "position"])
    return item


def agenda_item_park(*, by: User, item: AgendaItem) -> AgendaItem:
    """The clinician parks an item for later: it moves to the next session, and this one says so."""
    check_care_team(user=by, patient=item.patient)
    at = item.care_session
    if item.status not in ACTIVE or at is None:
        raise ValidationError("Only an item waiting on a session's agenda can be parked.")
    if at.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE):
        raise ValidationError("This session didn't go ahead; its items have already moved on.")
    with transaction.atomic():
        return _park(by=by, item=item, at=at)


def agenda_carry_forward(*, care_session: CareSession) -> int:
    """A session that didn't happen hands its open items to the patient's next one (or to the wait)."""
    target = _next_session(patient=care_session.patient, after=None)
    if target is not None and target.pk == care_session.pk:
        target = _next_session(patient=care_session.patient, after=care_session)
    moved = 0
    with transaction.atomic():
        start = _end_position(patient=care_session.patient, care_session=target)
        items = AgendaItem.objects.select_for_update().filter(care_session=care_session, status__in=ACTIVE)
        for offset, item in enumerate(items.order_by("position", "pk")):
            item.care_session = target
            item.position = start + offset
            item.save(update_fields=["care_session", "position"])
            moved += 1
    return moved


def agenda_attach_waiting(*, care_session: CareSession) -> int:
    """When a session is booked and it is the patient's next one, waiting items join its agenda."""
    if _next_session(patient=care_session.patient) != care_session:
        return 0
    with transaction.atomic():
        start = _end_position(patient=care_session.patient, care_session=care_session)
        waiting = AgendaItem.objects.select_for_update().filter(
            patient=care_session.patient, care_session__isnull=True, status__in=ACTIVE
        )
        count = 0
        for offset, item in enumerate(waiting.order_by("created_at", "pk")):
            item.care_session = care_session
            item.position = start + offset
            item.save(update_fields=["care_session", "position"])
            count += 1
    return count


# --- The session record ----------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    """What the clinician records about one agenda item."""

    item_id: int
    outcome: str
    led_by: str = ""
    agreed: str = ""


def _entry_field(item_id: int, name: str) -> str:
    return f"item-{item_id}-{name}"


def session_record_items(*, care_session: CareSession) -> list[AgendaItem]:
    """The items the record covers: those still on the session and those already recorded there."""
    on_session = AgendaItem.objects.filter(care_session=care_session)
    recorded = AgendaItem.objects.filter(entries__care_session=care_session, entries__outcome=EntryOutcome.DISCUSSED)
    items = (on_session | recorded).distinct().select_related("raised_by")
    return sorted(items, key=lambda item: (item.position, item.created_at, item.pk))


def session_record_save(
    *,
    by: User,
    care_session: CareSession,
    summary: str,
    next_steps: str,
    entries: list[EntryInput],
) -> SessionRecord:
    """Record the session: each item's lead and agreement (or that it's parked), the summary, next steps.

    All or nothing. The session becomes "happened". Saving again updates what was recorded.
    """
    check_care_team(user=by, patient=care_session.patient)
    if care_session.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE):
        raise ValidationError("This session didn't go ahead, so there's nothing to record.")
    if care_session.starts_at > timezone.now():
        raise ValidationError("You can record this session once it has started.")
    errors: dict[str, list[str]] = {}

    def collect(callable_):
        try:
            return callable_()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    summary = collect(
        lambda: _clean_text(
            summary,
            field="summary",
            limit=SUMMARY_LIMIT,
            required=True,
            empty_message="Please write a short summary. A few plain sentences are enough.",
        )
    )
    next_steps = collect(
        lambda: _clean_text(next_steps, field="next_steps", limit=SUMMARY_LIMIT, required=False, empty_message="")
    )
    items = {item.pk: item for item in session_record_items(care_session=care_session)}
    given = {entry.item_id: entry for entry in entries}
    cleaned: list[tuple[AgendaItem, EntryInput, str]] = []
    for item_id, item in items.items():
        entry = given.get(item_id)
        if entry is None or entry.outcome not in EntryOutcome.values:
            errors.setdefault(_entry_field(item_id, "outcome"), []).append(
                "Please say whether this was talked about or parked for later."
            )
            continue
        if entry.outcome == EntryOutcome.DISCUSSED and entry.led_by not in LedBy.values:
            errors.setdefault(_entry_field(item_id, "led_by"), []).append(
                "Please say who led this part: the patient, you, or both together."
            )
        agreed = collect(
            lambda entry=entry, item_id=item_id: _clean_text(
                entry.agreed,
                field=_entry_field(item_id, "agreed"),
                limit=AGREED_LIMIT,
                required=False,
                empty_message="",
            )
        )
        cleaned.append((item, entry, agreed or ""))
    unknown = set(given) - set(items)
    if unknown:
        errors.setdefault("__all__", []).append("Some items have moved on since the page was loaded; please check.")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        CareSession.objects.select_for_update().filter(pk=care_session.pk).first()
        for item, entry, agreed in cleaned:
            if entry.outcome == EntryOutcome.PARKED:
                if item.care_session_id == care_session.pk:
                    _park(by=by, item=item, at=care_session)
                continue
            AgendaEntry.objects.update_or_create(
                care_session=care_session,
                agenda_item=item,
                defaults={
                    "outcome": EntryOutcome.DISCUSSED,
                    "led_by": entry.led_by,
                    "agreed": agreed,
                    "recorded_by": by,
                    "recorded_at": timezone.now(),
                },
            )
            item.status = AgendaStatus.DISCUSSED
            item.care_session = care_session
            item.save(update_fields=["status", "care_session"])
        record, created = SessionRecord.objects.get_or_create(
            care_session=care_session,
            defaults={"summary": summary, "next_steps": next_steps, "written_by": by},
        )
        if not created:
            record.summary, record.next_steps, record.written_by = summary, next_steps, by
            record.save(update_fields=["summary", "next_steps", "written_by", "updated_at"])
        if care_session.status != SessionStatus.DONE:
            care_session.status = SessionStatus.DONE
            care_session.save(update_fields=["status", "updated_at"])
    return record


def session_takeaway_save(*, by: User, care_session: CareSession, text: str) -> SessionRecord:
    """The patient's own "what I took from today", added beside the clinician's summary."""
    check_is_patient(user=by, patient=care_session.patient)
    record = SessionRecord.objects.filter(care_session=care_session).first()
    if record is None:
        raise ValidationError("Your clinician hasn't shared a summary of this session yet.")
    text = _clean_text(
        text,
        field="text",
        limit=TAKEAWAY_LIMIT,
        required=True,
        empty_message="Please write a few words, or come back to this another time.",
    )
    record.patient_takeaway = text
    record.takeaway_at = timezone.now()
    record.save(update_fields=["patient_takeaway", "takeaway_at", "updated_at"])
    return record

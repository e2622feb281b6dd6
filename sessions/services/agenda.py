"""The shared agenda and the session record: raise, reorder, park, record, and carry forward.

Nothing put on an agenda is dropped. An item is talked about (and recorded as such), or it moves on:
parked by the clinician, or carried because its session was missed or cancelled. Items that arrive
while no session is booked wait, and join the next session when one is booked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
from sessions.services.access import check_care_team, check_is_patient, check_takes_part, is_on_care_team

# Still to talk about on an appointment's agenda. Parked items wait in the patient's own parked list.
ACTIVE = (AgendaStatus.OPEN,)


def _clean_text(value: str | None, *, field: str, limit: int, required: bool, empty_message: str) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: empty_message})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("Please keep this under %(limit)s characters (it's %(length)s now).")
                % {
                    "limit": f"{limit:,}",
                    "length": f"{len(text):,}",
                }
            }
        )
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


@contextmanager
def in_patients_language(patient: Patient) -> Iterator[None]:
    """Translate into the patient's language: the one on their account, else the one in use now."""
    with translation.override(patient.user.language or translation.get_language()):
        yield


def agenda_item_add(
    *,
    patient: Patient,
    text: str | Callable[[], str],
    source: str,
    raised_by: User | None,
    source_ref: str = "",
    care_session: CareSession | None = None,
) -> AgendaItem:
    """Put something on the patient's agenda: the given session, or their next one.

    This is how higher apps push record items (questions, story passages, explanations, setbacks,
    check-in notes, "how our sessions are going") onto the agenda. Items from the record carry a
    ``source_ref``; adding the same one again returns the existing item instead of a duplicate.

    Words Alliance writes itself ("Still unclear: …") are given as a function making them: it is called
    in the patient's language (``in_patients_language``), whoever's action put the item there.
    """
    if callable(text):
        with in_patients_language(patient):
            text = text()
    if source not in (AgendaSource.PATIENT, AgendaSource.CLINICIAN):
        # A record item (a check-in note or question may be up to 2,000 characters) is never refused
        # for its length: the agenda shows the start, and the whole text stays in the record.
        text = (text or "").strip()
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    text = _clean_text(
        text,
        field="text",
        limit=TEXT_LIMIT,
        required=True,
        empty_message=_("Please say what you'd like to talk about."),
    )
    if source not in AgendaSource.values:
        raise ValidationError({"source": _("Unknown source.")})
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
        status=AgendaStatus.DISCUSSED, merged_into=None
    )


def agenda_item_retract(*, patient: Patient, source: str, source_ref: str) -> int:
    """Take a withdrawn record item off the agenda, unless it has already been talked about.

    Items that were marked "same as" this one go back to being open items of their own.
    """
    going = (
        AgendaItem.objects.filter(patient=patient, source=source, source_ref=source_ref)
        .exclude(status=AgendaStatus.DISCUSSED)
        .exclude(entries__outcome=EntryOutcome.DISCUSSED)
    )
    with transaction.atomic():
        AgendaItem.objects.filter(merged_into__in=going.values("pk")).update(
            status=AgendaStatus.OPEN, merged_into=None, marked_by=None, marked_at=None
        )
        deleted = AgendaItem.objects.filter(pk__in=going.values("pk")).delete()[0]
    return deleted


def agenda_item_raise(*, by: User, care_session: CareSession, text: str) -> AgendaItem:
    """The patient or their clinician adds an item to a session's agenda by hand."""
    check_takes_part(user=by, patient=care_session.patient)
    if care_session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            {"text": _("This session is no longer open for new items. You can add it to the next one instead.")}
        )
    source = AgendaSource.PATIENT if by.role == Role.PATIENT else AgendaSource.CLINICIAN
    return agenda_item_add(
        patient=care_session.patient, text=text, source=source, raised_by=by, care_session=care_session
    )


def agenda_item_move(*, by: User, item: AgendaItem, direction: str) -> AgendaItem:
    """Move an item one place up or down among the items still to talk about. Either side may."""
    check_takes_part(user=by, patient=item.patient)
    if direction not in ("up", "down"):
        raise ValidationError(_("Choose up or down."))
    if item.status not in ACTIVE:
        raise ValidationError(_("This item has already been talked about."))
    with transaction.atomic():
        siblings = list(
            AgendaItem.objects.select_for_update()
            .filter(patient_id=item.patient_id, care_session_id=item.care_session_id, status__in=ACTIVE)
            .order_by("position", "created_at", "pk")
        )
        index = next((i for i, sibling in enumerate(siblings) if sibling.pk == item.pk), None)
        if index is None:
            raise ValidationError(_("This item has moved on since the page was loaded."))
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


def agenda_item_is_patients(item: AgendaItem) -> bool:
    """Whether the patient raised this item themself (by hand, a question, a check-in note...)."""
    return item.raised_by_id is not None and item.raised_by_id == item.patient.user_id


def agenda_item_may_settle(*, by: User, item: AgendaItem) -> bool:
    """Who may mark an item answered already, same as another, or park it (and bring it back).

    A clinician on the care team may settle any item. The patient may settle only items they raised
    themself: never the clinician's, and nothing of theirs is settled for them except by the care team.
    """
    if is_on_care_team(user=by, patient=item.patient):
        return True
    return by.role == Role.PATIENT and by.pk == item.patient.user_id and agenda_item_is_patients(item)


def _check_may_settle(*, by: User, item: AgendaItem) -> None:
    check_takes_part(user=by, patient=item.patient)
    if not agenda_item_may_settle(by=by, item=item):
        raise PermissionDenied


def _check_open_on_session(item: AgendaItem) -> CareSession:
    at = item.care_session
    if item.status != AgendaStatus.OPEN or at is None:
        raise ValidationError(_("This item has moved on since the page was loaded."))
    if at.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE):
        raise ValidationError(_("This session didn't go ahead; its items have already moved on."))
    return at


def _locked(item: AgendaItem) -> AgendaItem:
    return AgendaItem.objects.select_for_update(of=("self",)).select_related("care_session", "patient").get(pk=item.pk)


def _mark(item: AgendaItem, *, by: User, status: str, fields: tuple[str, ...] = ()) -> None:
    item.status, item.marked_by, item.marked_at = status, by, timezone.now()
    item.save(update_fields=["status", "marked_by", "marked_at", *fields])


def agenda_item_answer(*, by: User, item: AgendaItem) -> AgendaItem:
    """Mark an open item "answered already": it leaves the list to talk about and shows as answered.

    Raises ``PermissionDenied`` for someone who may not settle it, ``ValidationError`` if it is no
    longer open on a session's agenda.
    """
    _check_may_settle(by=by, item=item)
    with transaction.atomic():
        item = _locked(item)
        _check_open_on_session(item)
        _mark(item, by=by, status=AgendaStatus.ANSWERED)
    return item


def agenda_item_merge(*, by: User, item: AgendaItem, into_id) -> AgendaItem:
    """Mark ``item`` "same as" another open item of the same appointment; it then shows under that one.

    Items already merged into ``item`` move with it, so nothing is lost. The patient may merge only
    their own items (into any item). Raises ``ValidationError`` for a target that isn't open on the
    same appointment (or is the item itself).
    """
    _check_may_settle(by=by, item=item)
    with transaction.atomic():
        item = _locked(item)
        _check_open_on_session(item)
        try:
            into_pk = int(into_id)
        except (TypeError, ValueError):
            into_pk = None
        into = (
            AgendaItem.objects.filter(
                pk=into_pk, care_session_id=item.care_session_id, status=AgendaStatus.OPEN, patient_id=item.patient_id
            )
            .exclude(pk=item.pk)
            .first()
        )
        if into is None:
            raise ValidationError({"into": _("Please choose another item still to talk about at this appointment.")})
        AgendaItem.objects.filter(merged_into=item).update(merged_into=into)
        item.merged_into = into
        _mark(item, by=by, status=AgendaStatus.MERGED, fields=("merged_into",))
    return item


def _park(*, by: User, item: AgendaItem, at: CareSession) -> AgendaItem:
    AgendaEntry.objects.update_or_create(
        care_session=at,
        agenda_item=item,
        defaults={"outcome": EntryOutcome.PARKED, "led_by": "", "agreed": "", "recorded_by": by},
    )
    item.parked_from = at
    item.care_session = None
    item.position = 0
    _mark(item, by=by, status=AgendaStatus.PARKED, fields=("parked_from", "care_session", "position"))
    return item


def agenda_item_park(*, by: User, item: AgendaItem) -> AgendaItem:
    """Park an item for later: it leaves this appointment's agenda for the patient's parked list.

    Either side may park an item they may settle (the patient only their own). It stays parked,
    never dropped, until someone brings it back to an appointment.
    """
    _check_may_settle(by=by, item=item)
    with transaction.atomic():
        item = _locked(item)
        at = _check_open_on_session(item)
        return _park(by=by, item=item, at=at)


def agenda_item_bring_back(*, by: User, item: AgendaItem, care_session: CareSession) -> AgendaItem:
    """Put a parked, answered or merged item back on a scheduled appointment's agenda, at the end.

    An item brought to a later appointment than the one it was on counts as carried once more.
    """
    _check_may_settle(by=by, item=item)
    if care_session.patient_id != item.patient_id:
        raise PermissionDenied
    if care_session.status != SessionStatus.SCHEDULED:
        raise ValidationError(_("That appointment is no longer open for new items."))
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update(of=("self",)).select_related("patient").get(pk=item.pk)
        if item.status not in (AgendaStatus.PARKED, AgendaStatus.ANSWERED, AgendaStatus.MERGED):
            raise ValidationError(_("This item has moved on since the page was loaded."))
        was_on = item.parked_from_id if item.status == AgendaStatus.PARKED else item.care_session_id
        if was_on is not None and was_on != care_session.pk:
            item.times_carried += 1
        item.status, item.merged_into, item.care_session = AgendaStatus.OPEN, None, care_session
        item.position = _end_position(patient=item.patient, care_session=care_session)
        item.marked_by, item.marked_at = None, None
        item.save(
            update_fields=[
                "status",
                "merged_into",
                "care_session",
                "position",
                "times_carried",
                "marked_by",
                "marked_at",
            ]
        )
    return item


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
            item.times_carried += 1
            item.save(update_fields=["care_session", "position", "times_carried"])
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
    """What the clinician records about one agenda item: talked about or not, who led, what was agreed."""

    item_id: int
    talked: bool
    led_by: str = ""
    agreed: str = ""


def _entry_field(item_id: int, name: str) -> str:
    return f"item-{item_id}-{name}"


def led_by_default(item: AgendaItem) -> str:
    """Whoever raised an item led it, unless the clinician says otherwise."""
    return LedBy.PATIENT if agenda_item_is_patients(item) else LedBy.CLINICIAN


def session_record_items(*, care_session: CareSession) -> list[AgendaItem]:
    """The items the record covers: those still open on the session and those already recorded there,
    each with ``merged`` (the items marked "same as" it)."""
    on_session = AgendaItem.objects.filter(care_session=care_session, status=AgendaStatus.OPEN)
    recorded = AgendaItem.objects.filter(entries__care_session=care_session, entries__outcome=EntryOutcome.DISCUSSED)
    items = (
        (on_session | recorded)
        .distinct()
        .select_related("raised_by", "patient")
        .prefetch_related(
            Prefetch(
                "merged_items",
                queryset=AgendaItem.objects.filter(status=AgendaStatus.MERGED).order_by("created_at", "pk"),
                to_attr="merged",
            )
        )
    )
    return sorted(items, key=lambda item: (item.position, item.created_at, item.pk))


def _carry(*, item: AgendaItem, from_session: CareSession) -> None:
    """An item not talked about at a session that happened goes on to the next appointment."""
    target = _next_session(patient=item.patient, after=from_session)
    item.status = AgendaStatus.OPEN
    item.care_session = target
    item.position = _end_position(patient=item.patient, care_session=target)
    item.times_carried += 1
    item.save(update_fields=["status", "care_session", "position", "times_carried"])


def session_record_save(
    *,
    by: User,
    care_session: CareSession,
    summary: str,
    next_steps: str,
    entries: list[EntryInput],
) -> SessionRecord:
    """Record the session in one go: the items talked about (each with who led it and what was agreed),
    the summary and next steps.

    Items not ticked as talked about are carried to the patient's next appointment (never parked).
    All or nothing; the session becomes "happened". Saving again updates what was recorded, and an
    item no longer ticked is carried on again. ``ValidationError`` keys are ``summary``,
    ``next_steps`` and ``item-<pk>-led_by`` / ``item-<pk>-agreed``.
    """
    check_care_team(user=by, patient=care_session.patient)
    if care_session.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE):
        raise ValidationError(_("This session didn't go ahead, so there's nothing to record."))
    if care_session.starts_at > timezone.now():
        raise ValidationError(_("You can record this session once it has started."))
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
            empty_message=_("Please write a short summary. A few plain sentences are enough."),
        )
    )
    next_steps = collect(
        lambda: _clean_text(next_steps, field="next_steps", limit=SUMMARY_LIMIT, required=False, empty_message="")
    )
    items = {item.pk: item for item in session_record_items(care_session=care_session)}
    given = {entry.item_id: entry for entry in entries}
    cleaned: list[tuple[AgendaItem, EntryInput | None, str]] = []
    for item_id, item in items.items():
        entry = given.get(item_id)
        if entry is None or not entry.talked:
            if entry is not None and (entry.agreed or "").strip():
                errors.setdefault(_entry_field(item_id, "agreed"), []).append(
                    _("You wrote what was agreed: please tick this item as talked about, or clear the words.")
                )
            cleaned.append((item, None, ""))
            continue
        if entry.led_by not in LedBy.values:
            errors.setdefault(_entry_field(item_id, "led_by"), []).append(
                _("Please say who led this part: the patient, you, or both together.")
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
        errors.setdefault("__all__", []).append(_("Some items have moved on since the page was loaded; please check."))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        CareSession.objects.select_for_update().filter(pk=care_session.pk).first()
        for item, entry, agreed in cleaned:
            if entry is None:
                was_recorded = AgendaEntry.objects.filter(
                    care_session=care_session, agenda_item=item, outcome=EntryOutcome.DISCUSSED
                ).delete()[0]
                if item.care_session_id == care_session.pk or was_recorded:
                    _carry(item=item, from_session=care_session)
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
        raise ValidationError(_("Your clinician hasn't shared a summary of this session yet."))
    text = _clean_text(
        text,
        field="text",
        limit=TAKEAWAY_LIMIT,
        required=True,
        empty_message=_("Please write a few words, or come back to this another time."),
    )
    record.patient_takeaway = text
    record.takeaway_at = timezone.now()
    record.save(update_fields=["patient_takeaway", "takeaway_at", "updated_at"])
    return record

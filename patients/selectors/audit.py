"""Reads of the audit trail, and the note of which patient a request showed.

**Noting a read.** ``ReadAuditMiddleware`` opens a note for each GET; ``scoped_get`` (through which every
page fetches what it shows) adds the patient of each object it hands out with ``read_note``. After the
response, if it showed something (2xx), the middleware writes one ``AuditEvent`` per patient in one
INSERT. Reading the note costs nothing: the patient comes from the object already loaded.

**The trail.** ``audit_trail`` puts ``AuditEvent`` rows and every tracked model's pghistory events
side by side, as one ``UNION ALL`` of rows of the same shape (``TRAIL_COLUMNS``), filtered inside each
part so PostgreSQL uses each table's indexes. Each row is a dict:

- ``when`` (aware datetime), ``kind`` (an ``AuditKind`` value);
- ``actor_id`` (a User id or None for the system), ``actor_role`` (an ``ActorRole`` value, "" for changes);
- ``patient_id``, ``clinic_id``;
- ``page`` (a URL name), ``path`` (the address), ``detail`` (words, or pghistory's insert/update/delete);
- ``model`` ("alliance.Question") and ``object_id`` for changes, with ``after`` and ``before`` (the
  row's values after the change and before it, as dicts; ``before`` is None for a new row).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import BigIntegerField, Count, F, JSONField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, JSONObject, TruncDate
from django.http import Http404
from django.utils import timezone

from patients.models import TRACKED, AuditEvent, AuditKind, Clinic, Patient, Role, Tracked, User

# --- noting which patient a request showed ---------------------------------------------------------

_shown: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("alliance_audit_shown", default=None)


def read_note_start() -> contextvars.Token:
    """Start noting the patients this request shows (the middleware's half)."""
    return _shown.set(set())


def read_note_stop(token: contextvars.Token) -> set[int]:
    """Stop noting; the ids of the patients shown."""
    shown = _shown.get() or set()
    _shown.reset(token)
    return shown


def _cached_patient_id(obj: models.Model, depth: int = 2) -> int | None:
    """The patient an already-loaded object belongs to, without a query where the rows are at hand."""
    if isinstance(obj, Patient):
        return obj.pk
    patient_id = getattr(obj, "patient_id", None)
    if patient_id is not None:
        return patient_id
    if depth > 1:
        for cached in obj._state.fields_cache.values():
            if isinstance(cached, models.Model) and not isinstance(cached, User):
                found = _cached_patient_id(cached, depth - 1)
                if found is not None:
                    return found
    return None


def patient_id_of(obj: models.Model) -> int | None:
    """Whose data ``obj`` is: a patient's id, or None when it is nobody's in particular."""
    if isinstance(obj, User):
        profile = obj.patient_profile
        return profile.pk if profile is not None else None
    found = _cached_patient_id(obj)
    if found is not None:
        return found
    tracked = TRACKED.get(obj._meta.label)
    if tracked is None or not tracked.patient.startswith("pgh_obj__"):
        # Event paths name the tracked model's own fields, except those through ``pgh_obj``.
        path = tracked.patient if tracked is not None else None
    else:
        path = tracked.patient.removeprefix("pgh_obj__")
    if path is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).values_list(path, flat=True).first()


def read_note(obj: models.Model) -> None:
    """Note that this request shows ``obj`` (only while a request is being noted)."""
    shown = _shown.get()
    if shown is None:
        return
    patient_id = patient_id_of(obj)
    if patient_id is not None:
        shown.add(patient_id)


# --- the trail -------------------------------------------------------------------------------------------

TRAIL_COLUMNS = (
    "when",
    "kind",
    "actor_id",
    "actor_role",
    "patient_id",
    "clinic_id",
    "page",
    "path",
    "detail",
    "model",
    "object_id",
    "after",
    "before",
)
# Inside the query every column carries this prefix, so no name meets a field of a tracked model.
PREFIX = "trail_"
_NONE_JSON = Cast(Value(None), JSONField())
_NONE_INT = Cast(Value(None), BigIntegerField())


@dataclass(frozen=True)
class TrailFilters:
    """What part of the trail to show. ``clinic`` None means every clinic (no product page asks for that)."""

    clinic: Clinic | None = None
    patient: Patient | None = None
    actor: User | None = None
    kind: str = ""
    start: datetime | None = None
    end: datetime | None = None  # exclusive


def _tracked_fields(tracked: Tracked) -> list[str]:
    base = {f.name for f in tracked.model._meta.local_fields}
    return [f.attname for f in tracked.event_model._meta.local_fields if f.name in base]


def _prefixed(columns: dict) -> dict:
    return {PREFIX + name: expression for name, expression in columns.items()}


def _part(rows: QuerySet, columns: dict, filters: TrailFilters, extra: dict, only_extra: bool = False) -> QuerySet:
    rows = rows.annotate(**_prefixed(columns))
    wanted = {
        "clinic_id": filters.clinic.pk if filters.clinic is not None else None,
        "patient_id": filters.patient.pk if filters.patient is not None else None,
        "actor_id": filters.actor.pk if filters.actor is not None else None,
        "kind": filters.kind or None,
    }
    rows = rows.filter(**{PREFIX + name: value for name, value in wanted.items() if value is not None})
    if filters.start is not None:
        rows = rows.filter(**{f"{PREFIX}when__gte": filters.start})
    if filters.end is not None:
        rows = rows.filter(**{f"{PREFIX}when__lt": filters.end})
    rows = rows.annotate(**extra)
    return rows.values(*extra) if only_extra else rows.values(*_prefixed(columns), *extra)


def _event_part(tracked: Tracked, filters: TrailFilters, extra: dict, only_extra: bool) -> QuerySet:
    fields = _tracked_fields(tracked)
    values = {name: F(name) for name in fields}
    previous = (
        tracked.event_model.objects.filter(pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id"))
        .order_by("-pgh_id")
        .values(snapshot=JSONObject(**values))[:1]
    )
    columns = {
        "when": F("pgh_created_at"),
        "kind": Value(AuditKind.CHANGE.value, output_field=models.CharField()),
        "actor_id": Cast(KeyTextTransform("user", "pgh_context"), BigIntegerField()),
        "actor_role": Value("", output_field=models.CharField()),
        "patient_id": F(tracked.patient),
        "clinic_id": F(tracked.clinic) if isinstance(tracked.clinic, str) else tracked.clinic,
        "page": Value("", output_field=models.CharField()),
        "path": Cast(KeyTextTransform("url", "pgh_context"), models.CharField()),
        "detail": Cast("pgh_label", models.CharField()),
        "model": Value(tracked.model._meta.label, output_field=models.CharField()),
        "object_id": Cast("pgh_obj_id", BigIntegerField()),
        "after": JSONObject(**values),
        "before": Subquery(previous, output_field=JSONField()),
    }
    return _part(tracked.event_model.objects.all(), columns, filters, extra, only_extra)


def _audit_part(filters: TrailFilters, extra: dict, only_extra: bool) -> QuerySet:
    columns = {
        "when": F("at"),
        "kind": Cast("kind", models.CharField()),
        "actor_id": F("actor_id"),
        "actor_role": Cast("actor_role", models.CharField()),
        "patient_id": F("patient_id"),
        "clinic_id": F("clinic_id"),
        "page": Cast("page", models.CharField()),
        "path": Cast("path", models.CharField()),
        "detail": Cast("detail", models.CharField()),
        "model": Value("", output_field=models.CharField()),
        "object_id": _NONE_INT,
        "after": _NONE_JSON,
        "before": _NONE_JSON,
    }
    return _part(AuditEvent.objects.all(), columns, filters, extra, only_extra)


def audit_trail(*, filters: TrailFilters, extra: dict | None = None, only_extra: bool = False) -> QuerySet:
    """The trail as one query, newest first (see the module docstring); read its rows with ``trail_rows``.

    ``extra`` adds columns, as expressions over the prefixed names (``OuterRef("trail_actor_id")``),
    for an export's names and pseudonyms. Reads, exports, sign-ins and factor resets come from
    ``AuditEvent``; changes from the tracked models' events. Slice it to page it; ``.count()``
    counts it in one query. With ``only_extra`` the rows hold the extra columns alone, oldest first
    by the first of them (an export's own columns, its first being when).
    """
    extra = extra or {}
    parts = []
    if filters.kind in ("", AuditKind.CHANGE):
        parts.extend(_event_part(tracked, filters, extra, only_extra) for tracked in TRACKED.values())
    if filters.kind != AuditKind.CHANGE:
        parts.append(_audit_part(filters, extra, only_extra))
    first, *rest = parts
    return first.union(*rest, all=True).order_by(next(iter(extra)) if only_extra else f"-{PREFIX}when")


def trail_rows(rows) -> list[dict]:
    """Rows of ``audit_trail`` as dicts keyed by ``TRAIL_COLUMNS`` (and any extra columns)."""
    return [{key.removeprefix(PREFIX): value for key, value in row.items()} for row in rows]


def audit_trail_for_admin(*, user: User, filters: TrailFilters) -> QuerySet:
    """The trail of a clinic admin's own clinic (whatever clinic ``filters`` names), else nothing."""
    if user.role != Role.CLINIC_ADMIN:
        return AuditEvent.objects.none().values()
    clinic = user.clinic_admin.clinic
    return audit_trail(
        filters=TrailFilters(
            clinic=clinic,
            patient=filters.patient if filters.patient and filters.patient.clinic_id == clinic.pk else None,
            actor=filters.actor,
            kind=filters.kind,
            start=filters.start,
            end=filters.end,
        )
    )


def audit_events_for_patient(*, patient: Patient, everything: bool = False) -> QuerySet:
    """What the patient is shown under "Who has looked at my record": staff reads of their record.

    Newest first, one ``AuditEvent`` per request, with ``actor`` loaded; never the patient's own
    reads or actions. ``everything=True`` gives the whole trail about them instead (changes
    included, as ``audit_trail`` rows), for an admin or a subject-access export.
    """
    if everything:
        return audit_trail(filters=TrailFilters(patient=patient))
    return (
        AuditEvent.objects.filter(patient=patient, kind__in=(AuditKind.READ, AuditKind.EXPORT))
        .exclude(actor_id=patient.user_id)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def who_looked_groups(*, patient: Patient, tz) -> QuerySet:
    """The "who has looked" list as the patient reads it: one row per staff member, role, kind (a
    read or a download) and day in ``tz`` (the patient's zone), newest day first.

    Rows are dicts: ``day`` (date), ``actor_id``, ``actor_name`` (None for Alliance itself),
    ``actor_role``, ``kind``, ``times`` (how many entries), ``latest_at`` and ``latest_pk`` (the
    newest entry of the group, which "Ask about this" names). One query per page, however many rows.
    """
    return (
        audit_events_for_patient(patient=patient)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values("day", "actor_id", "actor_role", "kind")
        .annotate(actor_name=F("actor__full_name"), times=Count("pk"), latest_at=Max("at"), latest_pk=Max("pk"))
        .order_by("-day", "-latest_at", "-latest_pk")
    )


def who_looked_group_size(*, patient: Patient, entry: AuditEvent, tz) -> int:
    """How many entries share ``entry``'s staff member, role, kind and day (in ``tz``): its group's ``times``."""
    return (
        audit_events_for_patient(patient=patient)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .filter(
            day=timezone.localtime(entry.at, tz).date(),
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            kind=entry.kind,
        )
        .count()
    )


def audit_event_for_patient_get(*, patient: Patient, pk) -> AuditEvent:
    """One entry of the patient's "who has looked" list, or ``Http404``."""
    try:
        return audit_events_for_patient(patient=patient).get(pk=pk)
    except (AuditEvent.DoesNotExist, ValueError, TypeError):
        raise Http404("No such entry.") from None


def audit_people(rows: list[dict]) -> tuple[dict[int, User], dict[int, Patient]]:
    """The people named in a page of trail rows, in two queries whatever the number of rows."""
    actor_ids = {row["actor_id"] for row in rows if row["actor_id"]}
    patient_ids = {row["patient_id"] for row in rows if row["patient_id"]}
    actors = User.objects.select_related("patient", "clinician", "clinic_admin").in_bulk(actor_ids)
    patients = Patient.objects.select_related("user").in_bulk(patient_ids)
    return actors, patients


def audit_staff_choices(*, clinic: Clinic) -> QuerySet[User]:
    """People whose actions a clinic admin may filter by: the clinic's staff, and Alliance's support staff."""
    return (
        User.objects.filter(Q(clinician__clinic=clinic) | Q(clinic_admin__clinic=clinic) | Q(is_superuser=True))
        .order_by("full_name", "email")
        .distinct()
    )

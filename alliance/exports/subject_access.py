"""The complete copy for a subject access request, and the patient's released copy made from it.

The complete copy is everything the patient's own download has (``my_data.SOURCES``, section by
section, the same rows and labels), plus what that download leaves out: clinicians' private notes
(and their earlier wording) and the audit trail of who looked at or changed the record. An admin
reviews it item by item; the released copy is the complete one less the withheld items, with a list
of what was withheld and why.

The file is JSON. Each section is ``{"key", "title", "about", "available", "rows": [...]}`` and every
row keeps its ``id``, which is how a withheld item is named (section key + id). Times are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils import timezone

from alliance.exports.my_data import SOURCES, Source, _plain, _questionnaires, source_rows
from alliance.models import AccessRequest, PrivateNote, RecordRevision
from patients.models import ActorRole, AuditKind, Patient, User
from patients.selectors.audit import audit_events_for_patient, trail_rows

FORMAT = "alliance-subject-access"
FORMAT_VERSION = 1
AUDIT_SECTION = "audit_trail"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    about: str
    rows: Iterable[dict]
    available: bool = True


@dataclass(frozen=True)
class _NoteRevisions(Source):
    """Earlier wording of private notes only: the patient's download has every other kind."""

    def queryset(self, patient: Patient):
        return RecordRevision.objects.filter(patient=patient, item_kind=PrivateNote.kind)


PRIVATE_NOTES = Source(
    PrivateNote,
    title="Clinicians' private notes",
    about="Notes your clinicians kept for the care team. Alliance does not show these in the app.",
    patient="patient",
)
PRIVATE_NOTE_REVISIONS = _NoteRevisions(
    RecordRevision,
    title="Earlier wording of private notes",
    about="What a private note said before it was edited.",
    patient="patient",
)


def audit_trail_section(*, patient: Patient) -> Section:
    """The audit trail: who looked at, exported or changed this patient's record, and when.

    One row per entry of ``patients.selectors.audit.audit_events_for_patient(everything=True)``, oldest
    first: ``{"id", "when" (UTC), "kind", "who", "role", "page", "detail", "what", "object_id",
    "before", "after"}``; ``before``/``after`` are a changed row's values (changes only).
    """
    rows = trail_rows(audit_events_for_patient(patient=patient, everything=True))
    rows.reverse()
    names = dict(User.objects.filter(pk__in={row["actor_id"] for row in rows}).values_list("pk", "full_name"))
    roles = dict(ActorRole.choices)
    kinds = dict(AuditKind.choices)
    return Section(
        AUDIT_SECTION,
        title="Who looked at or changed your record",
        about=(
            "Every time someone at your clinic opened a page about you, took your data out of Alliance or "
            "changed your record, with who it was, their role and when; for a change, what it was before and after."
        ),
        rows=(
            {
                "id": number,
                "when": _plain(row["when"]),
                "kind": kinds.get(row["kind"], row["kind"]),
                "who": names.get(row["actor_id"], "Alliance itself") if row["actor_id"] else "Alliance itself",
                "role": roles.get(row["actor_role"], ""),
                "page": row["page"],
                "detail": row["detail"],
                "what": row.get("model") or "",
                "object_id": row.get("object_id"),
                "before": row.get("before"),
                "after": row.get("after"),
            }
            for number, row in enumerate(rows, start=1)
        ),
    )


def subject_access_sections(*, patient: Patient) -> Iterator[Section]:
    """Every section of the complete copy, in order: the patient's own download, then what it leaves out."""
    for source in SOURCES.values():
        yield Section(source.key, source.title, source.about, source_rows(source, patient))
    for source in (PRIVATE_NOTES, PRIVATE_NOTE_REVISIONS):
        yield Section(f"private:{source.key}", source.title, source.about, source_rows(source, patient))
    yield audit_trail_section(patient=patient)


def _dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()


def about_complete(*, request: AccessRequest) -> dict:
    return {
        "what_this_is": (
            "A complete copy of everything Alliance holds about you, prepared for your subject access request. "
            "Your clinic reviews it before it is released to you. Times are in UTC."
        ),
        "request_received": request.received_on.isoformat(),
        "answer_due_by": request.due_on.isoformat(),
    }


def subject_access_write(*, request: AccessRequest, out: BinaryIO) -> int:
    """Write the complete copy for ``request`` to ``out``; returns how many items (rows) it holds."""
    patient = request.patient
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "copy": "complete",
        "generated_at": _plain(timezone.now()),
        "clinic": patient.clinic.name,
        "patient": patient.user.full_name,
        "about_this_file": about_complete(request=request),
    }
    out.write(_dump(head)[:-2] + b',\n "questionnaires": ' + _dump(_questionnaires(patient)) + b',\n "sections": [')
    total = 0
    for index, section in enumerate(subject_access_sections(patient=patient)):
        meta = {"key": section.key, "title": section.title, "about": section.about, "available": section.available}
        out.write((b"\n" if index == 0 else b",\n") + _dump(meta)[:-2] + b',\n "rows": [')
        for count, row in enumerate(section.rows):
            out.write((b"\n" if count == 0 else b",\n") + _dump(row))
            total += 1
        out.write(b"]}")
    out.write(b"\n]}\n")
    return total


def subject_access_release(*, complete: dict, withheld: Iterable[dict], about: dict, out: BinaryIO) -> int:
    """Write the patient's copy: ``complete`` (the parsed complete copy) less the ``withheld`` items.

    ``withheld`` gives ``{"section", "section_title", "item_id", "reason"}`` for each item left out;
    the copy lists them, with their reasons, in place of the items. Returns the items it holds.
    """
    withheld = list(withheld)
    leave_out = {(item["section"], str(item["item_id"])) for item in withheld}
    released = {**complete, "copy": "released", "released_at": _plain(timezone.now()), "about_this_file": about}
    total = 0
    sections = []
    # A withheld item's own history (its changes in the audit trail, and the earlier wording of a note)
    # would say what the item says: it is left out with the item.
    withheld_objects = {(item["section"].split(":")[-1], str(item["item_id"])) for item in withheld}

    def about_withheld(row: dict) -> bool:
        what = (row.get("what") or "").lower()
        if (what, str(row.get("object_id"))) in withheld_objects:
            return True
        if what == "alliance.recordrevision":
            values = row.get("after") or row.get("before") or {}
            return (f"alliance.{values.get('item_kind', '')}", str(values.get("item_id"))) in withheld_objects
        return False

    for section in complete["sections"]:
        rows = [row for row in section["rows"] if (section["key"], str(row.get("id"))) not in leave_out]
        if section["key"] == AUDIT_SECTION:
            rows = [row for row in rows if not about_withheld(row)]
        total += len(rows)
        sections.append({**section, "rows": rows})
    released["sections"] = sections
    released["withheld"] = [
        {"section": item["section_title"], "item": str(item["item_id"]), "why": item["reason"]} for item in withheld
    ]
    out.write(_dump(released) + b"\n")
    return total

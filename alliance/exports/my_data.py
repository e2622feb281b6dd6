"""A patient's own data: everything Alliance holds about them, as JSON and as a FHIR Bundle.

This answers the UK GDPR rights of access (Article 15) and portability (Article 20). What goes into
the download is a registry, not a hand-written list of queries:

- ``include(Model, patient="path__to__patient")`` or ``include(Model, user="path__to__user")`` puts
  every row of that model that leads to the patient (or their account) into the download, under a
  plain-language title;
- ``exempt(Model, reason="…")`` records, with the reason, a model that links to people but holds
  nothing about this patient (a clinician's profile, a questionnaire's wording).

``tests/alliance/test_patient_data.py`` walks every installed model's foreign keys: a model that can
reach a ``Patient`` or a ``User`` and is in neither list fails the test, so a new model linked to a
patient cannot ship without a decision about the download. Adding one is one line below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import BinaryIO
from uuid import UUID

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential, WebAuthnUserHandle
from pghistory.models import MiddlewareEvents

from alliance.exports.fhir import People, checkin_entries, full_url, goal_entries, instant, write_bundle
from alliance.models import (
    AccessRequest,
    AccessRequestEvent,
    Alert,
    Answer,
    CheckIn,
    Decision,
    DecisionCheck,
    Explanation,
    ExplanationVersion,
    Export,
    FitResponse,
    Goal,
    GoalRating,
    Instrument,
    InstrumentVersion,
    NewsSeen,
    NewsVisit,
    Option,
    PrivateNote,
    Question,
    QuestionReply,
    RecordRevision,
    RecordVisit,
    Response,
    Setback,
    StepBackReview,
    StoryEntry,
    StoryPassage,
    StoryReflection,
    Win,
    WithheldItem,
)
from patients.models import (
    TRACKED,
    AuditEvent,
    CareTeamMembership,
    Clinic,
    ClinicAdmin,
    Clinician,
    FormSubmission,
    Invitation,
    LoginSession,
    Patient,
    User,
)
from sessions.models import (
    AgendaEntry,
    AgendaItem,
    CareSession,
    HomePlan,
    PlanItem,
    PracticeLog,
    Reminder,
    ReminderPreference,
    SessionRecord,
    SessionStatus,
    WorthRating,
)

FORMAT_VERSION = 1

# What the patient's own download leaves out and why, said in the file itself and on the page
# (templates/alliance/my_data/my_data.html says the same in the same words).
LEFT_OUT = [
    {
        "what": _("Your clinicians' private notes"),
        "why": _(
            "Your clinicians can keep short notes for the care team, and Alliance doesn't show them in the app. "
            "They are about you, so you have a right to see them: a health professional at your clinic looks "
            "through them first, in case anything in them needs explaining or could cause harm, which is why "
            "they come from your clinic rather than from this button."
        ),
    },
    {
        "what": _("Earlier versions of what was changed in your record"),
        "why": _(
            "Your clinic's database keeps every earlier version as its record of changes. This file has "
            "how things are now, and who has looked at your record; the full history of changes can be part "
            "of a complete copy from your clinic."
        ),
    },
]
HOW_TO_ASK = _(
    "You can ask your clinic for a complete copy of everything they hold about you, including the notes above. "
    "This is called a subject access request. Just tell anyone at your clinic (at reception, by phone, by email "
    "or by letter) that you would like a complete copy of your records. You don't need to give a reason or use "
    "special words, and it is free. Your clinic has one month to answer. When it is ready, it appears on the "
    "'Download your data' page in Alliance, where you can download it."
)


@dataclass(frozen=True)
class Source:
    model: type[models.Model]
    title: str
    about: str
    patient: str | None = None
    user: str | None = None
    omit: tuple[str, ...] = ()
    exclude: tuple[tuple[str, object], ...] = ()

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    def lookups(self) -> list[str]:
        return [path for path in (self.patient, self.user) if path]

    def q(self, patient: Patient) -> Q:
        q = Q()
        if self.patient:
            q |= Q(**{self.patient: patient.pk})
        if self.user:
            q |= Q(**{self.user: patient.user_id})
        return q

    def queryset(self, patient: Patient):
        qs = self.model._default_manager.filter(self.q(patient))
        if self.exclude:
            qs = qs.exclude(**dict(self.exclude))
        if len(self.lookups()) > 1:
            qs = qs.distinct()  # two ways to the patient may both match a row
        return qs


@dataclass(frozen=True)
class Exempt:
    model: type[models.Model]
    reason: str


SOURCES: dict[type[models.Model], Source] = {}
EXEMPT: dict[type[models.Model], Exempt] = {}


def include(
    model, *, title: str, about: str, patient: str | None = None, user: str | None = None, omit=(), exclude=None
) -> None:
    """Put every row of ``model`` that leads to the patient (or their account) into the download.

    ``omit`` names fields never given out (secrets); ``exclude`` ({field: value}) leaves out rows
    that belong to something exempt, such as the earlier wording of a private note.
    """
    if not (patient or user):
        raise ValueError(f"{model.__name__}: say how its rows lead to the patient or to their account")
    SOURCES[model] = Source(
        model, title, about, patient=patient, user=user, omit=tuple(omit), exclude=tuple((exclude or {}).items())
    )


def exempt(model, *, reason: str) -> None:
    if not reason.strip():
        raise ValueError(f"{model.__name__}: an exemption needs a reason")
    EXEMPT[model] = Exempt(model, reason)


# --- the registry: one line per model ----------------------------------------------------------------

include(
    User,
    title=_("Your account"),
    about=_("Your name, email address and account settings."),
    user="pk",
    omit=("password",),
)
include(Patient, title=_("You as a patient"), about=_("Which clinic you are with and since when."), patient="pk")
include(
    CareTeamMembership,
    title=_("Your care team"),
    about=_("The clinicians who care for you, and since when."),
    patient="patient",
)
include(
    Invitation,
    title=_("Invitations"),
    about=_("When your clinic invited you to Alliance."),
    user="user",
    omit=("token_hash",),
)
include(
    LoginSession,
    title=_("Times you signed in"),
    about=_("When each of your signed-in sessions started."),
    user="user",
    omit=("session_key",),
)
include(CareSession, title=_("Your appointments"), about=_("Every appointment, past and booked."), patient="patient")
include(
    AgendaItem,
    title=_("Things to talk about"),
    about=_("What you and your care team put on the agenda."),
    patient="patient",
)
include(
    CheckIn,
    title=_("Your check-ins"),
    about=_("When you checked in and anything you wanted to raise."),
    patient="patient",
)
include(
    Response,
    title=_("Questionnaire answers and scores"),
    about=_("Every questionnaire answered about you, by you or by your clinician, with its scores."),
    patient="patient",
)
include(
    Answer,
    title=_("Individual answers"),
    about=_("Each answer given, question by question."),
    patient="response__patient",
)
include(
    Alert,
    title=_("Prompts for your care team"),
    about=_("When a check-in suggested your care team should talk something through with you, and what happened."),
    patient="patient",
)
include(Export, title=_("Your downloads"), about=_("When you downloaded your data from Alliance."), user="requested_by")
# The shared record (issue 4).
include(
    Question,
    title=_("Your questions"),
    about=_("Questions you asked, and whether you worried they were silly."),
    patient="patient",
)
include(
    QuestionReply,
    title=_("Answers to your questions"),
    about=_("Each answer, and whether it helped."),
    patient="question__patient",
)
include(
    Goal, title=_("Your goals"), about=_("Your goals in your own words, and what happened to each."), patient="patient"
)
include(
    GoalRating,
    title=_("Goal progress"),
    about=_("Each time you or your clinician rated progress on a goal."),
    patient="goal__patient",
)
include(
    Win,
    title=_("Your wins"),
    about=_("Things that went well, and how your care team acknowledged them."),
    patient="patient",
)
include(Setback, title=_("Setbacks"), about=_("Harder patches, in your own words."), patient="patient")
include(
    Explanation,
    title=_("Explanations"),
    about=_("Your care team's explanations of what might be going on."),
    patient="patient",
)
include(
    ExplanationVersion,
    title=_("Every version of each explanation"),
    about=_("Explanations are never overwritten: each version is kept."),
    patient="explanation__patient",
)
include(
    FitResponse,
    title=_("Whether explanations fitted your experience"),
    about=_("What you said about each explanation, and whether you felt heard."),
    patient="version__explanation__patient",
)
include(Decision, title=_("Decisions"), about=_("Decisions you and your care team worked through."), patient="patient")
include(
    Option,
    title=_("Options"),
    about=_("The options for each decision, with benefits, downsides and uncertainties."),
    patient="patient",
)
include(
    DecisionCheck,
    title=_("Did you have a real say?"),
    about=_("Your answers after each decision."),
    patient="decision__patient",
)
include(
    StoryEntry,
    title=_("Your story"),
    about=_("What you wrote about your history, your life and what matters."),
    patient="patient",
)
include(
    StoryPassage,
    title=_("Passages picked out to talk about"),
    about=_("Parts of your story put on the agenda."),
    patient="entry__patient",
)
include(
    StoryReflection,
    title=_("What your clinician heard"),
    about=_("Their summaries of your story, and your replies."),
    patient="entry__patient",
)
include(
    StepBackReview,
    title=_("Step-back reviews"),
    about=_("Your clinician's reviews of how things were going, the figures beside them, and your answers."),
    patient="patient",
)
include(
    RecordRevision,
    title=_("Earlier wording"),
    about=_("What items said before they were edited."),
    patient="patient",
    exclude={"item_kind": "note"},
)
include(
    RecordVisit, title=_("When you last looked"), about=_("When you last opened each part of your record."), user="user"
)
include(
    NewsSeen,
    title=_("New things you've seen"),
    about=_("Which new things from your care team you have seen."),
    user="user",
)
include(NewsVisit, title=_("When you last came to look"), about=_("When you last looked at what's new."), user="user")
# Sessions as equal partners (issue 5).
include(
    AgendaEntry,
    title=_("What was talked about"),
    about=_("What happened to each agenda item in a session."),
    patient="agenda_item__patient",
)
include(
    SessionRecord,
    title=_("Session records"),
    about=_("The summary and next steps written after each session."),
    patient="care_session__patient",
)
include(HomePlan, title=_("Home plans"), about=_("Each version of your home plan."), patient="patient")
include(
    PlanItem,
    title=_("Home plan activities"),
    about=_("The exercises and activities in each plan."),
    patient="plan__patient",
)
include(
    WorthRating,
    title=_("How worth trying"),
    about=_("How worth trying you said each activity seemed."),
    patient="patient",
)
include(
    PracticeLog,
    title=_("Practice you logged"),
    about=_("Each time you logged practising an activity."),
    patient="patient",
)
include(
    Reminder,
    title=_("Reminders we sent you"),
    about=_("Every reminder sent to you, or held back, and why."),
    user="recipient",
)
include(
    ReminderPreference, title=_("Your reminder settings"), about=_("Which reminders you get, and when."), user="user"
)
# A patient's right of access (issue 12): their requests for a complete copy, and, once a request is
# closed, what was withheld and each step taken.
include(
    AccessRequest,
    title=_("Your requests for a complete copy"),
    about=_("Each time you asked your clinic for a complete copy, when they answered and what they decided."),
    patient="patient",
    omit=("complete_path", "released_path"),
)
include(
    WithheldItem,
    title=_("Items left out of a complete copy"),
    about=_("What your clinic left out of a complete copy they gave you, and why."),
    patient="request__patient",
    exclude={"request__closed_at__isnull": True},
)
include(
    AccessRequestEvent,
    title=_("How your requests were handled"),
    about=_("Each step your clinic took in answering a request, once it was answered."),
    patient="request__patient",
    exclude={"request__closed_at__isnull": True},
)

include(
    AuditEvent,
    title=_("Who has looked at your record, and your sign-ins"),
    about=_(
        "Each time someone at your clinic opened a page about you or took your data out of Alliance (who, "
        "their role and when), and each time you signed in."
    ),
    patient="patient",
    user="actor",
)

for _tracked in TRACKED.values():
    exempt(
        _tracked.event_model,
        reason=f"Every earlier version of {_tracked.title.lower()} rows, kept by the database as the clinic's audit "
        "trail of changes. The current rows are in the download; the trail itself goes in a subject access export.",
    )

exempt(
    MiddlewareEvents,
    reason="django-pghistory's read-only view over the change events above, with the request's user; no table.",
)
exempt(
    Clinician,
    reason="A clinician's profile. One account has one role, so it is never a patient's own; "
    "the clinicians who care for the patient are named in their care team and appointments.",
)
exempt(ClinicAdmin, reason="A clinic admin's profile; never a patient's own (one role per account).")
exempt(
    Clinic,
    reason="The clinic's own settings and urgent-help text, the same for every patient of the clinic; "
    "it names only the admin who last reviewed that text.",
)
exempt(
    Instrument,
    reason="A questionnaire's definition, written by Alliance or the clinic. The wording of every "
    "question the patient answered is in the download's questionnaires section.",
)
exempt(InstrumentVersion, reason="As Instrument: the wording is included for every version the patient answered.")
exempt(
    PrivateNote,
    reason="Notes clinicians keep for the care team only, which the app never shows the patient. They are personal "
    "data, so the download says they exist and to ask the clinic, where a health professional can go through them "
    "(UK GDPR access, with the serious-harm test of the DPA 2018, Schedule 3).",
)
exempt(
    FormSubmission,
    reason="A one-time token saying that a form was already sent, so a double tap stores it once. It holds "
    "nothing that was written in the form (that is in the record itself) and is deleted after a week.",
)
# The second factor: keys and one-time codes that would let someone else sign in as the person if they
# left the account in a file. What the person has set up, and when, is on Account → Sign-in and security.
_WHY_NOT_IN_THE_DOWNLOAD = (
    "A sign-in secret for the second step (an authenticator app's key, recovery codes or a passkey's public "
    "key): copied into a file it could help someone sign in as you. Which ones you have, and when you added "
    "them, is shown on Account → Sign-in and security."
)
for _model in (TOTPDevice, StaticDevice, StaticToken, WebAuthnCredential, WebAuthnAttestation, WebAuthnUserHandle):
    exempt(_model, reason=_WHY_NOT_IN_THE_DOWNLOAD)
exempt(
    LogEntry,
    reason="The Django admin's history of changes made by superusers (support staff), who never hold a patient role.",
)


# --- walking the models -------------------------------------------------------------------------------

PEOPLE = (Patient, User)


def paths_to_people(model: type[models.Model], *, depth: int = 4) -> list[str]:
    """Every chain of forward relations from ``model`` to a ``Patient`` or a ``User``."""
    found: list[str] = []

    def walk(current, prefix: str, seen: tuple, remaining: int) -> None:
        for field in current._meta.get_fields():
            forward = field.is_relation and not field.auto_created
            if not (forward and (field.many_to_one or field.one_to_one or field.many_to_many)):
                continue
            target = field.related_model
            if target is None or target in seen:
                continue
            path = f"{prefix}{field.name}"
            if target in PEOPLE:
                found.append(path)
            elif remaining > 1:
                walk(target, f"{path}__", (*seen, target), remaining - 1)

    if model in PEOPLE:
        return ["pk"]
    walk(model, "", (model,), depth)
    return found


def unregistered_models() -> list[str]:
    """Models that lead to a patient or a user but are neither included nor exempt."""
    missing = []
    for model in apps.get_models():
        if model in SOURCES or model in EXEMPT:
            continue
        if paths_to_people(model):
            missing.append(model._meta.label)
    return sorted(missing)


# --- the JSON download -----------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, UUID):
        return str(value)
    return value


def _columns(source: Source) -> tuple[list[str], dict, dict]:
    """Field names to read, extra names for people, and choice labels, for one source."""
    names, extra, labels = [], {}, {}
    for field in source.model._meta.concrete_fields:
        if field.name in source.omit:
            continue
        names.append(field.attname)
        if field.choices:
            labels[field.attname] = dict(field.flatchoices)
        if field.is_relation and field.related_model is User:
            extra[f"{field.name}_name"] = F(f"{field.name}__full_name")
        elif field.is_relation and field.related_model is Clinician:
            extra[f"{field.name}_name"] = F(f"{field.name}__user__full_name")
    return names, extra, labels


def source_rows(source: Source, patient: Patient) -> Iterator[dict]:
    names, extra, labels = _columns(source)
    qs = source.queryset(patient).order_by("pk").values(*names, **extra)
    for row in qs.iterator(chunk_size=500):
        out = {}
        for name, value in row.items():
            out[name] = _plain(value)
            if name in labels and value in labels[name]:
                out[f"{name}_label"] = str(labels[name][value])
        yield out


def _questionnaires(patient: Patient) -> list[dict]:
    versions = (
        InstrumentVersion.objects.filter(pk__in=Response.objects.filter(patient=patient).values("version"))
        .select_related("instrument")
        .order_by("instrument__key", "number")
    )
    return [
        {
            "version_id": version.pk,
            "key": version.instrument.key,
            "name": version.instrument.name,
            "version": version.number,
            "scale": version.definition.get("scale"),
            "items": [{"key": item["key"], "text": item["text"]} for item in version.definition["items"]],
        }
        for version in versions
    ]


def patient_data_json(*, patient: Patient, out: BinaryIO) -> int:
    """Write the JSON download to ``out``, section by section; returns how many rows it holds."""

    def dump(value) -> bytes:
        return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()

    head = {
        "format": "alliance-patient-data",
        "format_version": FORMAT_VERSION,
        "generated_at": _plain(timezone.now()),
        "clinic": patient.clinic.name,
        "what_this_is": gettext(
            "Everything Alliance holds about you, one section per kind of record. Times are in UTC. "
            "Codes such as status values come with a label in plain words next to them."
        ),
        "not_in_this_file": LEFT_OUT,
        "a_complete_copy": HOW_TO_ASK,
    }
    out.write(dump(head)[:-2] + b',\n "questionnaires": ' + dump(_questionnaires(patient)) + b',\n "sections": [')
    total = 0
    for index, source in enumerate(SOURCES.values()):
        out.write(
            (b"\n" if index == 0 else b",\n")
            + dump({"key": source.key, "title": source.title, "about": source.about})[:-2]
            + b',\n "rows": ['
        )
        for count, row in enumerate(source_rows(source, patient)):
            out.write((b"\n" if count == 0 else b",\n") + dump(row))
            total += 1
        out.write(b"]}")
    out.write(b"\n]}\n")
    return total


# --- the FHIR download ----------------------------------------------------------------------------------

APPOINTMENT_STATUS = {
    SessionStatus.SCHEDULED: "booked",
    SessionStatus.DONE: "fulfilled",
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.MISSED: "noshow",
}


def _fhir_entries(patient: Patient) -> Iterator[dict]:
    people = People(identified=True)
    user = patient.user
    clinic_url = full_url("Organization", patient.clinic_id)
    yield {
        "fullUrl": clinic_url,
        "resource": {"resourceType": "Organization", "id": str(patient.clinic_id), "name": patient.clinic.name},
    }
    for entry in people.entries("Patient", user.pk, user.full_name, user.email):
        entry["resource"]["managingOrganization"] = {"reference": clinic_url}
        yield entry
    subject = people.reference("Patient", user.pk)
    team = list(CareTeamMembership.objects.filter(patient=patient).select_related("clinician__user"))
    participants = []
    for membership in team:
        clinician = membership.clinician.user
        yield from people.entries("Practitioner", clinician.pk, clinician.full_name, clinician.email)
        participants.append(
            {
                "member": people.reference("Practitioner", clinician.pk),
                "period": {"start": instant(membership.added_at)},
            }
        )
    if participants:
        yield {
            "fullUrl": full_url("CareTeam", patient.pk),
            "resource": {
                "resourceType": "CareTeam",
                "id": str(patient.pk),
                "status": "active",
                "subject": subject,
                "participant": participants,
                "managingOrganization": [{"reference": clinic_url}],
            },
        }
    for session in CareSession.objects.filter(patient=patient).select_related("clinician__user").order_by("starts_at"):
        clinician = session.clinician.user
        yield from people.entries("Practitioner", clinician.pk, clinician.full_name, clinician.email)
        resource = {
            "resourceType": "Appointment",
            "id": str(session.pk),
            "status": APPOINTMENT_STATUS[session.status],
            "start": instant(session.starts_at),
            "end": instant(session.ends_at),
            "minutesDuration": session.duration_minutes,
            "participant": [
                {"actor": subject, "status": "accepted"},
                {"actor": people.reference("Practitioner", clinician.pk), "status": "accepted"},
            ],
        }
        if session.status == SessionStatus.CANCELLED and session.cancelled_reason:
            resource["cancelationReason"] = {"text": session.cancelled_reason}
        yield {"fullUrl": full_url("Appointment", session.pk), "resource": resource}
    yield from checkin_entries(Response.objects.filter(patient=patient), people=people)
    yield from goal_entries(Goal.objects.filter(patient=patient), GoalRating.objects.all(), people=people)
    for alert in Alert.objects.filter(patient=patient).order_by("raised_at", "pk"):
        period = {"start": instant(alert.raised_at)}
        if alert.resolved_at:
            period["end"] = instant(alert.resolved_at)
        yield {
            "fullUrl": full_url("Flag", alert.pk),
            "resource": {
                "resourceType": "Flag",
                "id": str(alert.pk),
                "status": "inactive" if alert.resolved_at else "active",
                "code": {"text": alert.get_kind_display()},
                "subject": subject,
                "period": period,
            },
        }


def patient_data_fhir(*, patient: Patient, out: BinaryIO) -> int:
    """Write the FHIR Bundle download to ``out``; returns how many resources it holds."""
    return write_bundle(
        out, _fhir_entries(patient), bundle_id=f"alliance-patient-{patient.pk}", timestamp=timezone.now()
    )

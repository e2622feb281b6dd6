"""The permission matrix: every URL name × every role → the status it must answer.

A URL that is added without rows here fails ``test_every_url_pattern_has_rows``. A role that may
not use a page gets 403; an object outside the person's reach (another patient, another care
team, another clinic) gets 404, exactly as if it did not exist.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from alliance.models import Win
from patients.models import User
from patients.services import invitation_create
from tests.alliance.record import helpers as rh
from tests.conftest import ROLES, Cast, SignedIn
from tests.factories import CareSessionFactory

# Shorthands for the common shapes of a row. Anonymous visitors are sent to sign in (302).
EVERYONE = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**EVERYONE, "anonymous": 302}
ADMINS_ONLY = {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 200}
PATIENTS_ONLY = {"anonymous": 302, "alice": 200, "frank": 200, "bob": 403, "carol": 403, "dave": 403, "erin": 403}
ALICE_CLINICIAN_ONLY = {
    "anonymous": 302,
    "alice": 403,
    "frank": 403,
    "bob": 200,
    "carol": 404,
    "dave": 403,
    "erin": 403,
}
STAFF_ONLY = {"anonymous": 302, "alice": 403, "frank": 403, "bob": 200, "carol": 200, "dave": 200, "erin": 200}
# Pages that change how someone signs in: staff (who have a second factor) confirm it's them first (302).
RECONFIRM_FIRST = {"anonymous": 302, "alice": 200, "frank": 200, "bob": 302, "carol": 302, "dave": 302, "erin": 302}


@dataclass
class Row:
    name: str
    expect: dict[str, int]
    method: str = "get"
    kwargs: Callable[[Cast], dict] = lambda cast: {}
    data: Callable[[Cast], dict] = lambda cast: {}
    query: str = ""
    notes: list[str] = field(default_factory=list)


def _invited_person(cast: Cast) -> User:
    issued = invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email="new.patient@example.org",
        full_name="Nina New",
        role="patient",
        clinicians=[cast.bob],
    )
    return issued.invitation.user


def _invitation_pk(cast: Cast) -> dict:
    """An open invitation of Riverside's, to an email that is new (the page is the same for one that had
    an account elsewhere: tests/patients/test_invite_elsewhere.py)."""
    return {"pk": _invited_person(cast).invitations.get().pk}


def _invitation_token(cast: Cast) -> dict:
    issued = invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email="invitee@example.org",
        full_name="Ivy Invitee",
        role="patient",
    )
    return {"token": issued.token}


def _past_alice_session(cast: Cast) -> dict:
    past = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=2))
    return {"pk": past.pk}


def _alice_checkin(cast: Cast) -> dict:
    from alliance.services.checkins import checkin_submit

    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers={"relationship": 3, "goals": 3, "approach": 3, "overall": 3},
        pain_answers={},
    )
    return {"pk": result.checkin.pk}


def _alice_alert(cast: Cast) -> dict:
    from alliance.models import Alert

    _alice_checkin(cast)
    return {"pk": Alert.objects.filter(patient=cast.alice).first().pk}


def _riverside_instrument(cast: Cast) -> dict:
    import json

    from alliance.services.instruments import instrument_import

    definition = {
        "key": "riverside-own",
        "name": "Riverside's own",
        "scale": {"min": 0, "max": 4},
        "items": [{"key": "a", "text": "A question"}],
    }
    version = instrument_import(clinic=cast.riverside, by=cast.dave.user, text=json.dumps(definition), activate=False)
    return {"pk": version.instrument_id}


def _alice_agenda_item(cast: Cast) -> dict:
    from sessions.services import agenda_item_add

    item = agenda_item_add(
        patient=cast.alice,
        text="My sleep",
        source="patient",
        raised_by=cast.alice.user,
        care_session=cast.alice_session,
    )
    return {"pk": item.pk}


def _bob_agenda_item(cast: Cast) -> dict:
    """An item the clinician raised on alice's agenda: alice may move it, not settle it."""
    from sessions.services import agenda_item_add

    item = agenda_item_add(
        patient=cast.alice,
        text="The walking plan",
        source="clinician",
        raised_by=cast.bob.user,
        care_session=cast.alice_session,
    )
    return {"pk": item.pk}


def _another_alice_item(cast: Cast) -> dict:
    from sessions.services import agenda_item_add

    other = agenda_item_add(
        patient=cast.alice,
        text="Sleeping badly",
        source="patient",
        raised_by=cast.alice.user,
        care_session=cast.alice_session,
    )
    return {"into": other.pk}


def _alice_parked_item(cast: Cast) -> dict:
    from sessions.models import AgendaItem
    from sessions.services import agenda_item_park

    pk = _alice_agenda_item(cast)["pk"]
    agenda_item_park(by=cast.alice.user, item=AgendaItem.objects.get(pk=pk))
    return {"pk": pk}


def _alice_recorded_session(cast: Cast) -> dict:
    from sessions.services import session_record_save

    past = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=2))
    session_record_save(by=cast.bob.user, care_session=past, summary="We talked.", next_steps="", entries=[])
    return {"pk": past.pk}


def _alice_answer(cast: Cast) -> dict:
    """bob's answer to alice's question: a new thing on her "What's new"."""
    question = rh.answered(cast)
    return {"kind": "answer", "pk": question.replies.get().pk}


def _alice_plan_item(cast: Cast) -> dict:
    from sessions.services import home_plan_revise

    plan = home_plan_revise(
        by=cast.bob.user,
        patient=cast.alice,
        items=[{"title": "Morning walk", "description": "Walk to the corner", "how_often": "Most days"}],
    )
    return {"pk": plan.items.get().pk}


def _alice_unsubscribe(cast: Cast) -> dict:
    from sessions.services import unsubscribe_token

    return {"token": unsubscribe_token(user=cast.alice.user, kind="checkin")}


def _riverside_export(cast: Cast) -> dict:
    """A finished export of Riverside's sessions, asked for by dave, with its file ready."""
    from alliance.models import Export
    from alliance.services.exports import export_run

    export = Export.objects.create(
        clinic=cast.riverside,
        requested_by=cast.dave.user,
        dataset="sessions",
        format="csv",
        identified=False,
        filters={"date_from": "2025-01-01", "date_to": "2025-12-31"},
        delivery="file",
    )
    export_run(export_id=export.pk)
    return {"pk": export.pk}


def _alice_access_request(cast: Cast, *, withhold: bool = False, decide: bool = False, release: bool = False):
    """dave's subject access request for alice, its complete copy built (the worker's part, done here)."""
    from alliance.services import access_requests as sar

    request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    sar.access_request_build(request_id=request.pk)
    request.refresh_from_db()
    kwargs = {"pk": request.pk}
    if withhold:
        item = sar.access_request_withhold(
            user=cast.dave.user,
            access_request=request,
            section="patients.user",
            item_id=str(cast.alice.user.pk),
            reason="For this test",
        )
        kwargs["item"] = item.pk
    if decide or release:
        sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
    if release:
        sar.access_request_release(user=cast.dave.user, access_request=request)
    return kwargs


def _alice_read_by_bob(cast: Cast) -> dict:
    """An entry in alice's "who has looked" list: bob opened her record."""
    from patients.models import AuditKind
    from patients.services.audit import audit_record

    return {"pk": audit_record(kind=AuditKind.READ, actor=cast.bob.user, patient=cast.alice, page="alliance:record").pk}


ALICE = lambda cast: {"pk": cast.alice.pk}  # noqa: E731
ALICE_USER = lambda cast: {"pk": cast.alice.user.pk}  # noqa: E731
ALICE_SESSION = lambda cast: {"pk": cast.alice_session.pk}  # noqa: E731

# Who may touch alice's things: her own care team (bob) and her clinic's admin (dave).
ALICE_STAFF_PAGE = {"anonymous": 302, "alice": 403, "frank": 403, "bob": 200, "carol": 404, "dave": 200, "erin": 404}
# The shared agenda and home plan: the patient and her care team. Anyone who may not see alice at all
# (frank, carol, erin) gets 404 first; her own clinic's admin (dave) gets 403: admins see counts, not contents.
ALICE_PARTNERS = {"anonymous": 302, "alice": 200, "frank": 404, "bob": 200, "carol": 404, "dave": 403, "erin": 404}
ALICE_PARTNERS_POST = {**ALICE_PARTNERS, "alice": 302, "bob": 302}
ALICE_CLINICIAN_PAGE = {**ALICE_PARTNERS, "alice": 403}
ALICE_CLINICIAN_POST = {**ALICE_CLINICIAN_PAGE, "bob": 302}
ALICE_ONLY_PAGE = {**ALICE_PARTNERS, "bob": 403}


def _alice_email_change(cast: Cast) -> dict:
    """The link alice's new address receives (made as the service makes it)."""
    from django.core import signing

    from patients.services import EMAIL_CHANGE_SALT, _hash_token

    data = {"user": cast.alice.user.pk, "from": _hash_token(cast.alice.user.email), "to": "alice.new@example.org"}
    return {"token": signing.dumps(data, salt=EMAIL_CHANGE_SALT)}


def _alice_failed_access_request(cast: Cast) -> dict:
    """dave's subject access request for alice, whose complete copy could not be prepared."""
    from alliance.models import AccessRequest, AccessRequestState
    from alliance.services import access_requests as sar

    request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    AccessRequest.objects.filter(pk=request.pk).update(state=AccessRequestState.FAILED)
    return {"pk": request.pk}


ALICE_ADMIN_POST = {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 302, "erin": 404}

# --- the shared record (issue 4)
RECORD_READ = {"anonymous": 302, "alice": 200, "frank": 404, "bob": 200, "carol": 404, "dave": 403, "erin": 404}
RECORD_PATIENT_ONLY = {**RECORD_READ, "bob": 403}
RECORD_CLINICIAN_ONLY = {**RECORD_READ, "alice": 403}
RECORD_PATIENT_POST = {**RECORD_PATIENT_ONLY, "alice": 302}
RECORD_CLINICIAN_POST = {**RECORD_CLINICIAN_ONLY, "bob": 302}
RECORD_BOTH_POST = {**RECORD_READ, "alice": 302, "bob": 302}


def _rec(cast: Cast, item) -> dict:
    return {"pk": cast.alice.pk, "item": item.pk}


def _fit(cast: Cast, *, talked: bool) -> dict:
    from alliance.services.record import explanation_talked_through

    explanation, response = rh.doesnt_fit(cast)
    if talked:
        explanation_talked_through(response=response, by=cast.bob.user)
    return {"pk": cast.alice.pk, "item": explanation.pk, "response": response.pk}


ROWS = [
    # --- public and account pages
    Row("healthz", EVERYONE),
    Row("login", {**dict.fromkeys(ROLES, 302), "anonymous": 200}),
    Row("logout", dict.fromkeys(ROLES, 302), method="post"),
    Row("password_reset", EVERYONE),
    Row("password_reset_done", EVERYONE),
    Row("password_reset_confirm", EVERYONE, kwargs=lambda cast: {"uidb64": "MQ", "token": "not-a-real-token"}),
    Row("password_reset_complete", EVERYONE),
    # Changing the password asks staff (who have a second factor) to confirm it's them first.
    Row("password_change", RECONFIRM_FIRST),
    Row("password_change_done", SIGNED_IN),
    Row("patients:invitation-accept", EVERYONE, kwargs=_invitation_token),
    Row("patients:account", SIGNED_IN),
    # Changing the sign-in address asks staff to confirm it's them first; its link is alice's alone
    # (anyone else signed in: 404, as for anything not theirs).
    Row("patients:email-change", RECONFIRM_FIRST),
    Row(
        "patients:email-change",
        {**RECONFIRM_FIRST, "alice": 400, "frank": 400},
        method="post",
        data=lambda cast: {"new_email": "x@example.org"},
    ),
    Row(
        "patients:email-change-confirm",
        {**dict.fromkeys(ROLES, 404), "anonymous": 302, "alice": 200},
        kwargs=_alice_email_change,
    ),
    Row(
        "patients:email-change-confirm",
        {**dict.fromkeys(ROLES, 404), "anonymous": 302, "alice": 302},
        method="post",
        kwargs=_alice_email_change,
    ),
    # "Stay signed in" answers with nothing (204) to anyone signed in.
    Row("patients:keepalive", {**dict.fromkeys(ROLES, 204), "anonymous": 302}),
    # --- the second factor (issue 12). The cast's staff are signed in with theirs, some minutes ago;
    # alice and frank have none. Whoever has a factor confirms it's them again before changing factors.
    Row("patients:second-factor", dict.fromkeys(ROLES, 302)),
    Row("patients:second-factor-setup", RECONFIRM_FIRST),
    Row("patients:confirm-it-is-you", {**STAFF_ONLY, "alice": 302, "frank": 302}),
    Row("patients:security", SIGNED_IN),
    Row("patients:recovery-codes", dict.fromkeys(ROLES, 302)),
    # A patient may turn their second step off (alice and frank have none: back to the page, 302);
    # staff must keep theirs.
    Row(
        "patients:second-factor-turn-off",
        {"anonymous": 302, "alice": 302, "frank": 302, "bob": 403, "carol": 403, "dave": 403, "erin": 403},
        method="post",
    ),
    Row("patients:recovery-codes-new", dict.fromkeys(ROLES, 302), method="post"),
    # GET: the confirmation page (POST does it).
    Row("patients:passkey-remove", {**RECONFIRM_FIRST, "alice": 404, "frank": 404}, kwargs=lambda cast: {"pk": 2**31}),
    Row(
        "patients:factors-reset",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=lambda cast: {"pk": cast.bob.user.pk},
    ),
    # django-otp-webauthn's JSON ceremonies; a passkey is never a way in without the password (302).
    Row(
        "otp_webauthn:credential-registration-begin",
        {**RECONFIRM_FIRST, "bob": 403, "carol": 403, "dave": 403, "erin": 403},
        method="post",
    ),
    Row(
        "otp_webauthn:credential-registration-complete",
        {"anonymous": 302, "alice": 400, "frank": 400, "bob": 403, "carol": 403, "dave": 403, "erin": 403},
        method="post",
    ),
    Row("otp_webauthn:credential-authentication-begin", SIGNED_IN, method="post"),
    Row(
        "otp_webauthn:credential-authentication-complete",
        {**dict.fromkeys(ROLES, 400), "anonymous": 302},
        method="post",
    ),
    Row("otp_webauthn:js-i18n-catalog", SIGNED_IN),
    # --- home pages: each role has its own
    Row("alliance:home", SIGNED_IN),
    # --- a clinician's page about one patient: their care team only
    Row(
        "alliance:patient",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 200, "carol": 404, "dave": 403, "erin": 403},
        kwargs=ALICE,
    ),
    # --- clinic admin pages
    Row("patients:people", ADMINS_ONLY),
    Row("patients:clinic-settings", ADMINS_ONLY),
    Row("patients:urgent-help", SIGNED_IN),
    Row("patients:invite", ADMINS_ONLY),
    Row(
        "patients:person",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=ALICE_USER,
    ),
    Row(
        "patients:care-team-add",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=ALICE_USER,
        data=lambda cast: {"clinician": cast.carol.pk},
    ),
    # Taking a clinician off a care team, or closing an account: first decide about the appointments ahead.
    Row(
        "care_sessions:care-team-leave",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=lambda cast: {"pk": cast.alice.user.pk, "clinician_pk": cast.bob.pk},
    ),
    Row(
        "care_sessions:account-close",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=ALICE_USER,
    ),
    Row("patients:reactivate", ALICE_ADMIN_POST, method="post", kwargs=ALICE_USER),
    Row(
        "patients:resend-invitation",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=lambda cast: {"pk": _invited_person(cast).pk},
    ),
    Row(
        "patients:invitation",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=_invitation_pk,
    ),
    Row("patients:invitation-resend", ALICE_ADMIN_POST, method="post", kwargs=_invitation_pk),
    Row("patients:invitation-cancel", ALICE_ADMIN_POST, method="post", kwargs=_invitation_pk),
    # --- appointments
    Row("care_sessions:list", SIGNED_IN),
    Row("care_sessions:new", STAFF_ONLY),
    Row(
        "care_sessions:detail",
        {"anonymous": 302, "alice": 200, "frank": 404, "bob": 200, "carol": 404, "dave": 200, "erin": 404},
        kwargs=ALICE_SESSION,
    ),
    Row("care_sessions:reschedule", ALICE_STAFF_PAGE, kwargs=ALICE_SESSION),
    Row("care_sessions:cancel", ALICE_STAFF_PAGE, kwargs=ALICE_SESSION),
    Row("care_sessions:outcome", ALICE_STAFF_PAGE, kwargs=_past_alice_session),
    # --- check-ins, ratings, alerts, progress, questionnaires (issue 3)
    Row("alliance:checkin", PATIENTS_ONLY),
    Row(
        "alliance:checkin-done",
        {**PATIENTS_ONLY, "frank": 404},
        kwargs=_alice_checkin,
    ),
    Row("alliance:progress", PATIENTS_ONLY),
    # --- what's new for a patient (issue 13): their own list; a thing on it opens for her alone
    Row("alliance:whats-new", PATIENTS_ONLY),
    Row("alliance:whats-new-open", {**PATIENTS_ONLY, "alice": 302, "frank": 404}, kwargs=_alice_answer),
    Row("alliance:rating", ALICE_CLINICIAN_ONLY, kwargs=_past_alice_session),
    Row(
        "alliance:alert-acknowledge",
        {**ALICE_CLINICIAN_ONLY, "bob": 302},
        method="post",
        kwargs=_alice_alert,
    ),
    Row(
        "alliance:alert-resolve",
        {**ALICE_CLINICIAN_ONLY, "bob": 302},
        method="post",
        kwargs=_alice_alert,
        data=lambda cast: {"note": "We talked it through"},
    ),
    Row("alliance:instruments", ADMINS_ONLY),
    Row("alliance:instrument-import", ADMINS_ONLY),
    Row("alliance:instrument", {**ADMINS_ONLY, "erin": 404}, kwargs=_riverside_instrument),
    # --- the shared record (issue 4) ----------------------------------------------------------------
    # Read by alice and her care team only. Someone else's patient, a clinician off the team and the
    # other clinic's admin get 404; alice's clinic admin (dave) sees counts on the hub, nothing else.
    Row("alliance:record", {**RECORD_READ, "dave": 200}, kwargs=ALICE),
    Row("alliance:record-overview", ADMINS_ONLY),
    Row(
        "alliance:record-note-new",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=ALICE,
        data=lambda cast: {"body": "Check sleep next time", "section": "questions"},
    ),
    Row("alliance:record-questions", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-question-new", RECORD_PATIENT_ONLY, kwargs=ALICE),
    Row("alliance:record-question", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.ask(cast))),
    Row(
        "alliance:record-question-answer",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.ask(cast)),
        data=lambda cast: {"body": "A good question."},
    ),
    Row(
        "alliance:record-question-feedback",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.answered(cast)),
        data=lambda cast: {"outcome": "helped"},
    ),
    Row("alliance:record-goals", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-goal-new", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-goal", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.goal(cast))),
    Row(
        "alliance:record-goal-accept",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.goal(cast, by=cast.bob.user)),
        data=lambda cast: {"text": "Walk to the shops"},
    ),
    Row(
        "alliance:record-goal-rate",
        RECORD_BOTH_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.goal(cast)),
        data=lambda cast: {"value": "5"},
    ),
    Row(
        "alliance:record-goal-status",
        RECORD_BOTH_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.goal(cast)),
        data=lambda cast: {"status": "paused"},
    ),
    Row("alliance:record-journal", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-win-new", RECORD_READ, kwargs=ALICE),
    Row(
        "alliance:record-win-acknowledge",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.win(cast)),
        data=lambda cast: {f"win{Win.objects.get(patient=cast.alice).pk}-reply": "Brilliant!"},
    ),
    Row("alliance:record-setback-new", RECORD_READ, kwargs=ALICE),
    Row(
        "alliance:record-setback-agenda",
        RECORD_BOTH_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.setback(cast)),
    ),
    Row("alliance:record-explanations", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-explanation-new", RECORD_CLINICIAN_ONLY, kwargs=ALICE),
    Row("alliance:record-explanation", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.explanation(cast))),
    Row(
        "alliance:record-explanation-revise",
        RECORD_CLINICIAN_ONLY,
        kwargs=lambda cast: _rec(cast, rh.explanation(cast)),
    ),
    Row(
        "alliance:record-explanation-respond",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.explanation(cast)),
        data=lambda cast: {"fit": "fits"},
    ),
    Row(
        "alliance:record-explanation-talked",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _fit(cast, talked=False),
        data=lambda cast: {"note": "We talked"},
    ),
    Row(
        "alliance:record-explanation-heard",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _fit(cast, talked=True),
        data=lambda cast: {"felt_heard": "yes"},
    ),
    Row("alliance:record-decisions", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-decision-new", RECORD_CLINICIAN_ONLY, kwargs=ALICE),
    Row("alliance:record-decision", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.decision(cast, share=True))),
    Row("alliance:record-option-new", RECORD_CLINICIAN_ONLY, kwargs=lambda cast: _rec(cast, rh.decision(cast))),
    Row(
        "alliance:record-decision-share",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.decision(cast)),
    ),
    Row(
        "alliance:record-decision-preference",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.decision(cast, share=True)),
        data=lambda cast: {"what_matters": "Work", "kind": "unsure"},
    ),
    Row(
        "alliance:record-decision-check",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.decided(cast)),
        data=lambda cast: {"had_a_say": "4", "understood_options": "4", "told_downsides": "4"},
    ),
    # The clinician's own view, after the balanced options (issue 14)
    Row(
        "alliance:record-decision-advice",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.decision(cast, share=True)),
        data=lambda cast: {"advice": "Try rehab first.", "reasons": "Fewer risks.", "would_change": "No progress."},
    ),
    Row(
        "alliance:record-decision-advice-ask",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.decision(cast, share=True)),
    ),
    Row("alliance:record-story", RECORD_READ, kwargs=ALICE),
    Row("alliance:record-story-new", RECORD_PATIENT_ONLY, kwargs=ALICE),
    Row("alliance:record-story-entry", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.story(cast))),
    Row(
        "alliance:record-story-passage",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.story(cast)),
        data=lambda cast: {"quote": "Lifting patients was my life."},
    ),
    Row(
        "alliance:record-story-reflect",
        RECORD_CLINICIAN_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.story(cast)),
        data=lambda cast: {"summary": "Work mattered to you."},
    ),
    Row(
        "alliance:record-story-reflection-respond",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.reflection(cast)),
        data=lambda cast: {"response": "confirmed"},
    ),
    # alice wrote the question, so only she edits or withdraws it; her clinician is sent back to it (302).
    Row(
        "alliance:record-item-edit",
        {**RECORD_READ, "bob": 302},
        kwargs=lambda cast: {**_rec(cast, rh.ask(cast)), "kind": "question"},
    ),
    Row(
        "alliance:record-item-withdraw",
        {**RECORD_READ, "bob": 302},
        kwargs=lambda cast: {**_rec(cast, rh.ask(cast)), "kind": "question"},
    ),
    Row(
        "alliance:record-item-history",
        RECORD_READ,
        kwargs=lambda cast: {**_rec(cast, rh.ask(cast)), "kind": "question"},
    ),
    # --- the shared agenda and the session record
    Row("care_sessions:agenda", ALICE_PARTNERS, kwargs=ALICE_SESSION),
    Row("care_sessions:record", ALICE_CLINICIAN_PAGE, kwargs=_past_alice_session),
    Row("care_sessions:takeaway", ALICE_ONLY_PAGE, kwargs=_alice_recorded_session),
    Row(
        "care_sessions:agenda-move",
        ALICE_PARTNERS_POST,
        method="post",
        kwargs=_alice_agenda_item,
        data=lambda cast: {"direction": "up"},
    ),
    # Either side settles the patient's own items; only the care team settles the clinician's.
    Row("care_sessions:agenda-park", ALICE_PARTNERS_POST, method="post", kwargs=_alice_agenda_item),
    Row("care_sessions:agenda-park", ALICE_CLINICIAN_POST, method="post", kwargs=_bob_agenda_item),
    Row("care_sessions:agenda-answered", ALICE_PARTNERS_POST, method="post", kwargs=_alice_agenda_item),
    Row("care_sessions:agenda-answered", ALICE_CLINICIAN_POST, method="post", kwargs=_bob_agenda_item),
    Row(
        "care_sessions:agenda-merge",
        ALICE_PARTNERS_POST,
        method="post",
        kwargs=_alice_agenda_item,
        data=_another_alice_item,
    ),
    Row(
        "care_sessions:agenda-merge",
        ALICE_CLINICIAN_POST,
        method="post",
        kwargs=_bob_agenda_item,
        data=_another_alice_item,
    ),
    Row(
        "care_sessions:agenda-bring-back",
        ALICE_PARTNERS_POST,
        method="post",
        kwargs=_alice_parked_item,
        data=lambda cast: {"to": cast.alice_session.pk},
    ),
    # --- the prep sheet (issue 13): the patient's version for alice, the clinician's for her care team;
    # the same as a PDF. Her clinic's admin (dave) sees neither (403); anyone else finds nothing (404).
    Row("alliance:prep", ALICE_PARTNERS, kwargs=ALICE_SESSION),
    Row("alliance:prep-pdf", ALICE_PARTNERS, kwargs=ALICE_SESSION),
    # --- one timeline per patient (issue 13): her care team only; alice's own timeline is not built yet.
    Row("alliance:timeline", RECORD_CLINICIAN_ONLY, kwargs=ALICE),
    # --- home plans
    Row("care_sessions:plan", ALICE_PARTNERS, kwargs=ALICE),
    Row("care_sessions:plan-versions", ALICE_PARTNERS, kwargs=ALICE),
    Row("care_sessions:plan-item-edit", ALICE_CLINICIAN_PAGE, kwargs=_alice_plan_item),
    Row("care_sessions:plan-item-remove", ALICE_CLINICIAN_POST, method="post", kwargs=_alice_plan_item),
    Row(
        "care_sessions:plan-item-rate",
        {**ALICE_ONLY_PAGE, "alice": 302},
        method="post",
        kwargs=_alice_plan_item,
        data=lambda cast: {f"rate-{cast.alice.home_plans.get().items.get().pk}-score": "7"},
    ),
    Row("care_sessions:practice-log", ALICE_ONLY_PAGE, kwargs=_alice_plan_item),
    # --- reminders: your own choices and record; the clinic's record for its admins; a public opt-out
    Row("care_sessions:reminders", SIGNED_IN),
    Row("care_sessions:reminder-preferences", SIGNED_IN),
    Row("care_sessions:reminders-clinic", ADMINS_ONLY),
    Row(
        "care_sessions:reminders-person",
        {"anonymous": 302, "alice": 403, "frank": 403, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=ALICE_USER,
    ),
    Row("care_sessions:unsubscribe", EVERYONE, kwargs=_alice_unsubscribe),
    # --- reports and exports (issue 6). Each admin sees their own clinic's reports; Riverside's
    # export records and files are dave's alone (erin: 404); clinicians and patients cannot export.
    Row("alliance:reports", ADMINS_ONLY),
    Row("alliance:report-clinicians", ADMINS_ONLY),
    Row("alliance:report-trends", ADMINS_ONLY),
    Row("alliance:exports", ADMINS_ONLY),
    Row(
        "alliance:export-new",
        ADMINS_ONLY,
        method="post",
        data=lambda cast: {"dataset": "sessions", "format": "csv", "identified": "no"},
    ),
    Row("alliance:export", {**ADMINS_ONLY, "erin": 404}, kwargs=_riverside_export),
    Row("alliance:export-progress", {**ADMINS_ONLY, "erin": 404}, kwargs=_riverside_export),
    Row("alliance:export-download", {**ADMINS_ONLY, "erin": 404}, kwargs=_riverside_export),
    # --- a patient's right of access (issue 12). Riverside's requests are Riverside's admins' alone
    # (erin: 404); the released copy is alice's, and her clinic's admins'; nobody else's (404).
    Row("alliance:access-requests", ADMINS_ONLY),
    Row("alliance:access-request-new", {**ADMINS_ONLY, "erin": 404}, kwargs=ALICE),
    Row(
        "alliance:access-request-new",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=ALICE,
        data=lambda cast: {"received_on": f"{timezone.localdate():%Y-%m-%d}"},
    ),
    Row("alliance:access-request", {**ADMINS_ONLY, "erin": 404}, kwargs=_alice_access_request),
    Row(
        "alliance:access-request-withhold",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=_alice_access_request,
        data=lambda cast: {"section": "patients.user", "item_id": str(cast.alice.user.pk), "reason": "Third party"},
    ),
    Row(
        "alliance:access-request-restore",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=lambda cast: _alice_access_request(cast, withhold=True),
    ),
    Row(
        "alliance:access-request-decide",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=_alice_access_request,
        data=lambda cast: {"decision": "full"},
    ),
    Row(
        "alliance:access-request-release",
        ALICE_ADMIN_POST,
        method="post",
        kwargs=lambda cast: _alice_access_request(cast, decide=True),
    ),
    Row("alliance:access-request-retry", ALICE_ADMIN_POST, method="post", kwargs=_alice_failed_access_request),
    Row(
        "alliance:access-copy",
        {"anonymous": 302, "alice": 200, "frank": 404, "bob": 403, "carol": 403, "dave": 200, "erin": 404},
        kwargs=lambda cast: _alice_access_request(cast, release=True),
    ),
    # Step-back reviews (issue 14): the patient and her care team; the admin sees counts, not contents
    Row("alliance:reviews", RECORD_READ, kwargs=ALICE),
    Row("alliance:review-ask", RECORD_BOTH_POST, method="post", kwargs=ALICE),
    Row("alliance:review-new", RECORD_CLINICIAN_ONLY, kwargs=ALICE),
    Row("alliance:review", RECORD_READ, kwargs=lambda cast: _rec(cast, rh.review(cast))),
    Row(
        "alliance:review-reflect",
        RECORD_PATIENT_POST,
        method="post",
        kwargs=lambda cast: _rec(cast, rh.review(cast)),
        data=lambda cast: {"reflection": "Mostly right.", "disagree": ""},
    ),
    Row("alliance:my-data", PATIENTS_ONLY),
    Row("alliance:my-data-json", PATIENTS_ONLY),
    Row("alliance:my-data-fhir", PATIENTS_ONLY),
    # --- the audit trail (issue 12): each admin sees their own clinic's; a patient sees who looked at theirs
    Row("patients:audit", ADMINS_ONLY),
    Row("alliance:who-looked", PATIENTS_ONLY),
    Row("alliance:who-looked-ask", {**PATIENTS_ONLY, "frank": 404}, kwargs=_alice_read_by_bob),
]

ROWS_BY_NAME = {row.name: row for row in ROWS}


def _url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_url_pattern_has_rows():
    ours = {name for name in _url_names() if not name.startswith("admin:")}
    missing = sorted(ours - set(ROWS_BY_NAME))
    assert not missing, f"Add permission-matrix rows for: {missing}"
    stale = sorted(set(ROWS_BY_NAME) - ours)
    assert not stale, f"Rows for URLs that no longer exist: {stale}"
    for row in ROWS:
        assert set(row.expect) == set(ROLES), f"{row.name} must name every role"


def _status_as(role: str, *, signed_in: SignedIn, row: Row, url: str, data: dict) -> str | None:
    """What is wrong with ``role``'s answer from ``url``, or None if it is the one the row expects."""
    expected = row.expect[role]
    try:
        response = getattr(signed_in.client(role), row.method)(url, data)
    except Exception as error:  # the test client re-raises a view's exception: report it with the rest
        return f"{row.method.upper()} {url} as {role}: expected {expected}, got {type(error).__name__}: {error}"
    if response.status_code != expected:
        return f"{row.method.upper()} {url} as {role}: expected {expected}, got {response.status_code}"
    signing_in = role == "anonymous" and expected == 302 and row.name != "logout"
    if signing_in and not response["Location"].startswith(reverse("login")):
        return f"{row.method.upper()} {url} as {role}: sent to {response['Location']}, not to sign in"
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_permission_matrix(signed_in, row):
    """Each row builds what its URL needs once; then every role asks in turn, with a client of its own."""
    # A copy, so nothing a row does to the cast's objects in memory reaches the next row.
    cast = copy.deepcopy(signed_in.cast)
    url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
    data = row.data(cast)
    wrong = []
    for role in ROLES:
        # Each role's request runs in a savepoint that is rolled back, so what one role's POST
        # changes (a care team, a withdrawn question, a signed-out session) is never what the next
        # role is answered about.
        with transaction.atomic():
            wrong.append(_status_as(role, signed_in=signed_in, row=row, url=url, data=data))
            transaction.set_rollback(True)
    wrong = [problem for problem in wrong if problem]
    assert not wrong, "\n".join(wrong)


def _admin_patterns():
    """Every named URL of the Django admin, with placeholder arguments."""
    placeholders = {"app_label": "patients", "object_id": "1", "id": "1", "pk": "1", "content_type_id": "1", "url": "x"}
    admin_resolver = next(
        entry for entry in get_resolver().url_patterns if isinstance(entry, URLResolver) and entry.namespace == "admin"
    )

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry)
            elif entry.name:
                params = entry.pattern.regex.groupindex
                yield f"admin:{entry.name}", {key: placeholders[key] for key in params}

    return sorted(dict(walk(admin_resolver)).items())


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), _admin_patterns(), ids=[n for n, _ in _admin_patterns()])
def test_django_admin_is_for_superusers_only(signed_in, name, kwargs):
    """None of the product's roles is staff: the admin site sends them all to its sign-in page."""
    url = reverse(name, kwargs=kwargs)
    for role in ROLES:
        response = signed_in.client(role).get(url)
        if name == "admin:login":
            assert response.status_code == 200, role
            # Someone signed in is told their account may not use the admin; a visitor just sees the form.
            told = "not authorized" in response.content.decode()
            assert told == (role != "anonymous"), f"{url} as {role}"
        else:
            assert response.status_code == 302, f"{url} as {role}"
            # Signing out of the admin sends a non-staff person to the admin index, which then asks them to sign in.
            target = reverse("admin:index") if name == "admin:logout" and role != "anonymous" else "/login/"
            assert target in response["Location"], f"{url} as {role}"


@pytest.mark.django_db
def test_superuser_reaches_the_django_admin(client):
    superuser = User.objects.create_superuser(email="root@example.org", password="x" * 20, full_name="Root")
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 200

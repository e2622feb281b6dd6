"""A form sent to something that changed while it was open (a session cancelled or recorded, a record
item withdrawn, a newer plan saved, a clinician already off the care team, an account already closed)
answers 400 with a message next to the form saying what happened, every word kept, nothing saved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.models import CheckIn, PreferenceKind
from alliance.services import record as svc
from patients.services import care_team_unassign, user_deactivate
from sessions.models import AgendaItem, CareSession, SessionRecord, SessionStatus
from sessions.services import care_session_cancel, home_plan_revise
from tests.alliance.record import helpers as rh
from tests.care_sessions.helpers import past_session, plan_for
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

WORDS = "My knee swelled after the stairs on Tuesday, and I want to ask about it"


def _said(response, *phrases) -> str:
    assert response.status_code == 400, response.status_code
    text = visible_text(response)
    for phrase in phrases:
        assert phrase in text, text[:2000]
    return response.content.decode()


def test_an_agenda_item_for_a_session_just_cancelled(client, cast):
    client.force_login(cast.alice.user)
    care_session_cancel(by=cast.bob.user, care_session=cast.alice_session)
    response = client.post(reverse("care_sessions:agenda", kwargs={"pk": cast.alice_session.pk}), {"text": WORDS})
    html = _said(response, "This session is no longer open for new items.")
    assert WORDS in html, "the words are kept in the form"
    assert not AgendaItem.objects.filter(text=WORDS).exists()


def test_a_check_in_for_a_session_just_cancelled(client, cast):
    client.force_login(cast.alice.user)
    care_session_cancel(by=cast.bob.user, care_session=cast.alice_session)
    answers = {f"alliance-{key}": "3" for key in ("relationship", "goals", "approach", "overall")}
    response = client.post(
        reverse("alliance:checkin"), {**answers, "session": str(cast.alice_session.pk), "note": WORDS}
    )
    html = _said(response, "That appointment isn't going ahead")
    assert WORDS in html
    assert not CheckIn.objects.exists()


def test_moving_a_session_that_was_cancelled_meanwhile(client, cast):
    client.force_login(cast.bob.user)
    care_session_cancel(by=cast.dave.user, care_session=cast.alice_session)
    response = client.post(
        reverse("care_sessions:reschedule", kwargs={"pk": cast.alice_session.pk}),
        {"starts_at": "2031-03-04T10:15", "duration_minutes": "45", "mode": "in_person"},
    )
    html = _said(response, "no longer scheduled", "Meanwhile, it was cancelled.")
    assert "2031-03-04T10:15" in html
    assert CareSession.objects.get(pk=cast.alice_session.pk).starts_at.year != 2031


def test_cancelling_a_session_someone_else_cancelled_meanwhile_keeps_the_reason(client, cast):
    client.force_login(cast.bob.user)
    care_session_cancel(by=cast.dave.user, care_session=cast.alice_session, reason="Clinic closed")
    response = client.post(reverse("care_sessions:cancel", kwargs={"pk": cast.alice_session.pk}), {"reason": WORDS})
    html = _said(response, "meanwhile, it was cancelled. Nothing was changed.")
    assert WORDS in html


def test_recording_a_session_marked_missed_meanwhile_keeps_the_summary(client, cast):
    session = past_session(cast)
    client.force_login(cast.bob.user)
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.MISSED)
    response = client.post(
        reverse("care_sessions:record", kwargs={"pk": session.pk}), {"summary": WORDS, "next_steps": "Pacing"}
    )
    html = _said(
        response, "This session can't be recorded now: meanwhile, it has been recorded as not having happened."
    )
    assert WORDS in html
    assert not SessionRecord.objects.exists()


def test_editing_a_decision_the_patient_made_meanwhile(client, cast):
    decision = rh.decision(cast, share=True)
    client.force_login(cast.bob.user)
    url = reverse("alliance:record-item-edit", kwargs={"pk": cast.alice.pk, "kind": "decision", "item": decision.pk})
    assert client.get(url).status_code == 200
    option = decision.options.first()
    svc.decision_preference_record(  # Alice chooses, on her phone, while Bob is still editing
        decision=decision,
        by=cast.alice.user,
        what_matters="Lifting my grandson",
        kind=PreferenceKind.CHOSEN,
        option=option,
    )
    response = client.post(url, {"title": "What to do about my knee", "context": WORDS})
    html = _said(response, "This can't be changed now: while you were editing, the decision was made.")
    assert WORDS in html
    decision.refresh_from_db()
    assert decision.context != WORDS


def test_a_clinician_who_never_could_edit_is_still_sent_back(client, cast):
    """Not news: a question is the patient's to edit, so the clinician is sent back as before."""
    question = rh.ask(cast)
    client.force_login(cast.bob.user)
    url = reverse("alliance:record-item-edit", kwargs={"pk": cast.alice.pk, "kind": "question", "item": question.pk})
    assert client.post(url, {"text": WORDS}).status_code == 302


def test_editing_a_plan_item_after_a_newer_plan_was_saved(client, cast):
    walk = plan_for(cast, titles=("Morning walk", "Stretches")).items.get(title="Morning walk")
    client.force_login(cast.bob.user)
    url = reverse("care_sessions:plan-item-edit", kwargs={"pk": walk.pk})
    home_plan_revise(  # Carol's colleague saves a newer version meanwhile
        by=cast.bob.user,
        patient=cast.alice,
        items=[{"title": "Evening walk", "description": "Ten minutes.", "how_often": "Daily", "lineage": walk.lineage}],
    )
    data = {"title": "Morning walk, longer", "description": WORDS, "how_often": "Most days"}
    html = _said(client.post(url, data), "The plan changed while you were editing", "“Evening walk”")
    assert WORDS in html


def test_editing_a_plan_item_taken_out_meanwhile(client, cast):
    plan = plan_for(cast, titles=("Morning walk", "Stretches"))
    walk = plan.items.get(title="Morning walk")
    client.force_login(cast.bob.user)
    home_plan_revise(
        by=cast.bob.user,
        patient=cast.alice,
        items=[{"title": "Stretches", "description": "Gently.", "how_often": "Daily"}],
    )
    data = {"title": "Morning walk", "description": WORDS, "how_often": "Most days"}
    response = client.post(reverse("care_sessions:plan-item-edit", kwargs={"pk": walk.pk}), data)
    html = _said(response, "this item was taken out of it, so nothing was saved")
    assert WORDS in html


def test_handing_over_for_a_clinician_taken_off_the_care_team_meanwhile(client, cast):
    client.force_login(cast.dave.user)
    url = reverse("care_sessions:care-team-leave", kwargs={"pk": cast.alice.user.pk, "clinician_pk": cast.bob.pk})
    care_team_unassign(patient=cast.alice, clinician=cast.bob, by=cast.dave.user)
    response = client.post(url, {"reason": WORDS, f"appointment-{cast.alice_session.pk}": "cancel"})
    html = _said(response, "Bob Baker is not on Alice Archer's care team. Someone took them off it meanwhile")
    assert WORDS in html


def test_closing_an_account_someone_closed_meanwhile(client, cast):
    client.force_login(cast.dave.user)
    user_deactivate(person=cast.frank.user, by=cast.dave.user)
    response = client.post(reverse("care_sessions:account-close", kwargs={"pk": cast.frank.user.pk}), {"reason": WORDS})
    html = _said(response, "Frank Foster's account was deactivated by someone else meanwhile")
    assert WORDS in html


def test_a_page_opened_after_the_change_still_just_says_so(client, cast):
    """Only a form that was already open is kept: opening the page afresh is sent on, as before."""
    client.force_login(cast.bob.user)
    care_session_cancel(by=cast.dave.user, care_session=cast.alice_session)
    response = client.get(reverse("care_sessions:reschedule", kwargs={"pk": cast.alice_session.pk}))
    assert response.status_code == 302
    assert timezone.now() - timedelta(days=1) < cast.alice_session.starts_at

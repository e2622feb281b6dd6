"""'The same advice you would give a family member': the clinician's own view comes after the balanced
options, labelled as theirs and kept apart from them; the patient can ask for it, and it goes on the agenda."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.models import Decision, DecisionStatus
from alliance.services import record as svc
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.record import helpers as h
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

VIEW = {
    "advice": "Try the rehab programme for three months first.",
    "reasons": "Most people with knees like yours improve with it, and it keeps surgery open.",
    "would_change": "If the knee locks or gives way, I'd think again about surgery.",
}


def url(name, cast, *args):
    return reverse(f"alliance:{name}", args=[cast.alice.pk, *args])


def give(cast, decision, **words):
    return svc.decision_advice_give(decision=decision, by=cast.bob.user, **{**VIEW, **words})


def test_the_clinician_cannot_give_their_view_before_the_options_are_shared(cast):
    draft = h.decision(cast)
    with pytest.raises(ValidationError, match="Share the balanced options first"):
        give(cast, draft)
    draft.refresh_from_db()
    assert draft.advice == "" and draft.advice_at is None


def test_the_database_refuses_a_view_on_a_decision_that_was_never_shared(cast):
    draft = h.decision(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=draft.pk).update(
            advice="Surgery", advice_reasons="Quick", advice_would_change="x", advice_by=cast.bob.user,
            advice_at=timezone.now(),
        )  # fmt: skip


def test_a_view_of_only_spaces_is_refused_beside_the_field(cast):
    shared = h.decision(cast, share=True)
    with pytest.raises(ValidationError) as refused:
        give(cast, shared, reasons="   ")
    assert refused.value.message_dict == {"reasons": ["Please give your reasons, so they can weigh them."]}


def test_only_the_care_team_gives_a_view_and_only_once(cast):
    shared = h.decision(cast, share=True)
    with pytest.raises(PermissionDenied):
        svc.decision_advice_give(decision=shared, by=cast.carol.user, **VIEW)
    with pytest.raises(PermissionDenied):
        svc.decision_advice_give(decision=shared, by=cast.alice.user, **VIEW)
    give(cast, shared)
    with pytest.raises(ValidationError, match="already shared"):
        give(cast, shared, advice="Surgery")
    shared.refresh_from_db()
    assert shared.advice == VIEW["advice"] and shared.advice_by == cast.bob.user


def test_the_view_needs_reasons_and_what_would_change_the_clinicians_mind(client, cast):
    shared = h.decision(cast, share=True)
    client.force_login(cast.bob.user)
    response = client.post(url("record-decision-advice", cast, shared.pk), {**VIEW, "reasons": "", "would_change": ""})
    assert response.status_code == 400
    text = page_text(response)
    assert "Please give your reasons" in text and "Please say what would change your mind" in text
    assert VIEW["advice"] in response.content.decode(), "the words typed are kept"
    shared.refresh_from_db()
    assert shared.advice_at is None


def test_the_patient_sees_the_view_below_the_options_labelled_as_the_clinicians_own(client, cast):
    shared = h.decision(cast, share=True)
    client.force_login(cast.bob.user)
    sent = client.post(url("record-decision-advice", cast, shared.pk), VIEW)
    assert sent.status_code == 302
    client.force_login(cast.alice.user)
    html = client.get(url("record-decision", cast, shared.pk)).content.decode()
    text = page_text(client.get(url("record-decision", cast, shared.pk)))
    assert "Your clinician's own view" in text
    assert f"This is {cast.bob.user.full_name}'s personal view" in text and "the choice stays yours" in text
    assert html.index('id="options-heading"') < html.index('id="advice-heading"'), "the options come first"
    assert html.index('id="advice-heading"') < html.index('id="pref-heading"'), "and the patient's say follows"
    for words in VIEW.values():
        assert words in text


def test_the_patient_choice_and_the_real_say_check_are_unchanged_after_a_view(client, cast):
    shared = h.decision(cast, share=True)
    give(cast, shared)
    option = shared.options.first()
    client.force_login(cast.alice.user)
    client.post(
        url("record-decision-preference", cast, shared.pk),
        {"what_matters": "Lifting my grandson", "kind": "chosen", "option": option.pk},
    )
    shared.refresh_from_db()
    assert shared.status == DecisionStatus.DECIDED and shared.preferred_option == option
    assert "Did you feel you had a real say in this decision?" in page_text(
        client.get(url("record-decision", cast, shared.pk))
    )


def test_a_patient_asks_what_the_clinician_would_advise_a_family_member_and_it_goes_on_the_agenda(client, cast):
    shared = h.decision(cast, share=True)
    client.force_login(cast.alice.user)
    page = page_text(client.get(url("record-decision", cast, shared.pk)))
    assert "What would you advise a family member?" in page
    response = client.post(url("record-decision-advice-ask", cast, shared.pk), follow=True)
    assert "on the agenda for your next appointment" in page_text(response)
    item = AgendaItem.objects.get(patient=cast.alice, source=AgendaSource.DECISION)
    assert item.care_session == cast.alice_session
    assert item.text == f"What would you advise a family member? About: {shared.title}"
    assert item.raised_by == cast.alice.user
    client.post(url("record-decision-advice-ask", cast, shared.pk))
    assert AgendaItem.objects.filter(patient=cast.alice, source=AgendaSource.DECISION).count() == 1

    client.force_login(cast.bob.user)
    text = page_text(client.get(url("record-decision", cast, shared.pk)))
    assert f"{cast.alice.user.get_short_name()} asked what you would advise a family member" in text


def test_a_patient_cannot_ask_about_a_decision_still_being_prepared(cast):
    draft = h.decision(cast)
    with pytest.raises(PermissionDenied):
        svc.decision_advice_ask(decision=draft, by=cast.alice.user)
    assert not AgendaItem.objects.filter(patient=cast.alice).exclude(source=AgendaSource.PATIENT).exists()


def test_the_clinician_sees_no_view_form_until_the_options_are_shared(client, cast):
    draft = h.decision(cast)
    client.force_login(cast.bob.user)
    assert "If you were my family, I would" not in page_text(client.get(url("record-decision", cast, draft.pk)))
    svc.decision_share(decision=draft, by=cast.bob.user)
    assert "If you were my family, I would" in page_text(client.get(url("record-decision", cast, draft.pk)))

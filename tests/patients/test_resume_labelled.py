"""After a sign-in ran out, "Nothing you wrote was lost" shows what was sent as the form showed it:
each field's label, choices in their words, checkboxes ticked or not, the check-in's ratings."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from alliance.models import Purpose, Respondent
from alliance.selectors.instruments import instruments_current
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-private-password"


def _offer(client, user, url, data) -> str:
    """Sign in, let the sign-in run out, send ``data`` to ``url``, sign in again: the offer page's text."""
    user.set_password(PASSWORD)
    user.save()
    assert client.post(reverse("login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    Session.objects.filter(session_key=client.session.session_key).delete()
    sent = client.post(url, data)
    assert sent["Location"].startswith(reverse("login"))
    client.post(sent["Location"], {"username": user.email, "password": PASSWORD, "next": url})
    offer = client.get(url)
    assert offer.status_code == 200
    return visible_text(offer)


def test_a_question_is_shown_back_with_its_labels_its_choice_in_words_and_the_ticked_box(client, cast):
    url = reverse("alliance:record-question-new", args=[cast.alice.pk])
    text = _offer(
        client,
        cast.alice.user,
        url,
        {"text": "Is it safe to swim with my back?", "worried_silly": "on", "route": "next_session"},
    )
    assert "Your question Is it safe to swim with my back?" in text
    assert "I worry this might be a silly question Ticked" in text
    assert "When would you like to talk about it? Raise it at my next appointment" in text
    assert "next_session" not in text and "worried_silly" not in text


def test_a_setback_shows_its_ticked_agenda_box(client, cast):
    url = reverse("alliance:record-setback-new", args=[cast.alice.pk])
    text = _offer(client, cast.alice.user, url, {"what_happened": "A bad flare after gardening", "add_to_agenda": "on"})
    assert "What happened? A bad flare after gardening" in text
    assert "I'd like to talk about this at the next appointment Ticked" in text
    assert "add_to_agenda" not in text


def test_a_check_in_shows_every_rating_with_its_question(client, cast):
    versions = instruments_current(
        clinic=cast.alice.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
    )
    items = versions[Purpose.ALLIANCE].definition["items"]
    scale = versions[Purpose.ALLIANCE].definition["scale"]
    data = {f"alliance-{item['key']}": str(number + 1) for number, item in enumerate(items)}
    text = _offer(
        client,
        cast.alice.user,
        reverse("alliance:checkin"),
        {**data, "session": str(cast.alice_session.pk), "note": "Hard week"},
    )
    for number, item in enumerate(items):
        assert f"{item['text']} {number + 1} (on a scale from {scale['min']} to {scale['max']})" in text
    assert "Anything you'd like to raise next time? Hard week" in text
    assert "alliance-" not in text

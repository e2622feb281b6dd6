"""A sign-in that runs out before Send loses nothing: what was sent is kept and offered again,
to the same person only, with a plain word about what happened."""

from html import unescape

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from alliance.models import CheckIn, StoryEntry
from patients.middleware import PENDING_KEY
from tests.helpers import page_text, visible_text

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-private-password"
LOW = {"alliance-relationship": "1", "alliance-goals": "2", "alliance-approach": "1", "alliance-overall": "1"}


def _sign_in(client, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _idle_too_long(client) -> None:
    """What 30 idle minutes do: the sign-in's session is gone from the database."""
    Session.objects.filter(session_key=client.session.session_key).delete()


def _form_values(html: str) -> dict:
    import re

    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {name: unescape(value) for name, value in found}


def test_a_check_in_sent_after_the_sign_in_ran_out_is_kept_and_sent_after_signing_in(client, cast):
    _sign_in(client, cast.alice.user)
    _idle_too_long(client)
    note = "I have had a really hard week and I'm not sure the exercises are helping"
    sent = client.post(reverse("alliance:checkin"), {**LOW, "session": str(cast.alice_session.pk), "note": note})
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("login"))
    assert not CheckIn.objects.exists()
    sign_in_page = visible_text(client.get(sent["Location"]))
    assert "your sign-in ran out after 30 minutes without activity. Nothing you wrote was lost" in sign_in_page

    again = client.post(
        sent["Location"], {"username": "alice@example.org", "password": PASSWORD, "next": reverse("alliance:checkin")}
    )
    assert again["Location"] == reverse("alliance:checkin")
    offer = client.get(again["Location"])
    text = visible_text(offer)
    assert "Nothing you wrote was lost" in text and note in text
    values = _form_values(offer.content.decode())
    assert values["note"] == note and values["alliance-relationship"] == "1"
    assert values["form_token"] and values["csrfmiddlewaretoken"], "fresh tokens come with the offer"
    done = client.post(reverse("alliance:checkin"), values)
    assert done.status_code == 302
    checkin = CheckIn.objects.get(patient=cast.alice)
    assert checkin.note == note and checkin.alliance_response.total == 5
    assert client.get(reverse("alliance:checkin")).status_code == 200, "offered once only"
    assert PENDING_KEY not in client.session


def test_a_long_story_entry_survives_the_sign_in_running_out(client, cast):
    _sign_in(client, cast.alice.user)
    _idle_too_long(client)
    url = reverse("alliance:record-story-new", args=[cast.alice.pk])
    body = "It started after the car accident in 2019. " * 40
    client.post(url, {"topic": "history", "title": "How it began", "body": body})
    client.post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD, "next": url})
    values = _form_values(client.get(url).content.decode())
    assert values["body"] == body
    assert client.post(url, values).status_code == 302
    assert StoryEntry.objects.get(patient=cast.alice).title == "How it began"


def test_someone_else_signing_in_on_the_same_browser_never_sees_what_was_kept(client, cast):
    _sign_in(client, cast.alice.user)
    _idle_too_long(client)
    client.post(reverse("alliance:checkin"), {**LOW, "note": "Something private about my family"})
    cast.frank.user.set_password(PASSWORD)
    cast.frank.user.save()
    client.post(reverse("login"), {"username": "frank@example.org", "password": PASSWORD})
    page = client.get(reverse("alliance:checkin"))
    assert "Something private about my family" not in page_text(page)
    assert PENDING_KEY not in client.session, "someone else's words are dropped, not kept for later"


def test_nothing_is_kept_on_a_browser_where_nobody_was_signed_in(client, cast):
    client.post(reverse("alliance:checkin"), {**LOW, "note": "From nowhere"})
    assert PENDING_KEY not in client.session

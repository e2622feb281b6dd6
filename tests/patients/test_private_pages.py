"""A sign-in ends 12 hours after it began however active it was, taking the same kind path as an idle
one; the sign-in and password pages say ``Cache-Control: no-store`` (tests/patients/test_no_store.py
walks every signed-in page)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from alliance.models import StoryEntry
from patients.signals import SIGNED_IN_AT_KEY
from tests.conftest import ROLES
from tests.helpers import visible_text

SIGNED_IN_ROLES = [role for role in ROLES if role != "anonymous"]
PASSWORD = "a-long-and-private-password"


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def _sign_in(client, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _signed_in_hours_ago(client, hours: float) -> None:
    session = client.session
    session[SIGNED_IN_AT_KEY] = (timezone.now() - timedelta(hours=hours)).isoformat()
    session.save()


@pytest.mark.django_db
def test_a_busy_sign_in_still_ends_twelve_hours_after_it_began(client, cast):
    _sign_in(client, cast.alice.user)
    _signed_in_hours_ago(client, 11.9)
    assert client.get(reverse("alliance:home")).status_code == 200, "before 12 hours, still signed in"
    _signed_in_hours_ago(client, 12.1)
    response = client.get(reverse("alliance:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    text = visible_text(client.get(response["Location"]))
    assert "a sign-in lasts at most 12 hours" in text
    assert client.get(reverse("alliance:home")).status_code == 302, "signed out for good, not for one request"


@pytest.mark.django_db
def test_a_post_sent_after_twelve_hours_is_kept_and_offered_after_signing_in(client, cast):
    _sign_in(client, cast.alice.user)
    _signed_in_hours_ago(client, 13)
    text = "The long day at work made my back worse, but I paced the afternoon."
    url = reverse("alliance:record-story-new", args=[cast.alice.pk])
    sent = client.post(url, {"topic": "history", "body": text, "form_token": "t-absolute"})
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("login"))
    assert not StoryEntry.objects.exists(), "nothing is saved while signed out"
    page = visible_text(client.get(sent["Location"]))
    assert "a sign-in lasts at most 12 hours" in page and "Nothing you wrote was lost" in page
    again = client.post(sent["Location"], {"username": cast.alice.user.email, "password": PASSWORD, "next": url})
    assert again["Location"] == url
    offer = visible_text(client.get(url))
    assert text in offer, "what was written is offered again to send"


@pytest.mark.django_db
def test_the_idle_limit_still_ends_a_sign_in_after_thirty_minutes(client, cast):
    _sign_in(client, cast.alice.user)
    Session.objects.filter(session_key=client.session.session_key).delete()  # what 30 idle minutes do
    response = client.get(reverse("alliance:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_idle_session_lasts_thirty_minutes_and_the_absolute_limit_twelve_hours(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_MAX_HOURS == 12

"""The "something new is waiting" email as the patient chooses it: off by default, turned on from the
Reminders page, turned off again from a link in the email. (Sending is tested with a real worker in
tests/care_sessions/test_news_worker.py.)"""

from __future__ import annotations

from datetime import time as clock

import pytest
from django.urls import reverse

from sessions.models import Reminder, ReminderKind, ReminderPreference
from sessions.services import reminders as r
from tests.alliance.record import helpers as h
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("care_sessions:reminder-preferences")


def _news(user):
    return Reminder.objects.filter(recipient=user, kind=ReminderKind.NEWS)


def test_it_is_off_by_default_so_nothing_is_planned(cast):
    h.answered(cast)
    r.reminders_plan()
    assert not _news(cast.alice.user).exists()


def test_the_patient_turns_it_on_from_the_reminders_page_and_is_told_what_it_says(client, cast):
    client.force_login(cast.alice.user)
    body = page_text(client.get(PREFERENCES))
    assert "Email me when something new from my care team is waiting" in body
    assert "never what it is" in body and "Never during your quiet hours" in body
    response = client.post(
        PREFERENCES,
        {
            "checkin_enabled": "on",
            "checkin_hours_before": "24",
            "nudge_frequency": "weekly",
            "nudge_time": "18:00",
            "news_enabled": "on",
            "quiet_start": "00:00",
            "quiet_end": "00:00",
        },
    )
    assert response.status_code == 302
    assert ReminderPreference.objects.get(user=cast.alice.user).news_enabled
    h.answered(cast)
    r.reminders_plan()
    assert _news(cast.alice.user).count() == 1
    # Clinicians are not offered it: it is about a patient's own record.
    client.force_login(cast.bob.user)
    assert "something new from my care team" not in page_text(client.get(PREFERENCES))


def test_the_link_in_the_email_turns_it_off_without_signing_in(client, cast):
    ReminderPreference.objects.create(user=cast.alice.user, news_enabled=True, quiet_start=clock(0), quiet_end=clock(0))
    url = reverse(
        "care_sessions:unsubscribe", kwargs={"token": r.unsubscribe_token(user=cast.alice.user, kind=ReminderKind.NEWS)}
    )
    assert "Turn off “something new is waiting” emails?" in page_text(client.get(url))
    assert ReminderPreference.objects.get(user=cast.alice.user).news_enabled
    client.post(url)
    assert not ReminderPreference.objects.get(user=cast.alice.user).news_enabled
    h.answered(cast)
    r.reminders_plan()
    assert not _news(cast.alice.user).exists()

"""Who led an item and "what I took from" read right for the person looking."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sessions import services
from tests.care_sessions.helpers import past_session
from tests.helpers import page_text, visible_text

pytestmark = pytest.mark.django_db


def _recorded(cast, *, hours):
    held = past_session(cast, hours=hours)
    item = services.agenda_item_raise(by=cast.bob.user, care_session=held, text="Walking plan")
    services.session_record_save(
        by=cast.bob.user,
        care_session=held,
        summary="We talked about walking.",
        next_steps="Try the walk.",
        entries=[services.EntryInput(item.pk, "discussed", "together", "")],
    )
    return held


def test_an_item_led_together_names_the_other_person_for_each_viewer(client, cast):
    held = _recorded(cast, hours=2)
    url = reverse("care_sessions:agenda", kwargs={"pk": held.pk})
    client.force_login(cast.alice.user)
    body = visible_text(client.get(url))
    assert "Raised by Bob Baker · You and Bob led this together" in body
    assert "· You led this together" not in body
    client.force_login(cast.bob.user)
    assert "Raised by you · You and Alice led this together" in visible_text(client.get(url))


def test_what_i_took_says_the_sessions_day_unless_it_was_today(client, cast):
    earlier = _recorded(cast, hours=24 * 5)
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": earlier.pk})))
    day = (earlier.starts_at).astimezone(cast.alice.user.tzinfo)
    assert f"What I took from the session on {day:%-d %B}" in body
    assert "What I took from today" not in body
    takeaway = page_text(client.get(reverse("care_sessions:takeaway", kwargs={"pk": earlier.pk})))
    assert f"What I took from the session on {day:%-d %B}" in takeaway


def test_what_i_took_from_today_on_a_session_held_today(client, cast, settings):
    held = _recorded(cast, hours=0)
    held.starts_at = held.starts_at - timedelta(minutes=1)
    held.save(update_fields=["starts_at"])
    client.force_login(cast.alice.user)
    assert "What I took from today" in page_text(client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})))

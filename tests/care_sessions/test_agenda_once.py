"""Settling agenda items and recording a session: a form sent twice (a double tap, Back and Send)
stores once, and nothing of the patient's is ever parked unless someone chose to park it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from patients.middleware import ALREADY_SENT
from sessions import services
from sessions.models import AgendaEntry, AgendaItem, AgendaStatus, SessionRecord
from sessions.selectors import agenda_for_session
from tests.care_sessions.helpers import future_session, past_session

pytestmark = pytest.mark.django_db


def _twice(client, url, data):
    data = {**data, "form_token": "the-same-form-" + url}
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert ALREADY_SENT in [str(m) for m in get_messages(again.wsgi_request)]
    return first


def _item(cast, who, text, care_session=None):
    return services.agenda_item_raise(by=who.user, care_session=care_session or cast.alice_session, text=text)


def test_parking_twice_parks_once_and_bringing_back_twice_brings_back_once(client, cast):
    later = future_session(cast, days=14)
    item = _item(cast, cast.alice, "Work")
    client.force_login(cast.alice.user)
    _twice(client, reverse("care_sessions:agenda-park", kwargs={"pk": item.pk}), {})
    assert AgendaEntry.objects.filter(agenda_item=item).count() == 1
    _twice(client, reverse("care_sessions:agenda-bring-back", kwargs={"pk": item.pk}), {"to": later.pk})
    item.refresh_from_db()
    assert (item.status, item.care_session, item.times_carried) == (AgendaStatus.OPEN, later, 1)


def test_answered_and_same_as_sent_twice_change_once(client, cast):
    a = _item(cast, cast.bob, "Sleep")
    b = _item(cast, cast.bob, "Nights")
    c = _item(cast, cast.bob, "Heat or ice?")
    client.force_login(cast.bob.user)
    _twice(client, reverse("care_sessions:agenda-answered", kwargs={"pk": c.pk}), {})
    _twice(client, reverse("care_sessions:agenda-merge", kwargs={"pk": b.pk}), {"into": a.pk})
    assert dict(AgendaItem.objects.values_list("text", "status")) == {
        "Sleep": AgendaStatus.OPEN,
        "Nights": AgendaStatus.MERGED,
        "Heat or ice?": AgendaStatus.ANSWERED,
    }


def test_the_session_record_sent_twice_is_stored_once(client, cast):
    held = past_session(cast)
    item = _item(cast, cast.alice, "Sleep", care_session=held)
    skipped = _item(cast, cast.alice, "Work", care_session=held)
    client.force_login(cast.bob.user)
    data = {
        f"item-{item.pk}-talked": "on",
        f"item-{item.pk}-led_by": "patient",
        f"item-{item.pk}-agreed": "A sleep diary",
        f"item-{skipped.pk}-led_by": "patient",
        "summary": "We talked about sleep.",
        "next_steps": "",
    }
    _twice(client, reverse("care_sessions:record", kwargs={"pk": held.pk}), data)
    assert SessionRecord.objects.filter(care_session=held).count() == 1
    assert AgendaEntry.objects.filter(care_session=held).count() == 1
    skipped.refresh_from_db()
    assert skipped.times_carried == 1, "carried once, not twice"


def test_nothing_of_the_patients_is_parked_unless_someone_chose_to(client, cast):
    """Not fitting the time, not being ticked, a missed session: the patient's items stay on an agenda."""
    held = past_session(cast)
    for n in range(12):
        _item(cast, cast.alice, f"Alice's worry {n}", care_session=held)
    assert not agenda_for_session(care_session=held, viewer=cast.bob.user).fit.fits
    client.force_login(cast.bob.user)
    client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk}))
    response = client.post(reverse("care_sessions:record", kwargs={"pk": held.pk}), {"summary": "We ran out of time."})
    assert response.status_code == 302
    assert not AgendaItem.objects.filter(status=AgendaStatus.PARKED).exists()
    assert set(AgendaItem.objects.values_list("care_session", "status")) == {(cast.alice_session.pk, "open")}

"""One timeline per patient: everything about them for their care team, newest first, by kind, a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, Win
from alliance.services import record as svc
from alliance.services.alerts import alert_acknowledge
from tests.alliance.prep import helpers
from tests.alliance.record import helpers as rh
from tests.helpers import field_errors, visible_text


def _timeline(client, cast, query: str = ""):
    response = client.get(reverse("alliance:timeline", args=[cast.alice.pk]) + query)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_timeline_shows_every_kind_of_event_newest_first(client_for, cast):
    helpers.last_session(cast)
    helpers.checkins(cast, 2)
    alert_acknowledge(alert=Alert.objects.filter(patient=cast.alice).first(), by=cast.bob.user, note="Will ask")
    helpers.home_plan(cast, 1)
    question = rh.ask(cast, text="Why does rain make it worse?", silly=True)
    svc.question_answer(question=question, by=cast.bob.user, body="Nobody knows for sure.")
    win = rh.win(cast, text="Carried the shopping home")
    svc.win_acknowledge(win=win, by=cast.bob.user, reply="That's a real step.")
    rh.setback(cast, text="Bad night after the wedding")
    rh.doesnt_fit(cast)
    rh.reflection(cast)
    goal = rh.goal(cast, text="Swim a length")
    svc.goal_rate(goal=goal, by=cast.alice.user, value=3)
    rh.decision(cast, title="Injections or not")
    svc.private_note_add(patient=cast.alice, by=cast.bob.user, body="Mentioned money worries")

    text = visible_text(_timeline(client_for(cast.bob.user), cast))
    for expected in (
        "Checked in",
        "alliance 28",
        "Raised for a conversation",
        "Acknowledged",
        "Will ask",
        "Session",
        "Talked about in session",
        "Pacing at work — the patient led",
        "Wrote the session summary",
        "Made the home plan",
        "Practice: done",
        "Worth trying: 7 out of 10",
        "Asked a question, worried it might sound silly",
        "Why does rain make it worse?",
        "Answer",
        "Nobody knows for sure.",
        "Carried the shopping home",
        "Replied to a win",
        "Bad night after the wedding",
        "Answered: doesn't fit",
        "Wrote what they heard",
        "Rated a goal 3",
        "Started laying out options",
        "Private note (care team only)",
        "Mentioned money worries",
    ):
        assert expected in text, expected
    # Newest first: the private note was written last, the check-ins days before the rest.
    assert text.index("Mentioned money worries") < text.index("Swim a length") < text.index("Checked in")


@pytest.mark.django_db
def test_timeline_filters_by_kind_with_a_plain_form(client_for, cast):
    rh.ask(cast, text="Why does rain make it worse?")
    rh.win(cast, text="Carried the shopping home")
    client = client_for(cast.bob.user)
    text = visible_text(_timeline(client, cast, "?kind=questions"))
    assert "Why does rain make it worse?" in text
    assert "Carried the shopping home" not in text
    text = visible_text(_timeline(client, cast, "?kind=questions&kind=journal"))
    assert "Why does rain make it worse?" in text and "Carried the shopping home" in text


@pytest.mark.django_db
def test_an_unknown_kind_shows_everything_and_says_so_beside_the_filter(client_for, cast):
    rh.win(cast, text="Carried the shopping home")
    response = _timeline(client_for(cast.bob.user), cast, "?kind=secrets")
    assert field_errors(response, "kind") == ["That isn't one of the kinds listed, so everything is shown."]
    assert "Carried the shopping home" in visible_text(response)


def _wins(cast, n: int, *, start: int = 0):
    now = timezone.now()
    Win.objects.bulk_create(
        Win(
            patient=cast.alice,
            created_by=cast.alice.user,
            text=f"Win number {start + index}",
            created_at=now - timedelta(minutes=start + index),
            last_activity_at=now,
        )
        for index in range(n)
    )


@pytest.mark.django_db
def test_timeline_is_paged_newest_first_keeping_the_filter(client_for, cast):
    _wins(cast, 30)
    client = client_for(cast.bob.user)
    first = _timeline(client, cast, "?kind=journal")
    text = visible_text(first)
    assert "Win number 0" in text and "Win number 24" in text and "Win number 25" not in text
    assert 'href="?kind=journal&amp;page=2"' in first.content.decode()
    second = visible_text(_timeline(client, cast, "?kind=journal&page=2"))
    assert "Win number 25" in second and "Win number 29" in second and "Win number 24" not in second
    assert "Newer" in second and "Older" not in second


@pytest.mark.django_db
def test_a_page_past_the_end_shows_the_last_page_that_has_events(client_for, cast):
    _wins(cast, 30)
    client = client_for(cast.bob.user)
    past = _timeline(client, cast, "?kind=journal&page=999")
    assert past.context["page"].number == 2
    text = visible_text(past)
    assert "1 kind shown, page 2" in text and "Win number 25" in text and "Win number 29" in text
    assert "Newer" in text and "Older" not in text and "Nothing" not in text
    assert 'href="?kind=journal&amp;page=1"' in past.content.decode()
    # Nothing of the kind asked for: page 1, which says so.
    empty = _timeline(client, cast, "?kind=checkins&page=999")
    assert empty.context["page"].number == 1
    assert "page 999" not in visible_text(empty) and "Nothing of these kinds yet." in visible_text(empty)


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_timeline_costs_the_same_at_10_and_1000_events(client_for, cast):
    helpers.last_session(cast)
    helpers.checkins(cast, 2)
    helpers.record_items(cast, 1)
    client = client_for(cast.bob.user)
    url = reverse("alliance:timeline", args=[cast.alice.pk])
    assert 10 <= len(_timeline(client, cast).context["page"].events) < 25
    few, few_page_2 = _count(client, url), _count(client, url + "?page=2")
    _wins(cast, 1000)
    many, many_page_2 = _count(client, url), _count(client, url + "?page=2")
    assert (many, many_page_2) == (few, few_page_2)
    assert many <= 40
    filtered = _count(client, url + "?kind=journal")
    assert filtered < many

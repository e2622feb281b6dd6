"""The patient's "who has looked" list: one row per staff member, role and day, with how many times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from alliance.models import Question
from patients.models import AuditEvent, AuditKind, User
from tests.helpers import query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _read(cast, who, at):
    return AuditEvent.objects.create(
        kind=AuditKind.READ,
        actor=who.user,
        actor_role=who.user.role,
        patient=cast.alice,
        clinic=cast.alice.clinic,
        page="alliance:record",
        at=at,
    )


def test_many_pages_opened_by_one_person_on_one_day_are_one_row_with_a_count(client_for, cast):
    for minute in range(12):
        _read(cast, cast.bob, MORNING + timedelta(minutes=minute))
    _read(cast, cast.bob, MORNING - timedelta(days=3))
    _read(cast, cast.dave, MORNING + timedelta(hours=1))
    client = client_for(User.objects.get(pk=cast.alice.user.pk))
    response = client.get(reverse("alliance:who-looked"))
    text = visible_text(response)
    assert text.count("Bob Baker Clinician") == 2
    assert "Monday 30 November 2026 Dave Dixon Clinic admin Opened your record once" in text
    assert "Monday 30 November 2026 Bob Baker Clinician Opened your record 12 times" in text
    assert "Friday 27 November 2026 Bob Baker Clinician Opened your record once" in text
    # Newest day first; on one day, the latest look first.
    assert text.index("Dave Dixon") < text.index("Opened your record 12 times") < text.index("Friday 27 November")
    html = response.content.decode()
    assert 'Ask about this<span class="visually-hidden"> visit by Bob Baker on 30 November 2026</span>' in html
    assert "this : " not in text and " :" not in html.split("Ask about this", 1)[1][:40]


def test_asking_about_a_group_says_how_many_times_on_the_agenda(client_for, cast):
    for minute in range(3):
        entry = _read(cast, cast.bob, MORNING + timedelta(minutes=minute))
    client = client_for(User.objects.get(pk=cast.alice.user.pk))
    page = client.get(reverse("alliance:who-looked")).content.decode()
    ask = reverse("alliance:who-looked-ask", args=[entry.pk])
    assert ask in page
    assert "(3 times that day)" in visible_text(client.get(ask))
    client.post(ask, {"text": "Was that about my scan?"})
    question = Question.objects.get(patient=cast.alice)
    assert question.text == (
        "About Bob Baker looking at my record on 30 November 2026 (3 times that day): Was that about my scan?"
    )


def test_the_grouped_list_costs_the_same_at_1_and_50_groups(cast):
    counts = query_counts_at_1_and_50(
        lambda n: [_read(cast, cast.bob, MORNING - timedelta(days=day)) for day in range(n)],
        lambda: [(cast.alice.user, reverse("alliance:who-looked"), 10)],
    )
    assert all(count <= 10 for count in counts.values())

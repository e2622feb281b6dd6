"""An explanation whose old and new versions both still have an open "doesn't fit" is one line, not two."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.services.record import explanation_respond, explanation_revise, explanation_write
from sessions.registry import digest_sections_for
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def twice_doesnt_fit(cast):
    explanation = explanation_write(
        patient=cast.alice, by=cast.bob.user, title="Sensitised nerves", body="Version one."
    )
    explanation_respond(version=explanation.versions.get(), by=cast.alice.user, fit="doesnt_fit", words="Not me.")
    newer = explanation_revise(explanation=explanation, by=cast.bob.user, body="Version two, in other words.")
    explanation_respond(version=newer, by=cast.alice.user, fit="partly", words="Closer.")
    return explanation


def test_the_caseload_lists_an_explanation_that_doesnt_fit_once(client, cast, twice_doesnt_fit):
    client.force_login(cast.bob.user)
    text = visible_text(client.get(reverse("alliance:home")))
    assert text.count("Alice Archer: “Sensitised nerves”") == 1
    assert "Alice Archer: “Sensitised nerves” : partly fits" in text, "the newest answer is the one shown"


def test_the_digest_counts_an_explanation_that_doesnt_fit_once(cast, twice_doesnt_fit):
    now = timezone.now()
    sections = {s.title: s for s in digest_sections_for(clinician=cast.bob, since=now - timedelta(days=1), now=now)}
    assert sections["Explanations to talk through"].lines == [
        "Alice Archer: 1 explanation that doesn't fully fit (1 new)"
    ]

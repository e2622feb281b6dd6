"""The clinician's rating is offered only once a session has started, and its messages say what is wrong."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from alliance.models import Response
from sessions.models import SessionStatus
from tests.factories import CareSessionFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

RATING = {"rating-relationship": "7", "rating-goals": "7", "rating-approach": "7", "rating-overall": "7"}


def test_a_session_that_has_not_started_offers_no_rating_form_and_says_when_it_can_be_rated(client, cast):
    client.force_login(cast.bob.user)
    url = reverse("alliance:rating", args=[cast.alice_session.pk])
    for response in (client.get(url), client.post(url, RATING)):
        assert response.status_code == 302 and response["Location"] == reverse("alliance:patient", args=[cast.alice.pk])
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert any(m.startswith("You can rate this session once it has started (") for m in said)
    assert not Response.objects.filter(care_session=cast.alice_session).exists()


def test_a_cancelled_session_has_nothing_to_rate(client, cast):
    past = CareSessionFactory(
        patient=cast.alice,
        clinician=cast.bob,
        starts_at=timezone.now() - timedelta(hours=2),
        status=SessionStatus.CANCELLED,
    )
    client.force_login(cast.bob.user)
    response = client.get(reverse("alliance:rating", args=[past.pk]), follow=True)
    assert "This session was cancelled, so there's nothing to rate." in visible_text(response)


def test_all_four_answers_given_never_says_answers_are_missing(client, cast):
    past = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=2))
    client.force_login(cast.bob.user)
    response = client.post(reverse("alliance:rating", args=[past.pk]), {**RATING, "rating-overall": "11"})
    assert response.status_code == 400
    assert "A few answers are missing" in visible_text(response), "one answer really is off the scale"
    response = client.post(reverse("alliance:rating", args=[past.pk]), RATING)
    assert response.status_code == 302


def test_a_check_in_refused_for_a_reason_other_than_answers_says_that_reason_alone(client, cast):
    CareSessionFactory._meta.model.objects.filter(pk=cast.alice_session.pk).update(status=SessionStatus.CANCELLED)
    client.force_login(cast.alice.user)
    answers = {"alliance-relationship": "6", "alliance-goals": "6", "alliance-approach": "6", "alliance-overall": "6"}
    response = client.post(reverse("alliance:checkin"), {**answers, "session": str(cast.alice_session.pk)})
    text = visible_text(response)
    assert "That appointment isn't going ahead, so this check-in can stand on its own." in text
    assert "A few answers are missing" not in text

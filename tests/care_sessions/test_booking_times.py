"""Booking at a time the clocks skip or repeat is refused like any other mistake: 400, said next to the field."""

import pytest
from django.urls import reverse

from sessions.models import CareSession
from tests.helpers import field_errors

pytestmark = pytest.mark.django_db

MESSAGE = (
    "The clocks change at that time, so it doesn't exist or happens twice. "
    "Please choose another time, for example an hour later."
)


@pytest.mark.parametrize("when", ["2027-03-28T01:30", "2027-10-31T01:30"], ids=["skipped in spring", "twice in autumn"])
def test_a_time_the_clocks_skip_or_repeat_is_refused_with_400_next_to_the_field(client, cast, when):
    client.force_login(cast.dave.user)
    before = CareSession.objects.count()
    data = {
        "patient": cast.alice.pk,
        "clinician": cast.bob.pk,
        "starts_at": when,
        "duration_minutes": "45",
        "mode": "in_person",
    }
    response = client.post(reverse("care_sessions:new"), data)
    assert response.status_code == 400
    assert field_errors(response, "starts_at") == [MESSAGE], "the message sits in the date and time field's own error"
    assert f'value="{when}"' in response.content.decode(), "what was typed is kept"
    assert CareSession.objects.count() == before

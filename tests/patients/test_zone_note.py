"""Pages say which zone their times are in when the person's zone is not their clinic's."""

import pytest
from django.urls import reverse

from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

NOTE = "Times are shown in Los Angeles time"


def test_someone_in_another_zone_is_told_which_zone_times_are_in(client, cast):
    cast.alice.user.timezone = "America/Los_Angeles"
    cast.alice.user.save(update_fields=["timezone"])
    client.force_login(cast.alice.user)
    for url in (
        reverse("alliance:home"),
        reverse("care_sessions:list"),
        reverse("care_sessions:detail", args=[cast.alice_session.pk]),
    ):
        assert NOTE in visible_text(client.get(url)), url


def test_staff_in_another_zone_are_told_too(client, cast):
    cast.bob.user.timezone = "America/Los_Angeles"
    cast.bob.user.save(update_fields=["timezone"])
    client.force_login(cast.bob.user)
    assert NOTE in visible_text(client.get(reverse("care_sessions:list")))


@pytest.mark.parametrize("zone", ["", "Europe/London"])
def test_nothing_is_said_when_the_zone_is_the_clinics(client, cast, zone):
    assert cast.alice.clinic.timezone == "Europe/London"
    cast.alice.user.timezone = zone
    cast.alice.user.save(update_fields=["timezone"])
    client.force_login(cast.alice.user)
    assert "Times are shown in" not in visible_text(client.get(reverse("alliance:home")))

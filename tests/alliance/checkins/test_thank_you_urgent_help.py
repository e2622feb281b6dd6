"""The thank-you page after a check-in: when the care team will read it, and the clinic's urgent help when
the answers raised an alert or the patient wrote a note."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from alliance.models import Alert, CheckIn
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

CALM = {
    "alliance-relationship": "8",
    "alliance-goals": "7",
    "alliance-approach": "9",
    "alliance-overall": "8",
    "pain-intensity": "6",
    "pain-enjoyment": "5",
    "pain-activity": "4",
}
RIVERSIDE_TEXT = "Riverside: call 01632 960 123, Monday to Friday, 9am to 5pm."
# The words around the number, which is a link of its own.
RIVERSIDE_WORDS = "Monday to Friday, 9am to 5pm."


@pytest.fixture
def alice_client(client, cast):
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    client.force_login(cast.alice.user)
    return client


def _check_in(client, cast, **answers):
    response = client.post(reverse("alliance:checkin"), {**CALM, "session": cast.alice_session.pk, **answers})
    assert response.status_code == 302
    return client.get(response["Location"])


def test_a_very_low_answer_brings_the_clinics_urgent_help_onto_the_thank_you_page(alice_client, cast):
    response = _check_in(alice_client, cast, **{"alliance-relationship": "1"})
    assert Alert.objects.filter(patient=cast.alice).exists()
    text = visible_text(response)
    assert "If you need help before then" in text
    assert RIVERSIDE_WORDS in text
    assert '<a href="tel:01632960123">01632 960 123</a>' in response.content.decode()


def test_a_note_brings_the_urgent_help_too_as_nobody_reads_it_until_clinic_hours(alice_client, cast):
    response = _check_in(alice_client, cast, note="I can't cope with this much longer.")
    assert not Alert.objects.filter(patient=cast.alice).exists()
    assert RIVERSIDE_WORDS in visible_text(response)


def test_calm_answers_without_a_note_leave_the_urgent_help_in_the_menu_only(alice_client, cast):
    text = visible_text(_check_in(alice_client, cast))
    assert "If you need help before then" not in text
    assert RIVERSIDE_WORDS not in text


def test_the_page_says_when_the_care_team_will_read_it_and_never_that_they_see_it_now(alice_client, cast):
    response = _check_in(alice_client, cast, **{"alliance-relationship": "1"})
    checkin = CheckIn.objects.get()
    CheckIn.objects.filter(pk=checkin.pk).update(submitted_at=datetime(2026, 12, 4, 19, 0, tzinfo=UTC))  # a Friday
    type(cast.alice_session).objects.filter(pk=cast.alice_session.pk).update(
        starts_at=datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # the appointment is after that Monday
    )
    text = visible_text(alice_client.get(reverse("alliance:checkin-done", kwargs={"pk": checkin.pk})))
    assert (
        "Your care team reads check-ins during clinic hours, not as they arrive. "
        "They will see this by the end of Monday 7 December (their next working day)."
    ) in text
    assert "can see your answers now" not in visible_text(response)


def test_an_appointment_sooner_than_the_next_working_day_is_the_only_time_given(alice_client, cast):
    # Sent on Friday evening for a Monday-morning appointment: "by the end of Monday" would come after it.
    _check_in(alice_client, cast, **{"alliance-relationship": "1"})
    checkin = CheckIn.objects.get()
    CheckIn.objects.filter(pk=checkin.pk).update(submitted_at=datetime(2026, 12, 4, 19, 0, tzinfo=UTC))
    type(cast.alice_session).objects.filter(pk=cast.alice_session.pk).update(
        starts_at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    )
    text = visible_text(alice_client.get(reverse("alliance:checkin-done", kwargs={"pk": checkin.pk})))
    assert "Bob Baker will read your answers before your appointment on Monday 7 December at 09:00." in text
    assert "Your care team reads check-ins during clinic hours, not as they arrive." in text
    assert "by the end of" not in text


def test_a_clinic_without_its_own_text_shows_the_general_advice_and_says_so(alice_client, cast):
    cast.riverside.urgent_help = ""
    cast.riverside.save()
    text = visible_text(_check_in(alice_client, cast, note="Worried about tonight."))
    assert "Riverside Pain Service hasn't written its own urgent-help details yet" in text
    assert "call 999" in text

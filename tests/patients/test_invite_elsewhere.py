"""Inviting an email that belongs to someone in another clinic answers exactly as inviting a new one:
the page must never reveal that someone is a patient (or clinician) elsewhere."""

import pytest
from django.urls import reverse

from patients.models import Invitation, User
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


def _invite(client, email, name="Nina New"):
    return client.post(
        reverse("patients:invite"), {"role": "patient", "full_name": name, "email": email, "form_token": email}
    )


def _answer(client, response) -> tuple:
    """What the admin sees: the status, where they are sent, and the page there."""
    page = visible_text(client.get(response["Location"]))
    return response.status_code, response["Location"], page


def test_an_email_in_another_clinic_gets_the_same_answer_as_an_email_nobody_has(client, cast, mailoutbox):
    client.force_login(cast.dave.user)
    grace = cast.grace.user  # a patient of Northgate, not Dave's clinic
    status_a, location_a, page_a = _answer(client, _invite(client, grace.email, name="Someone"))
    status_b, location_b, page_b = _answer(client, _invite(client, "nobody.yet@example.org", name="Someone"))
    assert (status_a, location_a) == (status_b, location_b) == (302, reverse("patients:people"))
    assert f"We've emailed an invitation to Someone at {grace.email}." in page_a
    assert "We've emailed an invitation to Someone at nobody.yet@example.org." in page_b
    for page in (page_a, page_b):
        assert "already" not in page.lower() and "another clinic" not in page.lower()
    assert grace.full_name not in page_a, "her real name is never shown"


def test_nothing_of_the_other_clinics_person_changes_and_they_are_told_by_email(client, cast, mailoutbox):
    client.force_login(cast.dave.user)
    grace = cast.grace.user
    _invite(client, grace.email)
    grace.refresh_from_db()
    assert grace.patient.clinic == cast.northgate
    assert not Invitation.objects.filter(user=grace).exists()
    assert User.objects.filter(email__iexact=grace.email).count() == 1
    assert [message.to for message in mailoutbox] == [[grace.email]]
    assert "Riverside Pain Service tried to invite you" in mailoutbox[0].subject
    assert "nothing has changed" in mailoutbox[0].body


def test_an_email_already_in_the_admins_own_clinic_is_said_next_to_the_field(client, cast):
    client.force_login(cast.dave.user)
    response = _invite(client, cast.alice.user.email)
    assert response.status_code == 400
    assert "This person is already in your clinic." in visible_text(response)

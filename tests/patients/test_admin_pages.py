"""Clinic admin pages: people, care teams, deactivation."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from patients.models import CareTeamMembership, LoginSession
from tests.factories import PatientFactory, UserFactory
from tests.helpers import page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db


def test_people_page_lists_the_clinic_and_nothing_else(client, cast):
    client.force_login(cast.dave.user)
    body = page_text(client.get(reverse("patients:people")))
    for name in ("Alice Archer", "Frank Foster", "Bob Baker", "Carol Clarke", "Dave Dixon"):
        assert name in body
    for name in ("Grace Green", "Heidi Hall", "Erin Evans"):
        assert name not in body


def test_people_page_query_count_is_the_same_for_1_and_50_people(cast):
    query_counts_at_1_and_50(
        lambda n: PatientFactory.create_batch(n, clinic=cast.riverside),
        lambda: [(cast.dave.user, reverse("patients:people"), 8)],
    )


def test_admin_adds_and_removes_a_clinician_from_a_care_team(client, cast):
    client.force_login(cast.dave.user)
    url = reverse("patients:care-team-add", kwargs={"pk": cast.alice.user.pk})
    response = client.post(url, {"clinician": cast.carol.pk})
    assert response.status_code == 302
    assert CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.carol).exists()
    remove = reverse("care_sessions:care-team-leave", kwargs={"pk": cast.alice.user.pk, "clinician_pk": cast.carol.pk})
    assert "There are no appointments ahead to hand over." in page_text(client.get(remove))
    assert client.post(remove).status_code == 302
    assert not CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.carol).exists()


def test_care_team_cannot_take_a_clinician_from_another_clinic(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:care-team-add", kwargs={"pk": cast.alice.user.pk}), {"clinician": cast.heidi.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert not CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.heidi).exists()


def test_removing_a_clinician_of_another_clinic_is_not_found(client, cast):
    client.force_login(cast.dave.user)
    remove = reverse("care_sessions:care-team-leave", kwargs={"pk": cast.alice.user.pk, "clinician_pk": cast.heidi.pk})
    assert client.get(remove).status_code == 404
    assert client.post(remove).status_code == 404


def test_deactivation_ends_open_sessions_keeps_data_and_blocks_sign_in(client, cast):
    alice = cast.alice.user
    # alice signs in through the real form, so her login session is recorded
    alice.set_password("alice-has-a-long-password")
    alice.save()
    assert (
        client.post(
            reverse("login"), {"username": "alice@example.org", "password": "alice-has-a-long-password"}
        ).status_code
        == 302
    )
    alice_session_key = client.session.session_key
    assert LoginSession.objects.filter(user=alice, session_key=alice_session_key).exists()

    from tests.helpers import Client

    admin_client = Client()
    admin_client.force_login(cast.dave.user)
    close = reverse("care_sessions:account-close", kwargs={"pk": alice.pk})
    response = admin_client.post(close, {f"appointment-{cast.alice_session.pk}": "cancel"})
    assert response.status_code == 302

    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.deactivated_by == cast.dave.user
    assert not Session.objects.filter(session_key=alice_session_key).exists()
    # her open browser is now signed out
    assert client.get(reverse("alliance:home")).status_code == 302
    # she cannot sign in again
    again = client.post(reverse("login"), {"username": "alice@example.org", "password": "alice-has-a-long-password"})
    assert again.status_code == 200
    assert "don't match an account" in page_text(again)
    # her record is kept
    assert cast.alice_session.__class__.objects.filter(patient=cast.alice).exists()


def test_reactivation_lets_the_person_sign_in_again(client, cast):
    client.force_login(cast.dave.user)
    close = reverse("care_sessions:account-close", kwargs={"pk": cast.frank.user.pk})
    assert client.post(close, {f"appointment-{cast.frank_session.pk}": "cancel"}).status_code == 302
    cast.frank.user.refresh_from_db()
    assert not cast.frank.user.is_active
    client.post(reverse("patients:reactivate", kwargs={"pk": cast.frank.user.pk}))
    cast.frank.user.refresh_from_db()
    assert cast.frank.user.is_active
    assert cast.frank.user.deactivated_at is None


def test_admin_cannot_deactivate_themself(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(reverse("care_sessions:account-close", kwargs={"pk": cast.dave.user.pk}), follow=True)
    assert "cannot deactivate your own account" in page_text(response)
    cast.dave.user.refresh_from_db()
    assert cast.dave.user.is_active


def test_resend_invitation_for_someone_who_already_joined_says_so(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(reverse("patients:resend-invitation", kwargs={"pk": cast.alice.user.pk}), follow=True)
    assert "already set their password" in page_text(response)


def test_person_page_shows_care_team_and_account_actions(client, cast):
    client.force_login(cast.dave.user)
    body = page_text(client.get(reverse("patients:person", kwargs={"pk": cast.alice.user.pk})))
    assert "Bob Baker" in body
    assert "Deactivate Alice Archer" in body


def test_admin_home_flags_patients_without_a_care_team(client, cast):
    lonely = PatientFactory(clinic=cast.riverside, user=UserFactory(full_name="Lonely Lou"))
    client.force_login(cast.dave.user)
    body = page_text(client.get(reverse("alliance:home")))
    assert "Patients who need a care team" in body
    assert lonely.user.full_name in body

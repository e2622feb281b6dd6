"""Signing in by email, lockout, idle timeout and the account page."""

import pytest
from django.urls import reverse

from tests.helpers import page_text

pytestmark = pytest.mark.django_db

PASSWORD = "alice-has-a-long-password"


@pytest.fixture
def alice(cast):
    user = cast.alice.user
    user.set_password(PASSWORD)
    user.save()
    return user


def test_sign_in_by_email_in_any_capitalisation(client, alice):
    response = client.post(reverse("login"), {"username": "  Alice@Example.ORG ", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("alliance:home")


def test_wrong_password_keeps_the_email_and_explains_kindly(client, alice):
    response = client.post(reverse("login"), {"username": "alice@example.org", "password": "nope"})
    assert response.status_code == 200
    body = page_text(response)
    assert "don't match an account" in body
    assert 'value="alice@example.org"' in body


def test_five_failures_lock_the_email_from_this_address(client, alice):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@example.org", "password": "wrong password"})
    response = client.post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in is paused" in page_text(response)
    assert "_auth_user_id" not in client.session


def test_lockout_counts_per_email_not_for_everyone(client, alice, cast):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@example.org", "password": "wrong password"})
    bob = cast.bob.user
    bob.set_password("bob-has-a-long-password")
    bob.save()
    response = client.post(reverse("login"), {"username": "bob@example.org", "password": "bob-has-a-long-password"})
    assert response.status_code == 302


def test_login_session_expires_after_thirty_idle_minutes(client, alice, settings):
    client.post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD})
    assert client.session.get_expiry_age() == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_security_headers_are_sent(client, alice):
    client.force_login(alice)
    response = client.get(reverse("alliance:home"))
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_logout_needs_a_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("alliance:home")).status_code == 302


def test_account_page_updates_name_and_time_zone(client, alice):
    client.force_login(alice)
    response = client.post(reverse("patients:account"), {"full_name": "Alice A. Archer", "timezone": "Europe/Paris"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.full_name, alice.timezone) == ("Alice A. Archer", "Europe/Paris")


def test_account_page_refuses_an_unknown_time_zone_and_keeps_the_name(client, alice):
    client.force_login(alice)
    response = client.post(reverse("patients:account"), {"full_name": "Alice New Name", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    body = page_text(response)
    assert "Select a valid choice" in body
    assert 'value="Alice New Name"' in body
    alice.refresh_from_db()
    assert alice.full_name == "Alice Archer"


def test_password_reset_email_is_sent_only_to_known_active_accounts(alice, cast, mailoutbox):
    """The worker's half (tests/patients/test_password_reset.py sends it through a real worker)."""
    from patients.services import password_reset_email_send

    cast.frank.user.is_active = False
    cast.frank.user.save()
    assert password_reset_email_send(email=" ALICE@example.org") == 1
    assert password_reset_email_send(email="nobody@example.org") == 0
    assert password_reset_email_send(email=cast.frank.user.email) == 0
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert "/accounts/reset/" in mailoutbox[0].body


def test_unknown_page_gets_a_friendly_404(client, alice):
    client.force_login(alice)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We can't find that page" in page_text(response)

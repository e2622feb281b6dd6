"""Password spraying is slowed: failures from one address across many emails pause that address, beside
the pause for one email from one address; choosing a new password through a reset link lifts the pause."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from patients.services import password_reset_email_send
from tests.factories import PatientFactory, UserFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

PASSWORD = "alice-has-a-long-password"
NEW_PASSWORD = "a slow walk by the canal at dusk"


def _sign_in(client, email, password, address="10.0.0.7"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def alice(cast):
    user = cast.alice.user
    user.set_password(PASSWORD)
    user.save()
    return user


def test_one_hundred_wrong_passwords_across_25_emails_from_one_address_pause_that_address(client, cast, alice):
    emails = [PatientFactory(user=UserFactory(email=f"person{n}@example.org")).user.email for n in range(24)]
    emails.append(alice.email)
    answers = [_sign_in(client, email, f"Summer2026-{attempt}") for attempt in range(4) for email in emails]
    assert len(answers) == 100
    paused = [response.status_code for response in answers].index(429)
    assert paused <= 20, "paused by the address limit (20), long before 100"
    assert all(response.status_code == 429 for response in answers[paused:])
    # Even the right password for one of those accounts waits while the address is paused…
    assert _sign_in(client, alice.email, PASSWORD).status_code == 429
    assert "Sign-in is paused" in page_text(_sign_in(client, alice.email, PASSWORD))
    # …but another address is not affected.
    assert _sign_in(client, alice.email, PASSWORD, address="10.0.0.8").status_code == 302


def test_a_few_mistakes_from_a_shared_address_pause_nobody(client, cast, alice):
    for n in range(6):
        user = PatientFactory(user=UserFactory(email=f"colleague{n}@example.org")).user
        assert _sign_in(client, user.email, "not my password").status_code == 200
    assert _sign_in(client, alice.email, PASSWORD).status_code == 302


def test_the_email_and_address_limit_still_pauses_after_five(client, alice):
    for _ in range(5):
        _sign_in(client, alice.email, "wrong password")
    assert _sign_in(client, alice.email, PASSWORD).status_code == 429


def test_choosing_a_new_password_through_a_reset_link_lifts_the_pause(client, alice):
    for _ in range(5):
        _sign_in(client, alice.email, "wrong password")
    assert _sign_in(client, alice.email, PASSWORD).status_code == 429
    assert password_reset_email_send(email=alice.email) == 1
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("localhost:8000", 1)[-1] if "localhost:8000" in link else "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302, page_text(done)
    assert _sign_in(client, alice.email, NEW_PASSWORD).status_code == 302

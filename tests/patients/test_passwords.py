"""Weak passwords are refused in plain words (zxcvbn, told the person's email and name and "alliance"),
and a password has a sensible maximum length, wherever one is chosen."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from alliance.management.commands.seed_demo import DEFAULT_PASSWORD
from patients.services import invitation_create
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def _refusal(password, user=None) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=user)
    return " ".join(refused.value.messages)


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "alliance2026", "qwertyuiop123", "Password2026!"])
def test_easy_to_guess_passwords_are_refused_with_advice(password):
    message = _refusal(password)
    assert "easy for someone else to guess" in message


def test_a_password_made_of_the_persons_own_email_is_refused(cast):
    """Strong to an estimator that does not know her; told her email address, it is not."""
    validate_password("alice@example.org1")
    assert "easy for someone else to guess" in _refusal("alice@example.org1", user=cast.alice.user)


def test_the_advice_is_in_plain_words():
    message = _refusal("aaaaaaaaaaaa")
    assert 'Repeats like "aaa" are easy to guess.' in message


@pytest.mark.parametrize("password", ["a walk to the shops and back", "correct-horse-battery-staple", "Tr0ub4dor&3xyz"])
def test_strong_passwords_are_accepted(password, cast):
    validate_password(password, user=cast.alice.user)


def test_a_password_over_128_characters_is_refused_with_a_message():
    message = _refusal("a quiet walk by the river " * 6)  # 156 characters
    assert "at most 128 characters" in message and "This one has 156" in message
    validate_password(("a quiet walk by the river " * 5)[:128])


def test_the_demo_and_factory_passwords_still_pass():
    validate_password(DEFAULT_PASSWORD)
    validate_password(FACTORY_PASSWORD)


def test_accepting_an_invitation_with_a_weak_password_says_why_and_answers_400(client, cast):
    issued = invitation_create(
        clinic=cast.riverside, created_by=cast.dave.user, email="nina@example.org", full_name="Nina New", role="patient"
    )
    url = reverse("patients:invitation-accept", kwargs={"token": issued.token})
    response = client.post(url, {"new_password1": "alliance2026", "new_password2": "alliance2026"})
    assert response.status_code == 400
    assert "easy for someone else to guess" in page_text(response)
    issued.invitation.user.refresh_from_db()
    assert not issued.invitation.user.has_usable_password()

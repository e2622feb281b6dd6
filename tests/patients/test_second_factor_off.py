"""A patient who chose a second step can turn it off again (after confirming it's them); staff, who must
have one, cannot (issue 12)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.decorators import CONFIRMED_AT
from patients.models import AuditEvent, AuditKind
from patients.services import factors_reset_email, recovery_codes_issue
from tests.factories import PASSWORD
from tests.helpers import Client, totp_code, totp_device_for, visible_text

SECURITY = reverse("patients:security")
TURN_OFF = reverse("patients:second-factor-turn-off")


def _signed_in_with_code(user) -> tuple[Client, TOTPDevice]:
    """Signed in through the real pages: password, then a code from the app; the code given long ago."""
    device = totp_device_for(user)
    client = Client()
    assert client.post(reverse("login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    assert client.post(reverse("patients:second-factor"), {"code": totp_code(device)}).status_code == 302
    session = client.session
    session[CONFIRMED_AT] = time.time() - timedelta(minutes=30).total_seconds()
    session.save()
    return client, device


@pytest.mark.django_db
def test_a_patient_turns_their_second_step_off_after_confirming_its_them(cast, django_capture_on_commit_callbacks):
    alice = cast.alice.user
    client, device = _signed_in_with_code(alice)
    recovery_codes_issue(user=alice)
    page = visible_text(client.get(SECURITY))
    assert "Turn off the second step" in page

    asked = client.post(TURN_OFF, HTTP_REFERER=f"http://testserver{SECURITY}")
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("patients:confirm-it-is-you"))
    assert TOTPDevice.objects.filter(user=alice).exists(), "nothing is turned off before she confirms"
    back = client.post(asked["Location"], {"code": totp_code(device)})
    assert (back.status_code, back["Location"]) == (302, SECURITY)

    with django_capture_on_commit_callbacks() as told:
        done = client.post(TURN_OFF)
    assert (done.status_code, done["Location"]) == (302, SECURITY)
    assert len(told) == 1, "she is told by email (through the worker) once it has committed"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists(), "her recovery codes go with it"
    page = visible_text(client.get(SECURITY))
    assert "Your second step is off" in page and "Turn off the second step" not in page
    event = AuditEvent.objects.get(actor=alice, kind=AuditKind.FACTOR_RESET)
    assert event.patient_id == cast.alice.pk and "turned off by the person themself" in event.detail

    # From now on her password alone signs her in.
    fresh = Client()
    signed = fresh.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert signed.status_code == 302
    assert fresh.get(reverse("alliance:home")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "dave"])
def test_staff_cannot_turn_their_second_step_off(cast, who):
    user = cast.user(who)
    client, _ = _signed_in_with_code(user)
    assert "Turn off the second step" not in visible_text(client.get(SECURITY))
    session = client.session
    session[CONFIRMED_AT] = time.time()  # even just confirmed
    session.save()
    assert client.post(TURN_OFF).status_code == 403
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not AuditEvent.objects.filter(actor=user, kind=AuditKind.FACTOR_RESET).exists()


@pytest.mark.django_db
def test_the_email_after_turning_it_off_says_so_in_her_zone_and_what_to_do_if_it_was_not_her(
    cast, mailoutbox, settings
):
    alice = cast.alice.user
    alice.timezone = "America/New_York"
    alice.save(update_fields=["timezone"])
    at = datetime(2026, 7, 1, 18, 30, tzinfo=UTC)
    assert factors_reset_email(user_id=alice.pk, by_id=alice.pk, reset_at=at)
    message = mailoutbox[-1]
    assert message.subject == "Your Alliance sign-in: you turned off your second step"
    body = " ".join(message.body.split())
    assert "You turned off the second step of your Alliance sign-in on 1 July 2026 at 14:30 (New York time)." in body
    assert "If this wasn't you, please change your password now and contact your clinic." in body
    assert f"{settings.SITE_URL}{SECURITY}" in body


@pytest.mark.django_db
def test_after_turning_it_off_her_pages_open_without_asking_for_a_code_or_a_new_one(cast):
    alice = cast.alice.user
    device = totp_device_for(alice)
    client = Client()
    assert client.post(reverse("login"), {"username": alice.email, "password": PASSWORD}).status_code == 302
    # Her first page after the password sends her to the code page, and notes that she has a second step.
    asked = client.get(reverse("alliance:home"))
    assert asked["Location"].startswith(reverse("patients:second-factor"))
    assert client.post(reverse("patients:second-factor"), {"code": totp_code(device)}).status_code == 302
    assert client.post(TURN_OFF).status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    for page in (SECURITY, reverse("alliance:home")):
        response = client.get(page)
        assert response.status_code == 200, (page, response.get("Location"))

"""Actions that cannot be undone ask first: the link opens a page saying what will happen, and only
its button does it. Deactivating, removing from a care team, cancelling an appointment and
withdrawing a record item already had such a page; resetting a second step and removing a passkey
now do too."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from patients.decorators import CONFIRMED_AT
from tests.helpers import page_text, totp_device_for, visible_text

pytestmark = pytest.mark.django_db


def test_resetting_a_second_step_shows_what_will_happen_before_doing_it(client, cast):
    bob = cast.bob.user
    totp_device_for(bob)
    client.force_login(cast.dave.user)
    person = client.get(reverse("patients:person", args=[bob.pk])).content.decode()
    url = reverse("patients:factors-reset", args=[bob.pk])
    assert f'href="{url}"' in person, "the person page links to the confirmation, it does not post"

    page = client.get(url)
    assert page.status_code == 200
    text = visible_text(page)
    assert "Reset Bob Baker's second step?" in text
    assert "any open sign-in of theirs will end" in text
    assert f'action="{url}"' in page.content.decode()
    assert TOTPDevice.objects.filter(user=bob).exists(), "looking at the page changes nothing"

    done = client.post(url)
    assert done.status_code == 302
    assert "second step is reset" in page_text(client.get(done["Location"]))
    assert not TOTPDevice.objects.filter(user=bob).exists()


def test_another_clinics_admin_cannot_open_the_confirmation(client, cast):
    client.force_login(cast.erin.user)
    assert client.get(reverse("patients:factors-reset", args=[cast.bob.user.pk])).status_code == 404


def _confirmed_lately(client, user):
    client.force_login(user)
    session = client.session
    session[CONFIRMED_AT] = timezone.now().timestamp()  # they confirmed it's them a moment ago
    session.save()


def test_removing_a_passkey_asks_first(client, cast):
    dave = cast.dave.user
    passkey = WebAuthnCredential.objects.create(
        user=dave, name="Laptop", confirmed=True, credential_id=b"p" * 16, public_key=b"k", sign_count=0
    )
    _confirmed_lately(client, dave)
    url = reverse("patients:passkey-remove", args=[passkey.pk])
    assert f'href="{url}"' in client.get(reverse("patients:security")).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert "Remove this passkey?" in visible_text(page)
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert client.post(url).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_someone_elses_passkey_has_no_confirmation_page(client, cast):
    passkey = WebAuthnCredential.objects.create(
        user=cast.dave.user, name="Laptop", confirmed=True, credential_id=b"q" * 16, public_key=b"k", sign_count=0
    )
    _confirmed_lately(client, cast.bob.user)
    assert client.get(reverse("patients:passkey-remove", args=[passkey.pk])).status_code == 404

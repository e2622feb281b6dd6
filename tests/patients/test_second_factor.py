"""The second factor (issue 12): set-up, the code page at sign-in, recovery codes, throttling, asking
again before sensitive changes, and an admin's reset.

Everyone here signs in through the real sign-in page with a password (``_password_only``), so each
test meets the second step as a person would; codes are worked out from the device's secret with
pyotp, as any authenticator app does.
"""

from __future__ import annotations

import re
import time
import zoneinfo
from base64 import b32encode
from datetime import timedelta

import pyotp
import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.decorators import CONFIRMED_AT
from patients.models import LoginSession
from patients.services import RECOVERY_CODE_COUNT, recovery_codes_issue
from tests.factories import PASSWORD
from tests.helpers import Client, field_errors, page_text, totp_code, totp_device_for, visible_text
from tests.test_permissions import ROWS

SETUP = reverse("patients:second-factor-setup")
CODE_PAGE = reverse("patients:second-factor")
CONFIRM = reverse("patients:confirm-it-is-you")


def _password_only(user) -> Client:
    """A browser that has signed in with email and password, and nothing more yet."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password is right"
    return client


def _secret_on(page) -> str:
    """The key the set-up page shows for typing into an app, without its spaces."""
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.content.decode())
    assert match, "the set-up page shows the key as text"
    return match.group(1).replace(" ", "")


# --- set-up ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clinician_without_a_factor_is_sent_to_set_one_up_and_does_so_with_an_app(cast):
    client = _password_only(cast.bob.user)
    home = client.get(reverse("alliance:home"))
    assert home.status_code == 302 and home["Location"].startswith(SETUP)

    page = client.get(home["Location"])
    assert page.status_code == 200
    assert "<svg" in page.content.decode() and "QR code" in page.content.decode(), "a QR code, drawn inline"
    secret = _secret_on(page)
    assert "Because you can see patients' records" in visible_text(page)

    done = client.post(SETUP, {"code": pyotp.TOTP(secret).now(), "next": reverse("alliance:home")})
    assert done.status_code == 302 and done["Location"].startswith(reverse("patients:recovery-codes"))
    device = TOTPDevice.objects.get(user=cast.bob.user)
    assert device.confirmed and b32encode(device.bin_key).decode() == secret

    codes_page = client.get(done["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page.content.decode())
    assert len(codes) == RECOVERY_CODE_COUNT == 10
    assert set(StaticToken.objects.filter(device__user=cast.bob.user).values_list("token", flat=True)) == set(codes)
    assert client.get(done["Location"]).status_code == 302, "recovery codes are shown once"
    assert client.get(reverse("alliance:home")).status_code == 200, "past the second step"


@pytest.mark.django_db
def test_a_wrong_set_up_code_is_refused_next_to_the_field_and_nothing_is_turned_on(cast):
    client = _password_only(cast.carol.user)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 400
    assert field_errors(response, "code") == [
        "That code didn't work. Check you typed the newest six-digit code from your authenticator app."
    ]
    assert not TOTPDevice.objects.filter(user=cast.carol.user, confirmed=True).exists()
    assert client.get(reverse("alliance:home"))["Location"].startswith(SETUP)


@pytest.mark.django_db
def test_the_set_up_page_keeps_the_same_secret_until_it_is_confirmed(cast):
    client = _password_only(cast.carol.user)
    assert _secret_on(client.get(SETUP)) == _secret_on(client.get(SETUP))


# --- the code page at sign-in --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clinician_with_an_app_gives_a_code_after_the_password_and_goes_where_they_were_going(cast):
    device = totp_device_for(cast.bob.user)
    client = _password_only(cast.bob.user)
    wanted = reverse("alliance:patient", args=[cast.alice.pk])
    sent = client.get(wanted)
    assert sent.status_code == 302 and sent["Location"].startswith(CODE_PAGE)
    page = client.get(sent["Location"])
    assert page.status_code == 200 and "One more step" in visible_text(page)
    assert "Use a passkey" not in page.content.decode(), "no passkey button for someone with no passkey"

    wrong = client.post(CODE_PAGE, {"code": "123456", "next": wanted})
    assert wrong.status_code == 400
    assert field_errors(wrong, "code") == [
        "That code didn't work. Check the newest code in your app, or use one of your recovery codes."
    ]
    # django-otp makes the next try wait a second after one wrong code.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))
    right = client.post(CODE_PAGE, {"code": totp_code(device), "next": wanted})
    assert right.status_code == 302 and right["Location"] == wanted
    assert client.get(wanted).status_code == 200


@pytest.mark.django_db
def test_wrong_codes_in_a_row_make_the_next_try_wait_and_say_so_and_the_count_is_kept(cast):
    device = totp_device_for(cast.dave.user)
    client = _password_only(cast.dave.user)
    client.post(CODE_PAGE, {"code": "111111"})
    device.refresh_from_db()
    # The refused form is rolled back by FormOnceMiddleware's transaction only if it carried a form
    # token; the code form carries none, so the count of wrong codes survives the 400.
    assert device.throttling_failure_count == 1
    response = client.post(CODE_PAGE, {"code": totp_code(device)})
    assert response.status_code == 400
    (message,) = field_errors(response, "code")
    assert message.startswith(
        "The last code didn't work, and there is a short pause before the next one. Please wait 1 second"
    ), "one wrong code is not 'too many'"
    assert client.get(reverse("alliance:home"))["Location"].startswith(CODE_PAGE), "still not past the step"


@pytest.mark.django_db
def test_two_wrong_codes_in_a_row_are_called_too_many(cast):
    device = totp_device_for(cast.dave.user)
    client = _password_only(cast.dave.user)
    client.post(CODE_PAGE, {"code": "111111"})
    time.sleep(1.1)  # past the first pause, so the second wrong code counts too
    client.post(CODE_PAGE, {"code": "222222"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 2
    (message,) = field_errors(client.post(CODE_PAGE, {"code": totp_code(device)}), "code")
    assert message.startswith(
        "Too many codes in a row didn't work, so we've paused for a moment. Please wait 2 seconds"
    )


@pytest.mark.django_db
def test_a_recovery_code_works_once(cast):
    totp_device_for(cast.bob.user)
    codes = recovery_codes_issue(user=cast.bob.user)
    first = _password_only(cast.bob.user)
    used = first.post(CODE_PAGE, {"code": codes[0].upper()})
    assert used.status_code == 302
    assert "You used a recovery code; it won't work again. You have 9 left." in page_text(first.get(used["Location"]))

    second = _password_only(cast.bob.user)
    again = second.post(CODE_PAGE, {"code": codes[0]})
    assert again.status_code == 400
    assert field_errors(again, "code") == [
        "That code didn't work. Check the newest code in your app, or use one of your recovery codes."
    ]
    assert StaticToken.objects.filter(device__user=cast.bob.user).count() == 9


@pytest.mark.django_db
def test_a_patient_without_a_factor_is_not_asked_and_one_who_set_one_up_is(cast):
    alice = _password_only(cast.alice.user)
    assert alice.get(reverse("alliance:home")).status_code == 200
    assert alice.get(reverse("patients:security")).status_code == 200

    device = totp_device_for(cast.frank.user)
    frank = _password_only(cast.frank.user)
    sent = frank.get(reverse("alliance:home"))
    assert sent.status_code == 302 and sent["Location"].startswith(CODE_PAGE)
    assert frank.post(CODE_PAGE, {"code": totp_code(device)}).status_code == 302
    assert frank.get(reverse("alliance:home")).status_code == 200


@pytest.mark.django_db
def test_a_patient_can_choose_a_second_factor_from_their_account(cast):
    client = _password_only(cast.alice.user)
    assert "Sign-in and security" in visible_text(client.get(reverse("patients:account")))
    page = client.get(SETUP)
    assert page.status_code == 200 and "Because you can see patients' records" not in visible_text(page)
    done = client.post(SETUP, {"code": pyotp.TOTP(_secret_on(page)).now()})
    assert done.status_code == 302
    assert len(re.findall(r"<li><code>", client.get(done["Location"]).content.decode())) == 10
    # At the next sign-in she is asked for it.
    again = _password_only(cast.alice.user)
    assert again.get(reverse("alliance:home"))["Location"].startswith(CODE_PAGE)


# --- every page waits for the second step ----------------------------------------------------------

# What someone past their password but not their second step may open: signing out, and the pages
# (and passkey ceremonies) that give or set up the factor; pages open to everyone stay open.
OPEN_BEFORE_THE_SECOND_STEP = {"logout", "patients:second-factor", "patients:second-factor-setup"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "dave"])
@pytest.mark.parametrize("enrolled", [False, True], ids=["no-factor-yet", "has-an-app"])
def test_staff_past_only_their_password_reach_no_page_but_the_second_step(cast, who, enrolled):
    """Walk every URL of the permission matrix: each sends them to the second step, or is public."""
    if enrolled:
        totp_device_for(cast.user(who))
    second_step = CODE_PAGE if enrolled else SETUP
    client = _password_only(cast.user(who))
    leaks = []
    for row in ROWS:
        if row.name in OPEN_BEFORE_THE_SECOND_STEP or row.name.startswith("otp_webauthn:"):
            continue
        with transaction.atomic():
            url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
            response = getattr(client, row.method)(url, row.data(cast))
            transaction.set_rollback(True)
        public = row.expect["anonymous"] != 302
        went_to_second_step = response.status_code == 302 and response["Location"].startswith(second_step)
        if not (went_to_second_step or public):
            leaks.append(f"{row.method.upper()} {url}: {response.status_code}")
    assert not leaks, "pages reached before the second step:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_django_admin_is_behind_the_second_step_too(client):
    from patients.models import User

    root = User.objects.create_superuser(email="root@example.org", password=PASSWORD, full_name="Root")
    password_only = _password_only(root)
    response = password_only.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    client.force_login(root)  # with the second factor, as the code page gives it
    assert client.get(reverse("admin:index")).status_code == 200


# --- asked again before sensitive changes --------------------------------------------------------


def _verified_minutes_ago(user, minutes: int) -> tuple[Client, TOTPDevice]:
    """Signed in through the code page, the confirmation then ``minutes`` old."""
    device = totp_device_for(user)
    client = _password_only(user)
    assert client.post(CODE_PAGE, {"code": totp_code(device)}).status_code == 302
    session = client.session
    session[CONFIRMED_AT] = (timezone.now() - timedelta(minutes=minutes)).timestamp()
    session.save()
    return client, device


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "method", "then"),
    [
        (reverse("password_change"), "get", 200),
        (reverse("patients:second-factor-setup"), "get", 200),
        (reverse("patients:recovery-codes-new"), "post", 302),
        (reverse("otp_webauthn:credential-registration-begin"), "post", 200),
    ],
    ids=["password", "new-app", "new-recovery-codes", "add-passkey"],
)
def test_changing_the_password_or_the_factors_asks_for_the_second_step_again(cast, url, method, then):
    client, device = _verified_minutes_ago(cast.bob.user, minutes=11)
    refused = getattr(client, method)(url)
    if url.startswith("/accounts/passkeys/"):
        assert refused.status_code == 403 and "confirm it's you" in refused.json()["detail"]
        target = reverse("patients:security")
    else:
        assert refused.status_code == 302 and refused["Location"].startswith(CONFIRM)
        target = url if method == "get" else reverse("patients:security")
    page = client.get(CONFIRM, {"next": target})
    assert page.status_code == 200 and "Confirm it's you" in visible_text(page)
    wrong = client.post(CONFIRM, {"code": "000000", "next": target})
    assert wrong.status_code == 400 and field_errors(wrong, "code")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))
    confirmed = client.post(CONFIRM, {"code": totp_code(device), "next": target})
    assert confirmed.status_code == 302 and confirmed["Location"] == target
    allowed = getattr(client, method)(url)
    assert allowed.status_code == then and not allowed.get("Location", "").startswith(CONFIRM)


@pytest.mark.django_db
def test_a_confirmation_a_few_minutes_old_is_enough(cast):
    client, _ = _verified_minutes_ago(cast.bob.user, minutes=3)
    assert client.get(reverse("password_change")).status_code == 200


@pytest.mark.django_db
def test_staff_cannot_remove_their_only_passkey(cast):
    from django_otp_webauthn.models import WebAuthnCredential

    from patients.services import passkey_remove

    passkey = WebAuthnCredential.objects.create(
        user=cast.dave.user, name="Laptop", confirmed=True, credential_id=b"x" * 16, public_key=b"k", sign_count=0
    )
    with pytest.raises(Exception, match="only second step"):
        passkey_remove(user=cast.dave.user, passkey_id=passkey.pk)
    totp_device_for(cast.dave.user)
    assert passkey_remove(user=cast.dave.user, passkey_id=passkey.pk) is True


# --- an admin resets someone's factors -------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_resets_a_clinicians_factors_in_their_own_clinic(client, cast):
    bob = cast.bob.user
    device = totp_device_for(bob)
    recovery_codes_issue(user=bob)
    bobs_browser = _password_only(bob)
    assert bobs_browser.post(CODE_PAGE, {"code": totp_code(device)}).status_code == 302

    client.force_login(cast.dave.user)
    page = client.get(reverse("patients:person", args=[bob.pk]))
    assert "Reset Bob Baker's second step" in visible_text(page)
    response = client.post(reverse("patients:factors-reset", args=[bob.pk]))
    assert response.status_code == 302
    assert "second step is reset and they are signed out" in page_text(client.get(response["Location"]))
    assert not TOTPDevice.objects.filter(user=bob).exists() and not StaticDevice.objects.filter(user=bob).exists()
    assert not LoginSession.objects.filter(user=bob).exists()
    assert bobs_browser.get(reverse("alliance:home"))["Location"].startswith(reverse("login")), "signed out"
    again = _password_only(bob)
    assert again.get(reverse("alliance:home"))["Location"].startswith(SETUP), "sets up a new one"


@pytest.mark.django_db
def test_an_admin_of_another_clinic_cannot_reset_and_gets_404(client, cast):
    totp_device_for(cast.bob.user)
    client.force_login(cast.erin.user)
    assert client.post(reverse("patients:factors-reset", args=[cast.bob.user.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=cast.bob.user).exists()


@pytest.mark.django_db
def test_a_clinician_cannot_reset_anyones_factors(client, cast):
    totp_device_for(cast.bob.user)
    client.force_login(cast.carol.user)
    assert client.post(reverse("patients:factors-reset", args=[cast.bob.user.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=cast.bob.user).exists()


@pytest.mark.django_db
def test_an_admin_cannot_reset_their_own_factors(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(reverse("patients:factors-reset", args=[cast.dave.user.pk]), follow=True)
    assert "You can't reset your own second factor. Ask another admin of your clinic." in page_text(response)
    assert TOTPDevice.objects.filter(user=cast.dave.user, confirmed=True).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_person_is_emailed_about_a_reset_by_a_worker_in_their_own_time_zone(celery_workers):
    from tests.conftest import make_cast

    cast = make_cast()
    bob = cast.bob.user
    bob.timezone = "America/New_York"
    bob.save(update_fields=["timezone"])
    totp_device_for(bob)
    # The worker runs the real settings, printing the emails it sends to its log (EMAIL_URL=console://).
    celery_workers.start_worker(DJANGO_SETTINGS_MODULE="config.settings", EMAIL_URL="console://")
    client = Client()
    client.force_login(cast.dave.user)
    before = timezone.now()
    with celery_workers.default_queue():
        assert client.post(reverse("patients:factors-reset", args=[bob.pk])).status_code == 302
    celery_workers.wait_until_settled()
    log = celery_workers.logs()
    assert "Subject: Your Alliance sign-in: your second step was reset" in log
    assert "To: bob@example.org" in log
    new_york = timezone.localtime(before, timezone=zoneinfo.ZoneInfo("America/New_York"))
    said = " ".join(log.split())
    assert f"an admin at your clinic, reset the second step of your Alliance sign-in on {new_york:%-d %B %Y}" in said
    assert "(New York time)" in log
    assert not mail.outbox, "sent by the worker, not by the web request"

"""The second step in a real browser at 375 px: setting up an app, a wrong code, an admin's reset, and
a passkey made and used with Chromium's virtual authenticator (WebAuthn over the DevTools protocol)."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, log_in, open_menu, set_up_an_authenticator_app
from tests.factories import PASSWORD
from tests.helpers import totp_code

pytestmark = pytest.mark.browser

SIGN_OUT = re.compile(r"^Sign out")


def _password(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def test_a_new_clinician_sets_up_an_app_then_signs_in_with_a_code(page, cast):
    bob = cast.bob.user
    TOTPDevice.objects.filter(user=bob).delete()
    _password(page, bob.email)
    expect(page.get_by_role("heading", name="Set up your second step", level=1)).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    assert_accessible(page)
    set_up_an_authenticator_app(page)
    expect(page.get_by_role("heading", name="My caseload", level=1)).to_be_visible()

    open_menu(page)
    page.get_by_role("button", name=SIGN_OUT).click()
    log_in(page, bob.email)  # now with a code from the app just set up
    expect(page.get_by_role("heading", name="My caseload", level=1)).to_be_visible()


def test_a_wrong_code_at_sign_in_says_so_next_to_the_field(page, cast):
    _password(page, cast.dave.user.email)
    expect(page.get_by_role("heading", name="One more step", level=1)).to_be_visible()
    page.get_by_label("Code").fill("999999")
    page.get_by_label("Code").press("Enter")
    expect(page.get_by_text("That code didn't work. Check the newest code in your app")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_an_admin_resets_a_clinicians_second_step_from_their_page(page, cast):
    log_in(page, cast.dave.user.email)
    page.goto(f"/clinic/people/{cast.carol.user.pk}/")
    assert_accessible(page)
    page.get_by_role("link", name="Reset Carol Clarke's second step").click()
    # Nothing happens on one click: a page says what will, with the button that does it.
    expect(page.get_by_role("heading", name="Reset Carol Clarke's second step?", level=1)).to_be_visible()
    assert_accessible(page)
    assert TOTPDevice.objects.filter(user=cast.carol.user).exists()
    page.get_by_role("button", name="Reset Carol Clarke's second step").click()
    expect(page.get_by_text("Carol Clarke's second step is reset and they are signed out.")).to_be_visible()
    assert_accessible(page)
    assert not TOTPDevice.objects.filter(user=cast.carol.user).exists()


def _virtual_authenticator(page) -> None:
    """A platform authenticator that holds passkeys and always says the person is there."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_a_clinician_adds_a_passkey_signs_out_and_signs_in_with_it(page, cast):
    bob = cast.bob.user
    _virtual_authenticator(page)
    log_in(page, bob.email)
    page.goto("/accounts/me/")
    page.get_by_role("link", name="Sign-in and security").click()
    expect(page.get_by_role("heading", name="Sign-in and security", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add a passkey").click()
    # He had no recovery codes yet: they come with the new passkey, shown once.
    expect(page.get_by_role("heading", name="Your recovery codes", level=1)).to_be_visible()
    assert_accessible(page)
    assert WebAuthnCredential.objects.filter(user=bob, confirmed=True).count() == 1
    page.goto("/accounts/security/")
    expect(page.get_by_role("link", name=re.compile(r"^Remove the passkey added"))).to_have_count(1)

    open_menu(page)
    page.get_by_role("button", name=SIGN_OUT).click()
    _password(page, bob.email)
    expect(page.get_by_role("heading", name="One more step", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="My caseload", level=1)).to_be_visible()
    assert_accessible(page)


def test_changing_the_password_asks_for_the_code_again_after_a_while(page, cast):
    from django.contrib.sessions.models import Session

    from patients.decorators import CONFIRMED_AT

    dave = cast.dave.user
    log_in(page, dave.email)
    # Fifteen minutes later (the confirmation lasts ten):
    for session in Session.objects.all():
        data = session.get_decoded()
        if data.get("_auth_user_id") == str(dave.pk):
            data[CONFIRMED_AT] = data[CONFIRMED_AT] - 15 * 60
            Session.objects.filter(pk=session.pk).update(session_data=Session.objects.encode(data))
    page.goto("/accounts/password_change/")
    expect(page.get_by_role("heading", name="Confirm it's you", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(totp_code(TOTPDevice.objects.get(user=dave)))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/password_change/$"))

"""Changing one's sign-in address in a real browser at 375 px (issue 12): a clinician signs in with a code,
asks from the account page, opens the link from the new address's email, and signs in with it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from patients.models import User
from tests.browser.helpers import assert_accessible, log_in

pytestmark = pytest.mark.browser

NEW = "bob.new@example.org"


def test_a_clinician_changes_their_email_address_through_the_link_sent_to_it(page, cast):
    bob = cast.bob.user
    log_in(page, bob.email)  # password, then a code from his app
    page.goto("/accounts/me/")
    page.get_by_role("link", name="Change your email address").click()
    expect(page.get_by_role("heading", name="Change your email address", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("New email address").fill(NEW)
    page.get_by_label("Your current password").fill("not my password")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_text("That isn't your current password.")).to_be_visible()
    expect(page.get_by_label("Your current password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("New email address")).to_have_value(NEW)
    assert_accessible(page)

    page.get_by_label("Your current password").fill(cast.password)
    page.get_by_label("Your current password").press("Enter")
    expect(page.get_by_text(f"We've emailed {NEW}.")).to_be_visible()
    assert_accessible(page)

    (confirm,) = [message for message in mail.outbox if message.to == [NEW]]
    link = re.search(r"https?://[^/\s]+(/accounts/me/email/confirm/\S+/)", confirm.body).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your new email address", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Use {NEW}").click()
    expect(page.get_by_text(f"Done. You now sign in with {NEW}.")).to_be_visible()
    assert_accessible(page)
    assert User.objects.get(pk=bob.pk).email == NEW

    page.goto(link)
    expect(page.get_by_role("heading", name="This link has already been used", level=1)).to_be_visible()
    assert_accessible(page)

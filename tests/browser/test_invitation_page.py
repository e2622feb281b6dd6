"""The invitation page, in a real Chromium at 375 px and checked with axe: an admin opens an invitation
to an email that already had an account in another clinic from the people list, and resends and
cancels it with the keyboard, just as for any new email."""

import pytest
from playwright.sync_api import expect

from patients.models import Invitation
from patients.services import invitation_create
from tests.browser.helpers import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_resends_and_cancels_an_invitation_from_the_people_list(open_page, cast, mailoutbox):
    invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email=cast.grace.user.email,
        full_name="Olive Other",
        role="patient",
        clinicians=[cast.bob],
    )
    page = open_page()
    log_in(page, cast.dave.user.email)
    page.goto("/clinic/people/")
    link = page.get_by_role("link", name="Olive Other")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Olive Other", level=1)).to_be_visible()
    expect(page.get_by_text("Bob Baker (Physiotherapist)")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Resend invitation").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"We've emailed a new invitation to {cast.grace.user.email}.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Cancel invitation").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"The invitation to {cast.grace.user.email} is cancelled.")).to_be_visible()
    assert_accessible(page)
    assert Invitation.objects.filter(clinic=cast.riverside, revoked_at__isnull=True).count() == 0

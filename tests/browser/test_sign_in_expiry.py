"""A sign-in running out while a patient writes: warned before it happens, nothing lost after it."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from alliance.models import StoryEntry
from tests.browser.helpers import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_is_warned_can_stay_signed_in_and_loses_nothing_when_the_sign_in_runs_out(page, cast, settings):
    settings.SESSION_COOKIE_AGE = 10  # seconds: the page warns 5 s before the end, and says when it has come
    # The page's clock is moved on by hand rather than waited for; time otherwise runs as usual.
    page.clock.install()
    log_in(page, cast.alice.user.email)
    page.goto(f"/patients/{cast.alice.pk}/record/story/new/")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("06")
    expect(warning).to_contain_text("you'll be signed out in less than a minute")
    assert_accessible(page)
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    story = "The pain started after a fall at work. Some days it is much worse in the evenings."
    page.get_by_label("Your story").fill(story)
    page.clock.fast_forward("11")
    expect(warning).to_contain_text("Your sign-in has run out")
    # On the server too: the sign-in ends, as it would have 10 s after the last request.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Nothing you wrote was lost")).to_be_visible()
    assert_accessible(page)

    settings.SESSION_COOKIE_AGE = 1800
    page.get_by_label("Email address").fill(cast.alice.user.email)
    page.get_by_label("Password").fill(cast.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Nothing you wrote was lost")).to_be_visible()
    expect(page.get_by_text(story)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send it now").click()
    expect(page.get_by_text("Thank you for sharing this.")).to_be_visible()
    assert StoryEntry.objects.get(patient=cast.alice).body == story

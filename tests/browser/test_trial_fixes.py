"""The pages the trial's fixes added or changed, in a real Chromium at 375 px, each checked with axe:
the confirmation before resetting a second step, the grouped "who has looked", a check-in sent with
answers missing (its summary takes focus and links to the question), and the zone note."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from patients.models import AuditEvent, AuditKind, User
from tests.browser.helpers import assert_accessible, log_in
from tests.helpers import totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_confirms_before_a_second_step_is_reset(open_page, cast):
    totp_device_for(cast.bob.user)
    page = open_page()
    log_in(page, cast.dave.user.email)
    page.goto(f"/clinic/people/{cast.bob.user.pk}/")
    link = page.get_by_role("link", name="Reset Bob Baker's second step")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Reset Bob Baker's second step?", level=1)).to_be_visible()
    assert_accessible(page)
    assert TOTPDevice.objects.filter(user=cast.bob.user).exists()
    page.get_by_role("button", name="Reset Bob Baker's second step").click()
    expect(page.get_by_text("second step is reset")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=cast.bob.user).exists()


def test_a_patient_reads_who_looked_grouped_and_a_check_in_summary_takes_focus(open_page, cast):
    User.objects.filter(pk=cast.alice.user.pk).update(timezone="America/Los_Angeles")
    morning = timezone.now() - timedelta(days=1)
    for minute in range(4):
        AuditEvent.objects.create(
            kind=AuditKind.READ,
            actor=cast.bob.user,
            actor_role="clinician",
            patient=cast.alice,
            clinic=cast.riverside,
            page="alliance:record",
            at=morning + timedelta(minutes=minute),
        )
    page = open_page()
    log_in(page, cast.alice.user.email)
    expect(page.locator("#zone-note")).to_contain_text("Times are shown in Los Angeles time")
    page.goto("/my-data/who-looked/")
    expect(page.get_by_text("Opened your record 4 times")).to_be_visible()
    assert_accessible(page)

    page.goto("/checkin/")
    page.get_by_role("button", name="Send my check-in").click()
    summary = page.locator("#checkin-errors")
    expect(summary).to_be_focused()
    assert_accessible(page)
    first = summary.get_by_role("link").first
    target = first.get_attribute("href")
    first.click()
    expect(page.locator(target)).to_be_in_viewport()

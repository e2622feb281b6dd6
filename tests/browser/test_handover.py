"""A clinic admin takes a clinician off a care team by keyboard at 375 px, deciding about the appointment ahead."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from patients.models import CareTeamMembership
from sessions.models import CareSession
from tests.browser.helpers import assert_accessible, log_in
from tests.factories import CareTeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_hands_an_appointment_to_another_clinician_before_taking_one_off_the_team(page, cast):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    # Carol sees Frank at the same time as Alice's appointment in the cast: move Frank's, so Carol is free.
    CareSession.objects.filter(pk=cast.frank_session.pk).update(
        starts_at=cast.frank_session.starts_at + timedelta(hours=3)
    )
    log_in(page, cast.dave.user.email)
    page.goto(f"/clinic/people/{cast.alice.user.pk}/")
    page.get_by_role("link", name="Remove Bob Baker from the care team").click()
    expect(page.get_by_role("heading", name="Remove Bob Baker from Alice Archer's care team")).to_be_visible()
    assert_accessible(page)
    # Sent without a decision: asked about, next to the appointment.
    page.get_by_role("button", name="Remove Bob Baker from the care team").click()
    expect(page.get_by_text("Please choose what happens to this appointment.")).to_be_visible()
    assert_accessible(page)
    select = page.get_by_label("Alice Archer,", exact=False)
    select.focus()
    select.select_option(label="Pass it to Carol Clarke")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Remove Bob Baker from the care team").press("Enter")
    expect(page.get_by_text("Bob Baker is no longer on Alice Archer's care team.")).to_be_visible()
    assert_accessible(page)
    assert not CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.bob).exists()
    assert CareSession.objects.get(pk=cast.alice_session.pk).clinician == cast.carol

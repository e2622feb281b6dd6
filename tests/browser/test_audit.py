"""The audit trail in a real Chromium: every page checked with axe, at 375 px unless a test says otherwise."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, log_in, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_admin_sees_who_opened_a_record_filters_the_trail_and_exports_it(open_page, cast, viewport):
    bob = open_page(viewport=viewport)
    log_in(bob, cast.bob.user.email)
    bob.goto(f"/patients/{cast.alice.pk}/record/questions/")
    expect(bob.get_by_role("heading", level=1)).to_be_visible()

    page = open_page(viewport=viewport)
    log_in(page, cast.dave.user.email)
    open_menu(page)
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("heading", name="Audit", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Patient").select_option(label="Alice Archer")
    page.get_by_label("What happened").select_option(label="Looked at")
    page.get_by_role("button", name="Show", exact=True).click()
    entries = page.get_by_role("table", name=re.compile("Audit entries"))
    expect(entries).to_contain_text("Bob Baker (Clinician)")
    expect(entries).to_contain_text("alliance:record-questions")
    assert_accessible(page)

    page.get_by_role("link", name="Export these entries (CSV)").click()
    expect(page.get_by_text("The audit trail's filters from the Audit page go with this export")).to_be_visible()
    assert_accessible(page)


def test_a_patient_sees_who_looked_and_asks_about_it_for_her_next_appointment(open_page, cast):
    bob = open_page()
    log_in(bob, cast.bob.user.email)
    bob.goto(f"/patients/{cast.alice.pk}/record/")

    page = open_page()
    log_in(page, cast.alice.user.email)
    open_menu(page)
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("link", name="Who has looked at my record").click()
    expect(page.get_by_role("heading", name="Who has looked at my record", level=1)).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Who looked"))).to_contain_text("Bob Baker")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Ask about this")).first.click()
    expect(page.get_by_role("heading", name="Ask about this", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add my question to the agenda").click()
    expect(page.get_by_text("Please say what you'd like to ask.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("What would you like to ask?").fill("What were you checking?")
    page.get_by_role("button", name="Add my question to the agenda").click()
    expect(page.get_by_text("Your question is on the agenda for your next appointment")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/sessions/{cast.alice_session.pk}/agenda/")
    asked = re.compile("About Bob Baker looking at my record on .*What were you checking")
    expect(page.get_by_text(asked)).to_be_visible()

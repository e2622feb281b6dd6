"""Issue 13: a patient hears back. On a 375 px phone, by keyboard: what's new on the home page, one
thing opened from it, the whole list on its own page, and the email turned on. axe-core on each page."""

import re

import pytest
from playwright.sync_api import Page, expect

from alliance.services import record as svc
from sessions.models import ReminderPreference
from tests.alliance.record import helpers as rh
from tests.browser.helpers import assert_accessible, log_in
from tests.browser.test_record import press, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _news_links(page: Page):
    return page.locator("#whats-new").get_by_role("link")


def test_a_patient_sees_what_is_new_opens_one_reads_the_rest_and_asks_for_the_email(open_page, cast):
    rh.answered(cast, text="Can I swim?")
    win = rh.win(cast, text="I walked to the post box")
    svc.win_acknowledge(win=win, by=cast.bob.user, reply="That's a real step.")
    rh.decision(cast, title="What to do about my knee", share=True)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    panel = alice.locator("#whats-new")
    expect(panel.get_by_role("heading", name="What's new since you last visited")).to_be_visible()
    expect(panel.get_by_text("Can I swim?")).to_be_visible()
    assert_accessible(alice)

    press(alice, panel.get_by_role("link", name="Bob Baker answered your question"))
    expect(alice).to_have_url(re.compile(r"/record/questions/\d+/$"))
    expect(alice.get_by_text("Tiredness lowers the pain threshold.")).to_be_visible()

    alice.goto("/")
    expect(panel.get_by_role("link", name="Bob Baker answered your question")).to_have_count(0)
    expect(panel.get_by_role("link", name="Bob Baker replied to your win")).to_be_visible()
    press(alice, panel.get_by_role("link", name="See it all on one page"))
    expect(alice.get_by_role("heading", name="What's new since you last visited", level=1)).to_be_visible()
    expect(alice.get_by_role("heading", name="New for you (2)")).to_be_visible()
    expect(alice.get_by_role("link", name="Bob Baker shared some options with you")).to_be_visible()
    assert_accessible(alice)

    alice.reload()
    expect(alice.get_by_text("You're up to date: nothing new since your last visit.")).to_be_visible()
    expect(alice.get_by_role("heading", name="Already seen")).to_be_visible()
    assert_accessible(alice)
    alice.goto("/")
    expect(alice.get_by_text("Nothing new from your care team since your last visit.")).to_be_visible()
    assert_accessible(alice)

    # The email is her choice, off until she turns it on.
    press(alice, alice.get_by_role("link", name="What's new"))
    press(alice, alice.get_by_role("link", name="Would you like an email when something new is waiting?"))
    box = alice.get_by_label("Email me when something new from my care team is waiting")
    expect(box).not_to_be_checked()
    assert_accessible(alice)
    tab_to(alice, box)
    alice.keyboard.press("Space")
    press(alice, alice.get_by_role("button", name="Save my choices"))
    expect(alice.get_by_text("Your reminder choices are saved.")).to_be_visible()
    expect(alice.get_by_label("Email me when something new from my care team is waiting")).to_be_checked()
    assert ReminderPreference.objects.get(user=cast.alice.user).news_enabled

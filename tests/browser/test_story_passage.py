"""A clinician picks out a passage of a patient's story by selecting its words on the page, at 375 px;
without a script, by choosing a sentence from a list. Never by retyping."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from alliance.models import StoryPassage
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.record import helpers as h
from tests.browser.helpers import assert_accessible, log_in
from tests.factories import PASSWORD
from tests.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "I was a nurse for twenty years. Lifting patients was my life. Then my back went."

SELECT_WORDS = """([from, to]) => {
    const node = document.getElementById("story-text").firstChild;
    const text = node.textContent;
    const range = document.createRange();
    range.setStart(node, text.indexOf(from));
    range.setEnd(node, text.indexOf(to) + to.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
}"""


def test_selecting_words_in_the_story_marks_that_passage(open_page, cast):
    entry = h.story(cast, body=BODY)
    page = open_page()
    log_in(page, "bob@example.org")
    page.goto(reverse("alliance:record-story-entry", args=[cast.alice.pk, entry.pk]))
    assert_accessible(page)
    expect(page.get_by_text("Select the words in the entry above")).to_be_visible()
    page.evaluate(SELECT_WORDS, ["Lifting", "my life"])
    shown = page.locator("#passage-selected")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("The words you selected: Lifting patients was my life")
    assert_accessible(page)
    button = page.get_by_role("button", name="Let's talk about this")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)
    expect(page.get_by_text("Marked. It's on the next agenda.")).to_be_visible()
    expect(page.locator("#story-text mark")).to_have_text("Lifting patients was my life")
    assert StoryPassage.objects.get().quote == "Lifting patients was my life"
    assert "Lifting patients was my life" in AgendaItem.objects.get(source=AgendaSource.STORY).text


def _sign_in_without_script(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")


def test_without_a_script_a_sentence_is_chosen_from_the_list(new_context, cast):
    entry = h.story(cast, body=BODY)
    page = new_context(java_script_enabled=False).new_page()
    _sign_in_without_script(page, "bob@example.org")
    page.goto(reverse("alliance:record-story-entry", args=[cast.alice.pk, entry.pk]))
    sentence = page.get_by_label("Or choose a sentence")
    expect(sentence.locator("option")).to_have_text(
        ["Choose a sentence…", "I was a nurse for twenty years.", "Lifting patients was my life.", "Then my back went."]
    )
    sentence.select_option(label="Then my back went.")
    page.get_by_label("Why they stood out (optional, the patient sees this)").fill("A turning point")
    page.get_by_role("button", name="Let's talk about this").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Marked. It's on the next agenda.")).to_be_visible()
    assert list(StoryPassage.objects.values_list("quote", "note")) == [("Then my back went.", "A turning point")]

"""Issue 3 journeys: a patient checks in by keyboard on a phone; the clinician sees and acknowledges."""

import pytest
from playwright.sync_api import expect

from alliance.models import Alert, CheckIn
from tests.browser.helpers import assert_accessible, log_in, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many times to press → in each radio group (starting from 0): the alliance answers are low
# enough to raise something for the clinician; the pain answers are middling.
ALLIANCE_PRESSES = [2, 3, 6, 5]
PAIN_PRESSES = [6, 5, 7]


def test_patient_checks_in_with_the_keyboard_alone_on_a_phone(open_page, cast):
    page = open_page()
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand link
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type("alice@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(cast.password)
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    prompt = page.get_by_role("heading", name="Check in before your appointment on")
    expect(prompt).to_be_visible()
    assert_accessible(page)

    check_in = page.get_by_role("link", name="Check in now")
    for _ in range(30):
        page.keyboard.press("Tab")
        if check_in.evaluate("el => el === document.activeElement"):
            break
    expect(check_in).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check in before your appointment on")
    assert_accessible(page)

    groups = page.locator("fieldset.rating")
    expect(groups).to_have_count(7)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")  # past the navigation, to the start of the main content
    for index, presses in enumerate(ALLIANCE_PRESSES + PAIN_PRESSES):
        page.keyboard.press("Tab")  # into the next radio group, on its first choice
        focused_group = page.evaluate(
            "document.activeElement.closest('fieldset')?.querySelector('legend')?.textContent"
        )
        assert focused_group == groups.nth(index).locator("legend").text_content()
        if presses == 0:
            page.keyboard.press("Space")
        for _ in range(presses):
            page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Anything you'd like to raise next time?")).to_be_focused()
    page.keyboard.type("Is it silly to ask whether the weather changes my pain?")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my check-in")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")

    expect(page.get_by_role("heading", name="Thank you, Alice")).to_be_visible()
    expect(page.get_by_text("Bob Baker will read your answers before your appointment")).to_be_visible()
    expect(page.get_by_text("your clinician will talk this through with you")).to_be_visible()
    assert "alert" not in page.locator("main").inner_text().lower()
    assert_accessible(page)

    checkin = CheckIn.objects.get(patient=cast.alice)
    assert checkin.care_session == cast.alice_session
    assert checkin.alliance_response.total == sum(ALLIANCE_PRESSES)
    assert list(checkin.pain_response.answers.values_list("value", flat=True)) == PAIN_PRESSES
    assert Alert.objects.filter(patient=cast.alice).exists()

    open_menu(page)
    page.get_by_role("link", name="My progress").first.click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    assert_accessible(page)


def test_clinician_sees_the_alert_and_acknowledges_it(open_page, cast):
    from alliance.services.checkins import checkin_submit

    checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers={"relationship": 2, "goals": 3, "approach": 6, "overall": 5},
        pain_answers={"intensity": 6, "enjoyment": 5, "activity": 7},
    )
    page = open_page(viewport={"width": 375, "height": 812})
    log_in(page, "bob@example.org")
    attention = page.get_by_role("region", name="Things to talk through")
    expect(attention.get_by_role("link", name="Alice Archer").first).to_be_visible()
    page.get_by_role("link", name="Alice Archer").first.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Alice Archer", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Alliance check-ins over time")).to_be_visible()
    assert_accessible(page)

    first_alert = page.locator("article.alert-card").first
    first_alert.get_by_label("Note (optional)").fill("I'll ask Alice about this on Thursday.")
    first_alert.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Noted. It stays on the list")).to_be_visible()
    expect(page.get_by_text("“I'll ask Alice about this on Thursday.”")).to_be_visible()
    assert_accessible(page)
    acknowledged = Alert.objects.filter(patient=cast.alice, acknowledged_by=cast.bob.user)
    assert acknowledged.count() == 1
    assert acknowledged.get().acknowledge_note == "I'll ask Alice about this on Thursday."


def test_clinic_admin_reads_the_questionnaires(open_page, cast):
    page = open_page(viewport={"width": 1280, "height": 900})
    log_in(page, "dave@example.org")
    open_menu(page)
    page.get_by_role("link", name="Questionnaires").click()
    expect(page.get_by_role("heading", name="Questionnaires")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Pain check").click()
    expect(page.get_by_text("How strong has your pain been, on average?")).to_be_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Import a questionnaire").click()
    page.get_by_label("Instrument definition (JSON)").fill('{"key": "oops"')
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("This isn't valid JSON")).to_be_visible()
    assert_accessible(page)

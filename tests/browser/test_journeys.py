"""Whole journeys through a real Chromium, on a 375 px wide phone screen unless a test says otherwise.

Every page a test opens is checked with axe-core and for sideways scrolling (``assert_accessible``).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, expect_signed_out, log_in, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
INVITATION_LINK = re.compile(r"https?://\S+/accounts/invitation/[^/\s]+/")


# --- a. Each role signs in and reaches their own home ------------------------------------------


def test_patient_signs_in_with_the_keyboard_alone_and_sees_her_next_appointment(page: Page, cast):
    page.goto("/accounts/login/")
    assert_accessible(page)

    # No autofocus: the first Tab reaches the skip link, then the brand link, then the email field.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(cast.alice.user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(cast.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    expect(page.get_by_role("heading", name="Your next appointment")).to_be_visible()
    expect(page.get_by_text("With Bob Baker")).to_be_visible()
    assert_accessible(page)

    # The first Tab on a page reaches the skip link, which it shows, and which jumps past the menu.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content", exact=True)
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), (
        "After the skip link, the next Tab should land inside the main content"
    )
    page.get_by_role("link", name="Appointment details", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="Your appointment", level=1)).to_be_visible()
    expect(page.get_by_text("Bob Baker, Physiotherapist")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_clinician_signs_in_and_sees_his_caseload(open_page, cast, viewport):
    page = open_page(viewport=viewport)
    log_in(page, cast.bob.user.email)

    expect(page.get_by_role("heading", name="My caseload", level=1)).to_be_visible()
    caseload = page.get_by_role("table", name="Patients")
    expect(caseload.get_by_role("link", name="Alice Archer", exact=True)).to_be_visible()
    expect(caseload.get_by_text("Frank Foster")).to_have_count(0)


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_clinic_admin_signs_in_and_sees_the_clinic_overview(open_page, cast, viewport):
    page = open_page(viewport=viewport)
    log_in(page, cast.dave.user.email)

    expect(page.get_by_role("heading", name="Riverside Pain Service", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Invite someone", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Bob Baker", exact=True)).to_be_visible()


# --- b. An admin invites a patient, who sets a password through the emailed link ----------------


def test_admin_invites_a_patient_who_sets_a_password_through_the_emailed_link(open_page, cast, mailoutbox):
    admin = open_page()
    log_in(admin, cast.dave.user.email)
    admin.get_by_role("link", name="Invite someone", exact=True).click()
    expect(admin.get_by_role("heading", name="Invite someone to Alliance")).to_be_visible()
    assert_accessible(admin)

    admin.get_by_label("A patient").check()
    admin.get_by_label("Full name").fill("Iris Ingram")
    admin.get_by_label("Email address").fill("iris@example.org")
    admin.get_by_label("Bob Baker").check()
    admin.get_by_role("button", name="Send the invitation").click()

    expect(admin.get_by_text("We've emailed an invitation to Iris Ingram at iris@example.org.")).to_be_visible()
    assert_accessible(admin)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["iris@example.org"]
    link = INVITATION_LINK.search(email.body)
    assert link, f"No invitation link in the email:\n{email.body}"
    link = link.group(0)

    newcomer = open_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Welcome, Iris")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.get_by_label("Choose a password").fill("a quiet walk by the river")
    newcomer.get_by_label("Type the same password again").fill("a quiet walk by the river")
    newcomer.get_by_role("button", name="Save my password").click()

    expect(newcomer.get_by_text("Welcome to Alliance, Iris. Your password is set.")).to_be_visible()
    expect(newcomer.get_by_role("heading", name="Your next appointment")).to_be_visible()
    assert_accessible(newcomer)

    # The link works once; opening it again explains, rather than failing.
    response = newcomer.goto(link)
    assert response.status == 410
    expect(newcomer.get_by_role("heading", name="This link has already been used")).to_be_visible()
    expect(newcomer.get_by_role("link", name="Go to the sign-in page", exact=True)).to_be_visible()
    assert_accessible(newcomer)


# --- c. A clinician books a session, and the patient sees it -----------------------------------


def test_clinician_books_a_session_that_the_patient_then_sees(open_page, cast):
    clinician = open_page()
    log_in(clinician, cast.bob.user.email)
    clinician.get_by_role("link", name="Book a session", exact=True).click()
    expect(clinician.get_by_role("heading", name="Book a session")).to_be_visible()
    assert_accessible(clinician)

    clinician.get_by_label("Patient").select_option(label="Alice Archer")
    expect(clinician.get_by_label("Clinician")).to_have_value(str(cast.bob.pk))
    clinician.get_by_label("Date and time").fill("2030-05-14T14:00")
    clinician.get_by_label("Length").select_option(label="1 hour")
    clinician.get_by_label("Video call").check()
    clinician.get_by_role("button", name="Book the session").click()

    expect(clinician.get_by_text("The session with Alice Archer is booked.")).to_be_visible()
    expect(clinician.get_by_role("heading", name="Session with Alice Archer")).to_be_visible()
    assert_accessible(clinician)

    patient = open_page()
    log_in(patient, cast.alice.user.email)
    later = patient.get_by_role("region", name="Later appointments")
    expect(later.get_by_role("link", name="Tuesday 14 May, 14:00", exact=True)).to_be_visible()
    expect(later).to_contain_text("with Bob Baker")

    open_menu(patient)
    patient.get_by_role("link", name="My appointments", exact=True).click()
    expect(patient.get_by_role("heading", name="My appointments", level=1)).to_be_visible()
    assert_accessible(patient)
    coming_up = patient.get_by_role("table", name="Coming up")
    booked = coming_up.get_by_role("row").filter(has_text="Tue 14 May 2030, 14:00")
    expect(booked).to_contain_text("Bob Baker")
    expect(booked).to_contain_text("Video call, 60 min")

    booked.get_by_role("link", name="Tue 14 May 2030, 14:00", exact=True).click()
    expect(patient.get_by_role("heading", name="Your appointment", level=1)).to_be_visible()
    expect(patient.get_by_text("Tuesday 14 May 2030, 14:00 (60 minutes)")).to_be_visible()
    expect(patient.get_by_text("Video call", exact=True)).to_be_visible()
    assert_accessible(patient)


# --- d. Too many wrong passwords pause sign-in -------------------------------------------------


def test_five_wrong_passwords_pause_sign_in_even_with_the_right_password(page: Page, cast):
    email = cast.alice.user.email
    paused = page.get_by_role("heading", name="Sign-in is paused for a little while")
    for attempt in range(1, 5):
        log_in(page, email, password=f"not-my-password-{attempt}")
        expect(page.get_by_text("That email address and password don't match")).to_be_visible()
    # The fifth failure is the one that pauses sign-in.
    log_in(page, email, password="not-my-password-5")
    expect(paused).to_be_visible()

    log_in(page, email)
    expect(paused).to_be_visible()
    expect(page.get_by_role("link", name="reset it by email", exact=True)).to_be_visible()
    expect_signed_out(page)

    # The pause is for that email address only: someone else can still sign in from here.
    log_in(page, cast.bob.user.email)
    expect(page.get_by_role("heading", name="My caseload", level=1)).to_be_visible()


# --- e. Bad input keeps what was typed ---------------------------------------------------------


def test_invite_form_with_a_bad_email_keeps_the_name_and_says_what_is_wrong(page: Page, cast, mailoutbox):
    log_in(page, cast.dave.user.email)
    page.goto("/clinic/people/invite/")
    assert_accessible(page)

    page.get_by_label("A patient").check()
    page.get_by_label("Full name").fill("Iris Ingram")
    page.get_by_label("Email address").fill("iris at example dot org")
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_role("heading", name="Invite someone to Alliance")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Iris Ingram")
    email_field = page.get_by_label("Email address")
    expect(email_field).to_have_value("iris at example dot org")
    expect(email_field).to_have_attribute("aria-invalid", "true")
    expect(email_field).to_have_accessible_description(re.compile("Enter a valid email address"))
    expect(page.locator("#div_id_email").get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("A patient")).to_be_checked()
    assert_accessible(page)
    assert mailoutbox == []

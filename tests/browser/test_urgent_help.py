"""Urgent help one tap away, at 375 px and by keyboard, with axe (and the comfort checks) on every page; and
the comfort checks themselves, shown to catch what they are for."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from alliance.services.checkins import checkin_submit
from tests.browser.helpers import (
    assert_accessible,
    assert_comfortable,
    expect_language,
    log_in,
    open_menu,
    words_in,
    words_pattern,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIVERSIDE_TEXT = (
    "Riverside Pain Service: call 01632 960 123, Monday to Friday, 9am to 5pm.\n"
    "When we are closed, call NHS 111.\n"
    "\n"
    "If you are in danger now, call 999."
)


def alice_speaks(cast, language: str) -> None:
    cast.alice.user.language = language
    cast.alice.user.save()


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_a_patient_reaches_urgent_help_in_one_tap_by_keyboard_on_a_phone(open_page, cast, language):
    alice_speaks(cast, language)
    words = words_in(language)
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    page = open_page()
    log_in(page, "alice@example.org")
    expect(page.get_by_role("heading", name=words("Hello, %(name)s", name="Alice"))).to_be_visible()
    expect_language(page, language)

    # The menu is folded away on a phone; the header stays one short line with urgent help in it.
    urgent = page.get_by_role("link", name=words("Urgent help"), exact=True)
    expect(urgent).to_be_visible()
    expect(page.get_by_role("link", name=words("My progress"), exact=True)).to_be_hidden()
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 90, f"the header takes {header['height']} px of an 812 px screen"

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=words("Skip to main content"), exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    expect(urgent).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=words("Urgent help"), level=1)).to_be_visible()
    expect_language(page, language)
    clinic = words("From %(clinic)s", clinic="Riverside Pain Service")
    expect(page.get_by_role("heading", name=clinic)).to_be_visible()
    expect(page.get_by_role("link", name="01632 960 123")).to_have_attribute("href", "tel:01632960123")
    when = words(
        "Nobody watches check-ins or notes as they arrive. Your care team reads them during clinic hours, usually "
        "by the end of their next working day, so please don't wait for a reply if you need help sooner."
    )
    expect(page.get_by_text(when)).to_be_visible()
    expect(urgent).to_have_attribute("aria-current", "page")
    assert_accessible(page)

    # Everything else is behind "Menu", opened with Enter and no script.
    open_menu(page, keyboard=True)
    progress = page.get_by_role("link", name=words("My progress"), exact=True)
    for _ in range(20):
        if progress.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(progress).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=words("My progress"), level=1)).to_be_visible()
    expect(page.get_by_role("link", name=words("My progress"), exact=True)).to_be_hidden()
    expect_language(page, language)
    assert_accessible(page)


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_after_a_very_low_check_in_the_thank_you_page_shows_the_clinics_help(open_page, cast, language):
    alice_speaks(cast, language)
    words = words_in(language)
    cast.riverside.urgent_help = RIVERSIDE_TEXT
    cast.riverside.save()
    result = checkin_submit(
        patient=cast.alice,
        care_session=cast.alice_session,
        alliance_answers={"relationship": 1, "goals": 2, "approach": 2, "overall": 1},
        pain_answers={},
    )
    page = open_page()
    log_in(page, "alice@example.org")
    page.goto(reverse("alliance:checkin-done", kwargs={"pk": result.checkin.pk}))
    expect_language(page, language)
    expect(page.get_by_role("heading", name=words("If you need help before then"))).to_be_visible()
    # The appointment is tomorrow, no later than the next working day: that is the time it gives, the
    # weekday and the time, written as alice's language writes them.
    starts_at = timezone.localtime(cast.alice_session.starts_at, cast.alice.user.tzinfo)
    with translation.override(language):
        day = date_format(starts_at, "WEEKDAY_DAY_FORMAT")
        time = date_format(starts_at, "CLOCK_FORMAT")
    read = words(
        "%(name)s will read your answers before your appointment on %(day)s at %(time)s.",
        name=cast.bob.user.full_name,
        day=day,
        time=time,
    )
    expect(page.get_by_text(read)).to_be_visible()
    later = words_pattern(words("They will see this by the end of %(day)s (their next working day)."))
    expect(page.get_by_text(later)).to_have_count(0)
    card = page.locator(".urgent-help-card")
    expect(card.get_by_role("link", name="999").first).to_have_attribute("href", "tel:999")
    if language == "es":
        # The clinic wrote its text in English only: it says so, marks it as English for screen readers,
        # and gives the general advice in Spanish after it.
        expect(
            card.get_by_text(words("Your clinic wrote this in %(language)s. In any case:", language="inglés"))
        ).to_be_visible()
        expect(card.locator('.urgent-help-text[lang="en-gb"]')).to_contain_text("Riverside Pain Service: call")
        expect(card.get_by_text(re.compile("Si estás en peligro ahora"))).to_be_visible()
    else:
        expect(card.get_by_role("link", name="999")).to_have_count(1)
    assert_accessible(page)


def test_an_admin_is_asked_to_review_the_starting_text_and_the_prompt_goes_once_saved(open_page, cast):
    cast.riverside.urgent_help = "A starting text: call 01632 960 000."
    cast.riverside.save()
    page = open_page()
    log_in(page, "dave@example.org")
    expect(page.get_by_role("heading", name="Please review your urgent-help text")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Review the urgent-help text").click()
    field = page.get_by_label("Urgent help", exact=True)
    expect(field).to_have_value("A starting text: call 01632 960 000.")
    assert_accessible(page)
    field.fill(RIVERSIDE_TEXT)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The clinic's settings are saved.")).to_be_visible()
    expect(page.get_by_text(re.compile("last reviewed by Dave Dixon on"))).to_be_visible()
    assert_accessible(page)
    open_menu(page)
    page.get_by_role("link", name="Clinic overview", exact=True).click()
    expect(page.get_by_role("heading", name="Riverside Pain Service", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Please review your urgent-help text")).to_have_count(0)


# --- The comfort checks catch what they are for ---------------------------------------------------------

HEAD = "<!doctype html><html><head><meta name='viewport' content='width=device-width'></head>"
GOOD_PAGE = "<main><h1>A page</h1><p><a href='#x'>A link</a></p></main>"
FOCUS = "<style>:focus-visible { outline: 3px solid #ffbf47; }</style>"


@pytest.mark.parametrize(
    ("html", "complaint"),
    [
        (FOCUS + "<main><h1>Wide</h1><div style='width: 350px'>x</div></main>", "scrolls sideways at 320 px"),
        (FOCUS + "<main><h1 style='width: 20rem'>Big</h1></main>", "scrolls sideways at 200 % text"),
        (
            "<style>a:focus { outline: none; }</style>" + GOOD_PAGE,
            "no focus ring in forced colours",
        ),
        (
            FOCUS
            + "<style>.btn-check { position: absolute; opacity: 0; } .btn { border: 1px solid; }"
            + ".btn-check:focus-visible + .btn { outline: 3px solid; }"
            + ".btn-check:checked + .btn { background: teal; color: white; }</style><main><h1>Rate</h1>"
            + "<input class='btn-check' type='radio' name='r' id='a'><label class='btn' for='a'>1</label>"
            + "<input class='btn-check' type='radio' name='r' id='b' checked><label class='btn' for='b'>2</label>"
            + "<input class='btn-check' type='radio' name='r' id='c'><label class='btn' for='c'>3</label></main>",
            "a chosen rating button looks like the others but for its colour",
        ),
        (
            FOCUS + "<main><h1>Chart</h1><svg class='chart' viewBox='0 0 10 10'><title>Trend</title>"
            "<polyline points='0,0 10,10' stroke='#0b5c6b' fill='none'/></svg></main>",
            "keeps its own colours in forced colours",
        ),
    ],
    ids=["wide-at-320", "heading-at-200-percent", "no-focus-ring", "chosen-by-colour", "chart-colours"],
)
def test_the_comfort_checks_fail_a_page_that_is_uncomfortable(page, html, complaint):
    page.set_content(f"{HEAD}{html}")
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        assert_comfortable(page)


def test_the_comfort_checks_pass_a_plain_page_and_leave_the_focus_where_it_was(page):
    page.set_content(f"{HEAD}{FOCUS}{GOOD_PAGE}")
    assert_comfortable(page)
    assert page.viewport_size["width"] == 375
    assert page.evaluate("document.activeElement === document.body")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="A link")).to_be_focused()

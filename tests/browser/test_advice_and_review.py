"""Issue 14 journeys on a 375 px phone, by keyboard: the clinician's own view on a decision ("If you were
my family, I would…") and a step-back review. Every page opened is checked with axe-core and for
sideways scrolling. Each journey runs in English and in Spanish: alice and bob read their pages in the
language on their accounts, and everything is found by the words the page shows in it."""

import re

import pytest
from playwright.sync_api import expect

from alliance.models import Decision, StepBackReview
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.record import helpers as h
from tests.browser.helpers import assert_accessible, expect_language, inside, log_in, words_in, words_pattern
from tests.browser.test_record import press, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en-gb", "es"]


def speak(cast, language: str) -> None:
    """alice and bob read their pages in ``language``."""
    for user in (cast.alice.user, cast.bob.user):
        user.language = language
        user.save()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_patient_asks_what_the_clinician_would_advise_a_family_member_and_reads_it_after_the_options(
    open_page, cast, language
):
    speak(cast, language)
    words = words_in(language)
    decision = h.decision(cast, share=True)
    decision_url = f"/patients/{cast.alice.pk}/record/decisions/{decision.pk}/"

    def checked(page):
        expect_language(page, language)
        assert_accessible(page)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    alice.goto(decision_url)
    checked(alice)
    press(alice, alice.get_by_role("button", name=words("What would you advise a family member?")))
    expect(
        alice.get_by_text(
            words("Thank you. Your question is on the agenda for your next appointment, and your clinician can see it.")
        )
    ).to_be_visible()
    checked(alice)
    assert AgendaItem.objects.filter(patient=cast.alice, source=AgendaSource.DECISION).count() == 1

    bob = open_page()
    log_in(bob, cast.bob.user.email)
    bob.goto(decision_url)
    asked = words(
        "<strong>%(name)s asked what you would advise a family member</strong> (%(on)s). "
        "It's on the agenda for your next session."
    )
    expect(bob.get_by_text(inside(asked, "strong") % {"name": "Alice"})).to_be_visible()
    checked(bob)
    advice_label = words("If you were my family, I would…")
    tab_to(bob, bob.get_by_label(advice_label))
    bob.keyboard.type("Give the rehab programme three months before thinking about surgery.")
    press(bob, bob.get_by_role("button", name=words("Share my view")))
    # Reasons and what would change my mind are needed: said beside the fields, the words kept.
    expect(bob.get_by_text(words("Please give your reasons, so they can weigh them."))).to_be_visible()
    expect(bob.get_by_label(advice_label)).to_have_value(re.compile("three months"))
    checked(bob)
    tab_to(bob, bob.get_by_label(words("My reasons")))
    bob.keyboard.type("Most knees like yours get stronger with it, and surgery stays possible.")
    tab_to(bob, bob.get_by_label(words("What would change my mind")))
    bob.keyboard.type("If the knee locks or gives way.")
    press(bob, bob.get_by_role("button", name=words("Share my view")))
    shared = words("Your view is shared with %(name)s, below the options and labelled as yours.", name="Alice")
    expect(bob.get_by_text(shared)).to_be_visible()
    checked(bob)

    alice.goto(decision_url)
    view = alice.get_by_role("region", name=words("Your clinician's own view"))
    expect(view).to_contain_text(advice_label)
    expect(view).to_contain_text(
        words(
            "This is %(by)s's personal view, given after the options above were laid out fairly. "
            "It is one view, not an instruction: the choice stays yours.",
            by=cast.bob.user.full_name,
        )
    )
    expect(view).to_contain_text("If the knee locks or gives way.")
    checked(alice)
    # The options come first on the page, the view after them, and the patient's say after that.
    headings = alice.locator("h2").all_inner_texts()
    assert (
        headings.index(words("The options"))
        < headings.index(words("Your clinician's own view"))
        < headings.index(words("Your say"))
    )
    assert Decision.objects.get().advice_by_id == cast.bob.user.pk


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_patient_asks_for_a_step_back_review_the_clinician_writes_it_and_the_patient_answers(
    open_page, cast, language
):
    speak(cast, language)
    words = words_in(language)
    reviews_link = inside(
        words(
            '<a href="%(reviews_url)s">Step-back reviews</a>: '
            "your clinician's honest look at how things are going, and your answers."
        ),
        "a",
    )

    def checked(page):
        expect_language(page, language)
        assert_accessible(page)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    alice.goto("/progress/")
    checked(alice)
    press(alice, alice.get_by_role("link", name=reviews_link))
    checked(alice)
    press(alice, alice.get_by_role("button", name=words("Ask for a step-back review")))
    expect(
        alice.get_by_text(
            words(
                "Thank you. Your clinician will write a step-back review, "
                "and it's on the agenda for your next appointment."
            )
        )
    ).to_be_visible()
    checked(alice)

    bob = open_page()
    log_in(bob, cast.bob.user.email)
    press(bob, bob.get_by_role("link", name=words("Step-back review asked for")))
    checked(bob)
    press(bob, bob.get_by_role("link", name=words("Write a step-back review")))
    expect(bob.get_by_role("heading", name=words("%(name)s's own figures", name="Alice"))).to_be_visible()
    checked(bob)
    for label, typed in (
        ("What has changed", "You're walking to the shop most days now."),
        ("What hasn't changed", "The evenings are still hard."),
        ("What I think is going on", "Long days leave your nervous system on high alert."),
    ):
        tab_to(bob, bob.get_by_label(words(label)))
        bob.keyboard.type(typed)
    share = bob.get_by_role("button", name=words("Share the review with %(name)s", name="Alice"))
    press(bob, share)
    expect(bob.get_by_text(words("Please suggest what to try next."))).to_be_visible()
    checked(bob)
    tab_to(bob, bob.get_by_label(words("What to try next")))
    bob.keyboard.type("Pacing the afternoons, and a short wind-down routine.")
    press(bob, share)
    expect(bob.get_by_text(words("Your review is shared with %(name)s.", name="Alice"))).to_be_visible()
    checked(bob)

    alice.goto("/progress/")
    press(alice, alice.get_by_role("link", name=reviews_link))
    review_of = words_pattern(inside(words('<a href="%(url)s">Review of %(day)s</a> by %(name)s'), "a"))
    press(alice, alice.get_by_role("link", name=review_of))
    expect(alice.get_by_text("Long days leave your nervous system on high alert.")).to_be_visible()
    expect(alice.get_by_role("heading", name=words("Your own figures"))).to_be_visible()
    checked(alice)
    tab_to(alice, alice.get_by_label(words("How does this look from where you are?")))
    alice.keyboard.type("Mostly right, and it helps to see it written down.")
    tab_to(alice, alice.get_by_label(words("Is there anything you see differently? (optional)")))
    alice.keyboard.type("It's the mornings more than the evenings.")
    press(alice, alice.get_by_role("button", name=words("Send my reflection")))
    expect(
        alice.get_by_text(
            words(
                "Thank you for your reflection. Your clinician can read it. "
                "What you see differently is on the agenda for your next appointment."
            )
        )
    ).to_be_visible()
    checked(alice)

    review = StepBackReview.objects.get()
    assert review.written_by_id == cast.bob.user.pk and review.reflected_at is not None
    item = AgendaItem.objects.get(
        patient=cast.alice, source=AgendaSource.REVIEW, source_ref=f"review:{review.pk}:disagree"
    )
    assert item.text.endswith("It's the mornings more than the evenings.")

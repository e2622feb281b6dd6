"""Issue 14 journeys on a 375 px phone, by keyboard: the clinician's own view on a decision ("If you were
my family, I would…") and a step-back review. Every page opened is checked with axe-core and for
sideways scrolling."""

import re

import pytest
from playwright.sync_api import expect

from alliance.models import Decision, StepBackReview
from sessions.models import AgendaItem, AgendaSource
from tests.alliance.record import helpers as h
from tests.browser.helpers import assert_accessible, log_in
from tests.browser.test_record import press, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_asks_what_the_clinician_would_advise_a_family_member_and_reads_it_after_the_options(open_page, cast):
    decision = h.decision(cast, share=True)
    decision_url = f"/patients/{cast.alice.pk}/record/decisions/{decision.pk}/"

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    alice.goto(decision_url)
    assert_accessible(alice)
    press(alice, alice.get_by_role("button", name="What would you advise a family member?"))
    expect(alice.get_by_text("Your question is on the agenda for your next appointment")).to_be_visible()
    assert_accessible(alice)
    assert AgendaItem.objects.filter(patient=cast.alice, source=AgendaSource.DECISION).count() == 1

    bob = open_page()
    log_in(bob, cast.bob.user.email)
    bob.goto(decision_url)
    expect(bob.get_by_text("Alice asked what you would advise a family member")).to_be_visible()
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("If you were my family, I would…"))
    bob.keyboard.type("Give the rehab programme three months before thinking about surgery.")
    press(bob, bob.get_by_role("button", name="Share my view"))
    # Reasons and what would change my mind are needed: said beside the fields, the words kept.
    expect(bob.get_by_text("Please give your reasons, so they can weigh them.")).to_be_visible()
    expect(bob.get_by_label("If you were my family, I would…")).to_have_value(re.compile("three months"))
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("My reasons"))
    bob.keyboard.type("Most knees like yours get stronger with it, and surgery stays possible.")
    tab_to(bob, bob.get_by_label("What would change my mind"))
    bob.keyboard.type("If the knee locks or gives way.")
    press(bob, bob.get_by_role("button", name="Share my view"))
    expect(bob.get_by_text("Your view is shared with Alice")).to_be_visible()
    assert_accessible(bob)

    alice.goto(decision_url)
    view = alice.get_by_role("region", name="Your clinician's own view")
    expect(view).to_contain_text("If you were my family, I would…")
    expect(view).to_contain_text("the choice stays yours")
    expect(view).to_contain_text("If the knee locks or gives way.")
    assert_accessible(alice)
    # The options come first on the page, the view after them, and the patient's say after that.
    headings = alice.locator("h2").all_inner_texts()
    assert headings.index("The options") < headings.index("Your clinician's own view") < headings.index("Your say")
    assert Decision.objects.get().advice_by_id == cast.bob.user.pk


def test_a_patient_asks_for_a_step_back_review_the_clinician_writes_it_and_the_patient_answers(open_page, cast):
    alice = open_page()
    log_in(alice, cast.alice.user.email)
    alice.goto("/progress/")
    assert_accessible(alice)
    press(alice, alice.get_by_role("link", name="Step-back reviews"))
    assert_accessible(alice)
    press(alice, alice.get_by_role("button", name="Ask for a step-back review"))
    expect(alice.get_by_text("Your clinician will write a step-back review")).to_be_visible()
    assert_accessible(alice)

    bob = open_page()
    log_in(bob, cast.bob.user.email)
    press(bob, bob.get_by_role("link", name="Step-back review asked for"))
    assert_accessible(bob)
    press(bob, bob.get_by_role("link", name="Write a step-back review"))
    expect(bob.get_by_role("heading", name="Alice's own figures")).to_be_visible()
    assert_accessible(bob)
    for label, words in (
        ("What has changed", "You're walking to the shop most days now."),
        ("What hasn't changed", "The evenings are still hard."),
        ("What I think is going on", "Long days leave your nervous system on high alert."),
    ):
        tab_to(bob, bob.get_by_label(label))
        bob.keyboard.type(words)
    press(bob, bob.get_by_role("button", name="Share the review with Alice"))
    expect(bob.get_by_text("Please suggest what to try next.")).to_be_visible()
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("What to try next"))
    bob.keyboard.type("Pacing the afternoons, and a short wind-down routine.")
    press(bob, bob.get_by_role("button", name="Share the review with Alice"))
    expect(bob.get_by_text("Your review is shared with Alice.")).to_be_visible()
    assert_accessible(bob)

    alice.goto("/progress/")
    press(alice, alice.get_by_role("link", name="Step-back reviews"))
    press(alice, alice.get_by_role("link", name=re.compile("Review of")))
    expect(alice.get_by_text("Long days leave your nervous system on high alert.")).to_be_visible()
    expect(alice.get_by_role("heading", name="Your own figures")).to_be_visible()
    assert_accessible(alice)
    tab_to(alice, alice.get_by_label("How does this look from where you are?"))
    alice.keyboard.type("Mostly right, and it helps to see it written down.")
    tab_to(alice, alice.get_by_label("Is there anything you see differently? (optional)"))
    alice.keyboard.type("It's the mornings more than the evenings.")
    press(alice, alice.get_by_role("button", name="Send my reflection"))
    expect(alice.get_by_text("What you see differently is on the agenda")).to_be_visible()
    assert_accessible(alice)

    review = StepBackReview.objects.get()
    assert review.written_by_id == cast.bob.user.pk and review.reflected_at is not None
    item = AgendaItem.objects.get(
        patient=cast.alice, source=AgendaSource.REVIEW, source_ref=f"review:{review.pk}:disagree"
    )
    assert item.text.endswith("It's the mornings more than the evenings.")

"""Issue 4 journeys through the shared record, on a 375 px phone, driven by the keyboard where a person would type.

Every page opened is checked with axe-core and for sideways scrolling.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from alliance.models import Decision, DecisionStatus, Fit, FitResponse, Question, QuestionStatus
from tests.browser.helpers import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus, as someone without a mouse would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def press(page: Page, target: Locator, key: str = "Enter") -> None:
    """Reach a link or button by keyboard and activate it; wait for the page it leads to."""
    tab_to(page, target)
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_patient_asks_a_silly_question_the_clinician_answers_and_it_is_still_unclear(open_page, cast):
    alice = open_page()
    log_in(alice, cast.alice.user.email)
    press(alice, alice.get_by_role("link", name="Ask a question"))
    expect(alice.get_by_role("heading", name="Ask a question", level=1)).to_be_visible()
    assert_accessible(alice)

    tab_to(alice, alice.get_by_label("Your question"))
    alice.keyboard.type("Can the weather really make my pain worse? 🌧️")
    tab_to(alice, alice.get_by_label("I worry this might be a silly question"))
    alice.keyboard.press("Space")
    tab_to(alice, alice.get_by_label("Raise it at my next appointment"))
    alice.keyboard.press("ArrowDown")  # to "Ask now, in writing"
    expect(alice.get_by_label("Ask now, in writing")).to_be_checked()
    press(alice, alice.get_by_role("button", name="Send my question"))
    expect(alice.get_by_text("Your clinician will answer it in writing.")).to_be_visible()
    assert "silly" not in alice.locator("main").inner_text().lower()
    assert_accessible(alice)
    question = Question.objects.get(patient=cast.alice)
    assert question.worried_silly and question.text.endswith("🌧️")

    bob = open_page()
    log_in(bob, cast.bob.user.email)
    expect(bob.get_by_text("Be gentle:")).to_be_visible()
    press(bob, bob.get_by_role("link", name=re.compile("Alice Archer: 1 open question")))
    expect(bob.get_by_role("heading", name="Questions", level=1)).to_be_visible()
    assert_accessible(bob)
    press(bob, bob.get_by_role("link", name=re.compile("Can the weather really")))
    expect(bob.get_by_text("Alice worried about asking this")).to_be_visible()
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("Your answer"))
    bob.keyboard.type("A good question. Cold and damp can make a sensitive body feel stiffer and sorer.")
    press(bob, bob.get_by_role("button", name="Share the answer"))
    expect(bob.get_by_text("Your answer is shared.")).to_be_visible()
    assert_accessible(bob)

    alice.goto("/")
    expect(alice.get_by_role("link", name="1 answer to your questions")).to_be_visible()
    assert_accessible(alice)
    press(alice, alice.get_by_role("link", name="1 answer to your questions"))
    expect(alice.get_by_text("1 new")).to_have_count(0)
    press(alice, alice.get_by_role("link", name=re.compile("Can the weather really")))
    expect(alice.get_by_text("Cold and damp can make")).to_be_visible()
    assert_accessible(alice)
    tab_to(alice, alice.get_by_label("That helps"))
    alice.keyboard.press("ArrowDown")
    expect(alice.get_by_label("It's still unclear")).to_be_checked()
    tab_to(alice, alice.get_by_label("Anything you'd like to add? (optional)"))
    alice.keyboard.type("Does that mean I should stay in on damp days?")
    press(alice, alice.get_by_role("button", name="Send"))
    expect(alice.get_by_text("The question stays open")).to_be_visible()
    assert "silly" not in alice.locator("main").inner_text().lower()
    assert_accessible(alice)
    question.refresh_from_db()
    assert question.status == QuestionStatus.STILL_UNCLEAR

    bob.goto("/")
    expect(bob.get_by_role("link", name=re.compile("Alice Archer: 1 open question"))).to_be_visible()
    assert_accessible(bob)


def test_the_clinician_writes_an_explanation_the_patient_says_it_doesnt_fit_and_it_shows_on_the_home(open_page, cast):
    bob = open_page()
    log_in(bob, cast.bob.user.email)
    bob.goto(f"/patients/{cast.alice.pk}/")
    assert_accessible(bob)
    press(bob, bob.get_by_role("link", name="Open the shared record"))
    assert_accessible(bob)
    press(bob, bob.get_by_role("navigation", name="Parts of the record").get_by_role("link", name="Explanations"))
    assert_accessible(bob)
    press(bob, bob.get_by_role("link", name="Write an explanation"))
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("Title"))
    bob.keyboard.type("Why my back still hurts")
    tab_to(bob, bob.get_by_label("Your current understanding, in plain language"))
    bob.keyboard.type("Your nervous system has become protective, like an alarm that is set too sensitively.")
    press(bob, bob.get_by_role("button", name="Share with Alice"))
    expect(bob.get_by_text("will be asked whether it fits their experience")).to_be_visible()
    assert_accessible(bob)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    press(alice, alice.get_by_role("link", name="1 explanation"))
    assert_accessible(alice)
    press(alice, alice.get_by_role("link", name="Why my back still hurts"))
    assert_accessible(alice)
    tab_to(alice, alice.get_by_label("Fits my experience"))
    alice.keyboard.press("ArrowDown")
    alice.keyboard.press("ArrowDown")
    expect(alice.get_by_label("Doesn't fit")).to_be_checked()
    press(alice, alice.get_by_role("button", name="Send my answer"))
    # Without words, the form asks for them, kindly, next to the field, and keeps the choice.
    expect(alice.get_by_text("Please say, in your own words, what doesn't fit")).to_be_visible()
    expect(alice.get_by_label("Doesn't fit")).to_be_checked()
    assert_accessible(alice)
    tab_to(alice, alice.get_by_label("In your own words: what fits, and what doesn't?"))
    alice.keyboard.type("It feels sharp and in one place when I lift. That doesn't feel like an alarm.")
    press(alice, alice.get_by_role("button", name="Send my answer"))
    expect(alice.get_by_text("It's on the agenda")).to_be_visible()
    assert_accessible(alice)
    assert FitResponse.objects.get().fit == Fit.DOESNT_FIT

    bob.goto("/")
    expect(bob.get_by_role("heading", name="Explanations that don't fit yet")).to_be_visible()
    link = bob.get_by_role("link", name=re.compile("Alice Archer: “Why my back still hurts”"))
    expect(link).to_be_visible()
    assert_accessible(bob)
    press(bob, link)
    expect(bob.get_by_text("Open until you've talked it through.")).to_be_visible()
    assert_accessible(bob)


def test_the_clinician_builds_options_is_refused_a_one_sided_one_shares_them_and_the_patient_chooses(open_page, cast):
    bob = open_page()
    log_in(bob, cast.bob.user.email)
    bob.goto(f"/patients/{cast.alice.pk}/record/decisions/")
    assert_accessible(bob)
    press(bob, bob.get_by_role("link", name="Lay out options for a decision"))
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("What is the decision?"))
    bob.keyboard.type("What to do about my knee")
    press(bob, bob.get_by_role("button", name="Continue to the options"))
    assert_accessible(bob)

    def add_option(title: str, benefits: str, downsides: str) -> None:
        press(bob, bob.get_by_role("link", name=re.compile("Add an option")))
        expect(bob.get_by_text("Balanced by design.")).to_be_visible()
        assert_accessible(bob)
        tab_to(bob, bob.get_by_label("Name of the option"))
        bob.keyboard.type(title)
        tab_to(bob, bob.get_by_label("Benefits"))
        bob.keyboard.type(benefits)
        if downsides:
            tab_to(bob, bob.get_by_label("Downsides and risks"))
            bob.keyboard.type(downsides)
        press(bob, bob.get_by_role("button", name="Add the option"))
        assert_accessible(bob)

    add_option("Surgery", "May fix the torn cartilage", "Weeks of recovery")
    add_option("Knee injections", "Quick relief for some people", "")
    expect(bob.get_by_text("It still needs a downside before the options can be shared.")).to_be_visible()
    press(bob, bob.get_by_role("button", name="Share the options with Alice"))
    expect(bob.get_by_text("These options can't be shared yet:")).to_be_visible()
    expect(bob.get_by_text("“Knee injections” needs a downside.")).to_be_visible()
    assert_accessible(bob)
    decision = Decision.objects.get()
    assert decision.status == DecisionStatus.DRAFT

    press(bob, bob.get_by_role("link", name="Edit this option").nth(1))
    assert_accessible(bob)
    tab_to(bob, bob.get_by_label("Downsides and risks (one per line)"))
    bob.keyboard.type("The relief often wears off")
    press(bob, bob.get_by_role("button", name="Save changes"))
    add_option("A strengthening programme", "Good evidence, no operation", "Hard work most days")
    press(bob, bob.get_by_role("button", name="Share the options with Alice"))
    expect(bob.get_by_text("The options are shared with Alice.")).to_be_visible()
    assert_accessible(bob)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    press(alice, alice.get_by_role("link", name="Options to look at"))
    assert_accessible(alice)
    press(alice, alice.get_by_role("link", name="What to do about my knee"))
    expect(alice.get_by_text("The relief often wears off")).to_be_visible()
    assert_accessible(alice)
    tab_to(alice, alice.get_by_label("What matters most to you in this decision?"))
    alice.keyboard.type("Not having weeks off work.")
    tab_to(alice, alice.get_by_label("I'm not sure yet and would like to talk it through"))
    alice.keyboard.press("ArrowDown")
    alice.keyboard.press("ArrowDown")
    expect(alice.get_by_label("I've made my choice")).to_be_checked()
    tab_to(alice, alice.get_by_role("radio", name="Surgery"))  # Tab enters the group on its first choice
    alice.keyboard.press("ArrowDown")
    alice.keyboard.press("ArrowDown")
    expect(alice.get_by_role("radio", name="A strengthening programme")).to_be_checked()
    press(alice, alice.get_by_role("button", name="Save"))
    expect(alice.get_by_text("Your choice is recorded.")).to_be_visible()
    assert_accessible(alice)

    for question, presses in (("real say", 4), ("understand the options", 3), ("downsides as well", 4)):
        group = alice.get_by_role("group", name=re.compile(question))
        tab_to(alice, group.get_by_label("Not at all"))
        alice.keyboard.press("Space")
        for _ in range(presses):
            alice.keyboard.press("ArrowDown")
    press(alice, alice.get_by_role("button", name="Send my answers"))
    expect(alice.get_by_text("Thank you for answering.")).to_be_visible()
    assert_accessible(alice)
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.DECIDED
    assert decision.preferred_option.title == "A strengthening programme"
    assert decision.after_check.answers == {"had_a_say": 4, "understood_options": 3, "told_downsides": 4}


def test_every_record_page_passes_axe_for_both_sides_at_375_px(open_page, cast):
    """The pages the journeys above don't reach, filled with one of everything, for the patient and the clinician."""
    from alliance.services import record as svc
    from tests.alliance.record import helpers as h

    question = h.answered(cast, silly=True)
    goal = h.goal(cast)
    for value in (3, 5, 6):
        svc.goal_rate(goal=goal, by=cast.alice.user, value=value)
    suggested = h.goal(cast, text="Swim once a week", by=cast.bob.user)
    h.win(cast)
    svc.win_acknowledge(win=h.win(cast, text="Slept better"), by=cast.bob.user, reply="Lovely to hear")
    svc.setback_log(
        patient=cast.alice, by=cast.alice.user, what_happened="A flare", what_helped="Rest", add_to_agenda=True
    )
    explanation, response = h.doesnt_fit(cast)
    svc.explanation_talked_through(response=response, by=cast.bob.user, note="We talked")
    svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="A second way of putting it")
    decision = h.decided(cast)
    entry = h.story(cast)
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="Lifting patients was my life.", note="Tell me more")
    svc.story_reflect(entry=entry, by=cast.bob.user, summary="Work was who you were.")
    svc.private_note_add(patient=cast.alice, by=cast.bob.user, body="Private", section="story")
    svc.record_item_edit(item=question, by=cast.alice.user, changes={"text": "Edited wording"})

    base = f"/patients/{cast.alice.pk}/record/"
    shared = [
        "",
        "questions/",
        f"questions/{question.pk}/",
        "goals/",
        "goals/new/",
        f"goals/{goal.pk}/",
        f"goals/{suggested.pk}/",
        "journal/",
        "journal/wins/new/",
        "journal/setbacks/new/",
        "explanations/",
        f"explanations/{explanation.pk}/",
        "decisions/",
        f"decisions/{decision.pk}/",
        "story/",
        f"story/{entry.pk}/",
        f"items/question/{question.pk}/history/",
    ]
    pages = {
        cast.alice.user.email: [
            *shared,
            "questions/new/",
            "story/new/",
            f"items/question/{question.pk}/edit/",
            f"items/question/{question.pk}/withdraw/",
        ],
        cast.bob.user.email: [*shared, "explanations/new/", f"explanations/{explanation.pk}/revise/", "decisions/new/"],
    }
    for email, paths in pages.items():
        page = open_page()
        log_in(page, email)
        for path in paths:
            page.goto(base + path)
            expect(page.locator("h1")).to_be_visible()
            assert_accessible(page)
    admin = open_page()
    log_in(admin, cast.dave.user.email)
    for path in (base, "/record/overview/"):
        admin.goto(path)
        assert_accessible(admin)

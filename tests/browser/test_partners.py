"""Issue 5 journeys, by keyboard at 375 px, with axe on every page: both sides build an agenda and the
clinician records the session; the patient reads the summary, rates a home-plan item and logs practice."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from sessions import services
from sessions.models import AgendaEntry, AgendaItem, PracticeLog, SessionRecord, SessionStatus, WorthRating
from tests.browser.helpers import assert_accessible, log_in, open_menu
from tests.factories import CareSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def submit_with_enter(page: Page, button: Locator) -> None:
    tab_to(page, button)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert_accessible(page)


def add_agenda_item(page: Page, text: str) -> None:
    field = page.get_by_label("Something to talk about")
    tab_to(page, field)
    page.keyboard.type(text)
    submit_with_enter(page, page.get_by_role("button", name="Add to the agenda"))
    expect(page.get_by_text("Added to the agenda.")).to_be_visible()
    expect(page.locator(".agenda-text", has_text=text)).to_be_visible()


def test_both_sides_build_the_agenda_and_the_clinician_records_the_session(open_page, cast):
    """The clinician's prep-to-record path at 375 px by keyboard alone: the agenda (its time estimate,
    "same as", "answered already", a suggested park), then the whole session recorded on one screen."""
    # The session is under way: started ten minutes ago, not yet recorded. Twenty minutes long, so
    # four items (10 to settle in, 5 each) do not fit.
    held = CareSessionFactory(
        patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(minutes=10), duration_minutes=20
    )
    agenda_path = f"/sessions/{held.pk}/agenda/"

    alice = open_page()
    log_in(alice, "alice@example.org")
    alice.goto(agenda_path)
    assert_accessible(alice)
    add_agenda_item(alice, "Is it silly to ask about my sleep?")
    add_agenda_item(alice, "Going back to work part-time")
    add_agenda_item(alice, "Waking at night")
    # The patient settles her own item: it's the same as her question about sleep.
    same_as = alice.get_by_label(re.compile(r"^“Waking at night” is the same as$"))
    tab_to(alice, same_as)
    same_as.select_option(label="Same as: Is it silly to ask about my sleep?")
    submit_with_enter(alice, alice.get_by_role("button", name=re.compile(r"^Put together\s+“Waking at night”")))
    expect(alice.locator(".agenda-merged")).to_contain_text("Same as this: “Waking at night”")

    bob = open_page()
    log_in(bob, "bob@example.org")
    bob.goto(agenda_path)
    assert_accessible(bob)
    expect(bob.get_by_text("Raised by Alice Archer").first).to_be_visible()
    add_agenda_item(bob, "Review the walking plan")
    add_agenda_item(bob, "Heat or ice?")
    # Bob's item goes first, with two presses of a plain button: no JavaScript needed.
    for _ in range(2):
        submit_with_enter(bob, bob.get_by_role("button", name=re.compile(r"^Move up\s+“Review the walking plan”$")))
    expect(bob.locator(".agenda-text").first).to_have_text("Review the walking plan")
    submit_with_enter(bob, bob.get_by_role("button", name=re.compile(r"^Answered already\s+“Heat or ice\?”$")))
    expect(bob.locator("#answered-heading + ul")).to_contain_text("Heat or ice?")
    # Three items need 25 minutes of a 20-minute appointment: a suggestion, never a park by itself.
    fit = bob.locator("#agenda-fit")
    expect(fit).to_contain_text("About 25 minutes for a 20-minute appointment")
    assert AgendaItem.objects.filter(status="parked").count() == 0
    expect(bob.locator("#park-suggestions")).to_contain_text("Going back to work part-time")
    submit_with_enter(
        bob, fit.get_by_role("button", name=re.compile(r"^Park\s+“Going back to work part-time” for later$"))
    )
    expect(bob.get_by_text("Parked for later. It's kept in the parked list")).to_be_visible()
    expect(bob.locator("#agenda-fit")).to_contain_text("it fits")

    alice.reload()
    assert_accessible(alice)
    expect(alice.get_by_text("Raised by Bob Baker").first).to_be_visible()
    expect(alice.locator("#parked-list")).to_contain_text("Going back to work part-time")

    submit_with_enter(bob, bob.get_by_role("link", name="Record this session"))
    sleep = AgendaItem.objects.get(text__startswith="Is it silly")
    walk = AgendaItem.objects.get(text="Review the walking plan")
    # Who led starts as whoever raised it: Alice for her question, Bob for his plan.
    expect(bob.locator(f"#record-item-{sleep.pk}").get_by_label("Who led it")).to_have_value("patient")
    walk_box = bob.locator(f"#record-item-{walk.pk}")
    expect(walk_box.get_by_label("Who led it")).to_have_value("clinician")
    for item in (walk, sleep):
        box = bob.locator(f"#record-item-{item.pk}")
        tab_to(bob, box.get_by_role("checkbox"))
        bob.keyboard.press("Space")
    tab_to(bob, walk_box.get_by_label("Who led it"))
    walk_box.get_by_label("Who led it").select_option("together")
    tab_to(bob, walk_box.get_by_label("What you agreed (the patient will see this)"))
    bob.keyboard.type("Ten minutes, most days")
    tab_to(bob, bob.get_by_label("Summary, in plain language"))
    bob.keyboard.type("We talked about sleep and agreed a gentle walking plan.")
    tab_to(bob, bob.get_by_label("Next steps"))
    bob.keyboard.type("Try the walk and keep a short sleep diary.")
    assert_accessible(bob)
    submit_with_enter(bob, bob.get_by_role("button", name="Save and share with Alice"))
    expect(bob.get_by_text("The session is recorded.")).to_be_visible()

    held.refresh_from_db()
    assert held.status == SessionStatus.DONE
    assert SessionRecord.objects.get(care_session=held).summary.startswith("We talked about sleep")
    assert set(AgendaEntry.objects.filter(care_session=held).values_list("outcome", "led_by")) == {
        ("discussed", "together"),
        ("discussed", "patient"),
        ("parked", ""),
    }
    parked = AgendaItem.objects.get(text="Going back to work part-time")
    assert (parked.status, parked.care_session) == ("parked", None)

    alice.goto(agenda_path)
    assert_accessible(alice)
    expect(alice.get_by_role("heading", name="Summary from Bob Baker")).to_be_visible()
    discussed = alice.locator("#discussed-heading + ol")
    expect(discussed).to_contain_text("Raised by you · You led this")
    expect(discussed).to_contain_text("Same as this: “Waking at night”")
    expect(discussed).to_contain_text("Raised by Bob Baker · You and Bob led this together")
    expect(alice.get_by_text("Ten minutes, most days")).to_be_visible()
    submit_with_enter(alice, alice.get_by_role("link", name="Add what I took from this session"))
    tab_to(alice, alice.get_by_label("What I took from this session"))
    alice.keyboard.type("Sleep matters more than I thought 😴")
    submit_with_enter(alice, alice.get_by_role("button", name="Save"))
    expect(alice.get_by_text("Sleep matters more than I thought 😴")).to_be_visible()


def test_patient_reads_the_summary_rates_a_home_plan_item_and_logs_practice(open_page, cast):
    held = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(days=2))
    services.session_record_save(
        by=cast.bob.user,
        care_session=held,
        summary="You did well to notice the pattern with stairs.",
        next_steps="Try the walk most days.",
        entries=[],
    )
    plan = services.home_plan_revise(
        by=cast.bob.user,
        patient=cast.alice,
        items=[{"title": "Morning walk", "description": "To the corner and back, slowly.", "how_often": "Most days"}],
    )
    walk = plan.items.get()

    alice = open_page()
    log_in(alice, "alice@example.org")
    expect(alice.get_by_text("You did well to notice the pattern with stairs.")).to_be_visible()
    submit_with_enter(alice, alice.get_by_role("link", name="Read the summary and add what you took from it"))
    expect(alice.get_by_text("Try the walk most days.")).to_be_visible()

    open_menu(alice, keyboard=True)
    submit_with_enter(alice, alice.get_by_role("link", name="My home plan"))
    seven = alice.locator(f"#rate-{walk.pk}-7")
    tab_to(alice, alice.locator(f"#rate-{walk.pk}-0"))
    for _ in range(7):
        alice.keyboard.press("ArrowRight")
    expect(seven).to_be_checked()
    submit_with_enter(alice, alice.get_by_role("button", name="Save my answer about “Morning walk”"))
    expect(alice.get_by_text("You rated “Morning walk” 7 out of 10.")).to_be_visible()
    assert WorthRating.objects.get().score == 7

    open_menu(alice, keyboard=True)
    submit_with_enter(alice, alice.get_by_role("link", name="Home", exact=True))
    note = alice.locator(f"#note-{walk.pk}")
    tab_to(alice, note)
    alice.keyboard.type("Stiff at first, easier by the end")
    submit_with_enter(alice, alice.locator(f"#plan-item-{walk.pk}").get_by_role("button", name="Partly"))
    expect(alice.get_by_text("Some is more than none.")).to_be_visible()
    expect(alice.get_by_text("Today so far:")).to_be_visible()
    log = PracticeLog.objects.get()
    assert (log.outcome, log.note) == ("partly", "Stiff at first, easier by the end")

    bob = open_page()
    log_in(bob, "bob@example.org")
    bob.goto(f"/sessions/patients/{cast.alice.pk}/plan/")
    assert_accessible(bob)
    row = bob.locator(f"#item-{walk.pk}")
    expect(row).to_contain_text("7 / 10")
    expect(row).to_contain_text("Done 0 · partly 1 · not today 0")
    expect(bob.get_by_text("Stiff at first, easier by the end")).to_be_visible()


def test_reminder_pages_and_the_opt_out_are_accessible(open_page, cast):
    alice = open_page()
    log_in(alice, "alice@example.org")
    open_menu(alice, keyboard=True)
    submit_with_enter(alice, alice.get_by_role("link", name="Reminders", exact=True))
    frequency = alice.get_by_role("radio", name="Every day")
    tab_to(alice, alice.get_by_role("radio", name="Once a week (Mondays)"))
    alice.keyboard.press("ArrowUp")
    alice.keyboard.press("ArrowUp")
    expect(frequency).to_be_checked()
    submit_with_enter(alice, alice.get_by_role("button", name="Save my choices"))
    expect(alice.get_by_text("Your reminder choices are saved.")).to_be_visible()
    submit_with_enter(alice, alice.get_by_role("link", name="Reminders we've sent you"))

    token = services.unsubscribe_token(user=cast.alice.user, kind="home_plan")
    visitor = open_page()
    visitor.goto(f"/sessions/reminders/unsubscribe/{token}/")
    assert_accessible(visitor)
    submit_with_enter(visitor, visitor.get_by_role("button", name="Turn them off"))
    expect(visitor.get_by_role("heading", name="Done: no more home-plan nudge emails")).to_be_visible()

    dave = open_page()
    log_in(dave, "dave@example.org")
    open_menu(dave, keyboard=True)
    submit_with_enter(dave, dave.get_by_role("link", name="Reminders sent"))

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


def choose_radio(page: Page, group: Locator, name: str) -> None:
    """Tab into a radio group (it lands on the first choice), then arrow to the one wanted."""
    radios = group.get_by_role("radio")
    tab_to(page, radios.first)
    target = group.get_by_role("radio", name=name)
    page.keyboard.press("Space")
    for _ in range(radios.count()):
        if target.is_checked():
            return
        page.keyboard.press("ArrowDown")
    expect(target).to_be_checked()


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
    # The session is under way: started ten minutes ago, not yet recorded.
    held = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(minutes=10))
    agenda_path = f"/sessions/{held.pk}/agenda/"

    alice = open_page()
    log_in(alice, "alice@example.org")
    alice.goto(agenda_path)
    assert_accessible(alice)
    add_agenda_item(alice, "Is it silly to ask about my sleep?")
    add_agenda_item(alice, "Going back to work part-time")

    bob = open_page()
    log_in(bob, "bob@example.org")
    bob.goto(agenda_path)
    assert_accessible(bob)
    expect(bob.get_by_text("Raised by Alice Archer").first).to_be_visible()
    add_agenda_item(bob, "Review the walking plan")
    print(bob.locator("main").aria_snapshot())
    # Bob's item goes first, with two presses of a plain button: no JavaScript needed.
    for _ in range(2):
        submit_with_enter(bob, bob.get_by_role("button", name=re.compile(r"^Move up\s+“Review the walking plan”$")))
    expect(bob.locator(".agenda-text").first).to_have_text("Review the walking plan")
    submit_with_enter(
        bob, bob.get_by_role("button", name=re.compile(r"^Park for later\s+“Going back to work part-time”$"))
    )
    expect(bob.get_by_text("Parked for later. It's on the agenda for the session on")).to_be_visible()

    alice.reload()
    assert_accessible(alice)
    expect(alice.get_by_text("Raised by Bob Baker")).to_be_visible()
    parked = alice.locator("#parked-heading + p + ul")
    expect(parked).to_contain_text("Going back to work part-time")
    expect(parked).to_contain_text("on the agenda for")

    submit_with_enter(bob, bob.get_by_role("link", name="Record this session"))
    sleep = AgendaItem.objects.get(text__startswith="Is it silly")
    walk = AgendaItem.objects.get(text="Review the walking plan")
    for item, lead, agreed in ((walk, "We led it together", "Ten minutes, most days"), (sleep, "The patient led", "")):
        box = bob.locator(f"#record-item-{item.pk}")
        choose_radio(bob, box.locator("fieldset", has=bob.locator("input[name$=outcome]")), "Talked about")
        choose_radio(bob, box.locator("fieldset", has=bob.locator("input[name$=led_by]")), lead)
        if agreed:
            tab_to(bob, box.get_by_label("What you agreed (the patient will see this)"))
            bob.keyboard.type(agreed)
    tab_to(bob, bob.get_by_label("Summary, in plain language"))
    bob.keyboard.type("We talked about sleep and agreed a gentle walking plan.")
    tab_to(bob, bob.get_by_label("Next steps"))
    bob.keyboard.type("Try the walk and keep a short sleep diary.")
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
    assert AgendaItem.objects.get(text="Going back to work part-time").care_session == cast.alice_session

    alice.goto(agenda_path)
    assert_accessible(alice)
    expect(alice.get_by_role("heading", name="Summary from Bob Baker")).to_be_visible()
    discussed = alice.locator("#discussed-heading + ol")
    expect(discussed).to_contain_text("Raised by you · You led this")
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

"""The prep sheet in Chromium at 375 px: axe clean, printed on at most two A4 pages without menus or
buttons, and the server's PDF holds the patient's name and the agenda."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.alliance.prep import helpers
from tests.browser.helpers import assert_accessible, log_in
from tests.browser.test_partners import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_clinician_prepares_from_the_session_page_prints_two_pages_and_downloads_the_pdf(open_page, cast):
    # A realistic week: a recorded session, five check-ins, three of each kind of record item (each
    # question and "doesn't fit" also lands on the agenda), a four-item home plan.
    helpers.last_session(cast)
    helpers.checkins(cast, 5)
    helpers.record_items(cast, 3)
    helpers.home_plan(cast, 4)

    page = open_page()
    log_in(page, "bob@example.org")
    page.goto(f"/sessions/{cast.alice_session.pk}/")
    assert_accessible(page)
    link = page.get_by_role("link", name="Prep sheet")
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Prep sheet: Alice Archer", level=1)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("Worried it might sound silly: go gently.").first).to_be_visible()
    expect(page.get_by_role("heading", name="Private notes (care team only)")).to_be_visible()

    # Printed: no menus, buttons or links bar; everything fits on one or two A4 pages.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="Download as PDF")).to_be_hidden()
    expect(page.get_by_role("table").first).to_be_visible()
    pages, text = _pdf_text(page.pdf(format="A4"))
    assert 1 <= pages <= 2, f"the printed sheet takes {pages} A4 pages"
    assert "Prep sheet: Alice Archer" in text
    assert "Agenda point 2" in text and "Stretch 3" in text and "Ask gently about sleep" in text
    assert "Download as PDF" not in text and "Sign out" not in text
    page.emulate_media(media="screen")

    # The server's PDF of the same sheet.
    response = page.request.get(f"/sessions/{cast.alice_session.pk}/prep/prep-sheet.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pages, text = _pdf_text(response.body())
    assert 1 <= pages <= 2, f"the PDF takes {pages} A4 pages"
    assert "Alice Archer" in text
    for item in ("Agenda point 0", "Agenda point 1", "Agenda point 2", "Is it normal that my knee clicks? 2"):
        assert item in text, item


def test_patient_reads_their_own_version_at_375_px(open_page, cast):
    helpers.last_session(cast)
    helpers.checkins(cast, 3)
    helpers.record_items(cast, 2)
    page = open_page()
    log_in(page, "alice@example.org")
    page.goto(f"/sessions/{cast.alice_session.pk}/")
    page.get_by_role("link", name="Before your appointment: one page").click()
    expect(page.get_by_role("heading", name="Before your appointment", level=1)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("Agenda point 1")).to_be_visible()
    expect(page.get_by_text("Ask gently about sleep")).to_have_count(0)
    expect(page.get_by_text("silly")).to_have_count(0)


def test_clinician_reads_the_timeline_and_filters_it_without_a_script(open_page, cast):
    helpers.last_session(cast)
    helpers.checkins(cast, 2)
    helpers.record_items(cast, 1)
    page = open_page()
    log_in(page, "bob@example.org")
    page.goto(f"/patients/{cast.alice.pk}/")
    page.get_by_role("link", name="Timeline: everything about Alice, newest first").click()
    expect(page.get_by_role("heading", name="Timeline: Alice Archer", level=1)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("Walked to the park 0")).to_be_visible()
    page.get_by_text("Show only some kinds").click()
    assert_accessible(page)
    page.get_by_label("Questions and answers").check()
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("Is it normal that my knee clicks? 0").first).to_be_visible()
    expect(page.get_by_text("Walked to the park 0")).to_have_count(0)
    assert_accessible(page)

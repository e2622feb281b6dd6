"""Reports and exports in a real Chromium: every page checked with axe, at 375 px unless a test says otherwise."""

import io
import json
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from alliance.models import Export, ExportStatus
from alliance.services import exports as services
from tests.alliance.reports.data import build_quarter
from tests.browser.helpers import assert_accessible, log_in, open_menu
from tests.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def unread_queue(celery_workers):
    """Exports are handed to the real broker, on a queue of this test's own that no worker reads:
    the test does the worker's part when it chooses."""
    with celery_workers.default_queue():
        yield celery_workers


@pytest.fixture
def quarter(cast, settings):
    settings.REPORT_MIN_PATIENTS = 2
    return build_quarter(cast)


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_admin_opens_a_report_filters_it_exports_xlsx_and_downloads_the_file(open_page, quarter, viewport):
    page = open_page(viewport=viewport)
    log_in(page, quarter.cast.dave.user.email)
    open_menu(page)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Clinic reports", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("From").fill("2025-01-01")
    page.get_by_label("To (including this day)").fill("2025-03-31")
    page.get_by_role("button", name="Show these figures").click()
    expect(page.get_by_text("1 Jan 2025 to 31 Mar 2025")).to_be_visible()
    checkins = page.get_by_role("table", name="Check-ins")
    expect(checkins.get_by_role("row", name=re.compile("Sessions the patient checked in for"))).to_contain_text(
        "88% (7 of 8 sessions)"
    )
    expect(page.get_by_role("table", name="Alliance totals")).to_contain_text("28.8 out of 40")
    assert_accessible(page)

    page.get_by_label("Clinician").select_option(label="Carol Clarke")
    page.get_by_role("button", name="Show these figures").click()
    expect(page.get_by_text("Carol Clarke's sessions")).to_be_visible()
    expect(page.get_by_role("table", name="Check-ins")).to_contain_text("67% (2 of 3 sessions)")
    assert_accessible(page)

    page.get_by_role("link", name="By clinician", exact=True).click()
    expect(page.get_by_role("table", name=re.compile("Figures for each clinician"))).to_contain_text("Bob Baker")
    assert_accessible(page)
    page.get_by_role("link", name="Month by month", exact=True).click()
    expect(page.get_by_role("img", name="Alliance check-in totals by month")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Alliance totals by month"))).to_contain_text("Jan 2025")
    assert_accessible(page)

    page.get_by_role("link", name="Export the data behind these figures", exact=True).click()
    expect(page.get_by_role("heading", name="Export data", level=1)).to_be_visible()
    expect(page.get_by_label("From")).to_have_value("2025-01-01")
    assert_accessible(page)
    page.get_by_label(re.compile("Check-in totals:")).check()
    page.get_by_label(re.compile("Excel \\(XLSX\\), to open")).check()
    page.get_by_label(re.compile("De-identified:")).check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "alliance-checkin-responses-20250101-20250331-deidentified.xlsx"
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    sheet = workbook["Check-in totals"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["response_id", "patient_pseudonym", "clinician_pseudonym"]
    assert sheet.max_row == 1 + 18
    assert "Frank" not in json.dumps([[c for c in row] for row in sheet.iter_rows(values_only=True)], default=str)

    open_menu(page)
    page.get_by_role("link", name="Exports", exact=True).first.click()
    exports = page.get_by_role("table", name=re.compile("Exports from your clinic"))
    expect(exports).to_contain_text("Check-ins: one row per questionnaire, with totals (Excel (XLSX))")
    expect(exports).to_contain_text("Downloaded straight away")
    assert_accessible(page)


def test_a_large_export_shows_its_progress_and_then_its_download(page: Page, quarter, settings, unread_queue):
    settings.EXPORT_STREAM_MAX_ROWS = 0
    log_in(page, quarter.cast.dave.user.email)
    page.goto("/clinic/exports/new/")
    page.get_by_label(re.compile("Sessions:")).check()
    page.get_by_label(re.compile("CSV, for")).check()
    page.get_by_label("From").fill("2025-01-01")
    page.get_by_label("To (including this day)").fill("2025-03-31")
    page.get_by_role("button", name="Export", exact=True).click()

    expect(page.get_by_text("so we're preparing the file in the background")).to_be_visible()
    expect(page.locator("#export-status-label")).to_have_text("Waiting to start")
    expect(page.get_by_role("progressbar", name="How far the export has got")).to_be_visible()
    expect(page.get_by_role("link", name="Check again", exact=True)).to_be_visible()
    assert_accessible(page)

    export = Export.objects.get()
    assert len(unread_queue.sent) == 1, "the export was handed to the broker"
    assert services.export_run(export_id=export.pk).export.status == ExportStatus.READY
    # No reload: the page's script sees the file is ready and offers it.
    download_link = page.get_by_role("link", name=re.compile("^Download alliance-sessions-"))
    expect(download_link).to_be_visible(timeout=10_000)
    expect(download_link).to_be_focused()
    expect(page.locator("#export-status-label")).to_have_text("Ready to download")
    expect(page.get_by_role("link", name="Check again", exact=True)).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="ready to download")).to_have_count(1)
    assert_accessible(page)
    with page.expect_download() as download_info:
        download_link.click()
    lines = open(download_info.value.path()).read().splitlines()  # noqa: SIM115
    assert lines[0].startswith("session_id,patient_pseudonym,")
    assert len(lines) == 1 + 9


def test_without_scripts_the_progress_page_still_works(new_context, quarter, settings, unread_queue):
    settings.EXPORT_STREAM_MAX_ROWS = 0
    # axe needs scripts, so this page signs in without the usual checks (every page here is checked above).
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(quarter.cast.dave.user.email)
    page.get_by_label("Password").fill(quarter.cast.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(TOTPDevice.objects.get(user=quarter.cast.dave.user)))
    page.get_by_role("button", name="Continue").click()
    page.goto("/clinic/exports/new/")
    page.get_by_label(re.compile("Alerts:")).check()
    page.get_by_label(re.compile("CSV, for")).check()
    page.get_by_label("From").fill("2025-01-01")
    page.get_by_label("To (including this day)").fill("2025-03-31")
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.locator("#export-status-label")).to_have_text("Waiting to start")
    assert len(unread_queue.sent) == 1, "the export was handed to the broker"
    services.export_run(export_id=Export.objects.get().pk)
    page.get_by_role("link", name="Check again", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("^Download alliance-alerts-"))).to_be_visible()


def test_a_patient_downloads_everything_alliance_holds_about_her(page: Page, quarter):
    log_in(page, quarter.cast.alice.user.email)
    open_menu(page)
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("link", name="Download your data", exact=True).click()
    expect(page.get_by_role("heading", name="Download your data", level=1)).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download everything (JSON)", exact=True).click()
    data = json.loads(open(download_info.value.path()).read())  # noqa: SIM115
    assert data["format"] == "alliance-patient-data"
    titles = [section["title"] for section in data["sections"]]
    assert "Your appointments" in titles and "Your check-ins" in titles
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download for a health record (FHIR)", exact=True).click()
    bundle = json.loads(open(download_info.value.path()).read())  # noqa: SIM115
    assert bundle["resourceType"] == "Bundle"


def test_bad_report_dates_are_explained_and_kept(page: Page, quarter):
    log_in(page, quarter.cast.dave.user.email)
    page.goto("/clinic/reports/?date_from=2025-03-01&date_to=2025-01-01")
    field = page.get_by_label("To (including this day)")
    expect(field).to_have_value("2025-01-01")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("The end date is before the start date"))
    assert_accessible(page)

"""A subject access request in a real Chromium at 375 px, with axe on every page: dave opens it, reviews
the complete copy, withholds a private note (first forgetting the reason), decides and releases; alice
downloads her copy from her data page."""

import json
import re

import pytest
from playwright.sync_api import expect

from alliance.models import AccessRequest
from alliance.services import access_requests as sar
from alliance.services.record import private_note_add
from tests.browser.helpers import assert_accessible, log_in, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def unread_queue(celery_workers):
    """The build is handed to the real broker, on a queue no worker reads: the test does the worker's part."""
    with celery_workers.default_queue():
        yield celery_workers


def test_an_admin_handles_a_request_and_the_patient_downloads_her_copy(open_page, cast, unread_queue):
    note = private_note_add(patient=cast.alice, by=cast.bob.user, body="Mentioned her neighbour's illness.")
    dave = open_page()
    log_in(dave, cast.dave.user.email)
    open_menu(dave)
    dave.get_by_role("link", name="Access requests", exact=True).click()
    expect(dave.get_by_role("heading", name="Subject access requests", level=1)).to_be_visible()
    assert_accessible(dave)

    dave.goto(f"/clinic/people/{cast.alice.user_id}/")
    dave.get_by_role("link", name="Open a subject access request").click()
    expect(dave.get_by_role("heading", name="Open a subject access request for Alice Archer")).to_be_visible()
    assert_accessible(dave)
    dave.get_by_label("How it reached the clinic (optional)").fill("By email to reception")
    dave.get_by_role("button", name="Open the request").click()
    expect(dave.locator("#request-state")).to_have_text("Preparing the copy")
    assert_accessible(dave)
    assert len(unread_queue.sent) == 1, "the build was handed to the broker"
    sar.access_request_build(request_id=AccessRequest.objects.get().pk)
    dave.get_by_role("link", name="Check again").click()
    expect(dave.locator("#request-state")).to_have_text("Ready for review")
    dave.locator("summary", has_text="Clinicians' private notes").click()
    expect(dave.get_by_text(f"Item {note.pk}: Mentioned her neighbour's illness.")).to_be_visible()
    assert_accessible(dave)

    dave.get_by_label("Section").select_option(label="Clinicians' private notes (1)")
    dave.get_by_label("Item number").fill(str(note.pk))
    dave.get_by_role("button", name="Withhold this item").click()
    reason = dave.locator("#withhold_reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(dave.locator("#withhold_reason ~ .invalid-feedback")).to_contain_text("Please say why")
    expect(dave.get_by_label("Item number")).to_have_value(str(note.pk))
    assert_accessible(dave)
    reason.fill("It is about another person, who has not agreed to it being shared.")
    dave.get_by_role("button", name="Withhold this item").click()
    expect(dave.get_by_role("heading", name="Withheld from the patient's copy")).to_be_visible()
    assert_accessible(dave)

    dave.get_by_label("Release with some items withheld").check()
    dave.locator("#decision_reason").fill("One note is about someone else.")
    dave.get_by_role("button", name="Record the decision").click()
    dave.get_by_role("button", name="Release the copy to Alice Archer").click()
    expect(dave.locator("#request-state")).to_have_text("Released to the patient")
    expect(dave.get_by_role("table", name=re.compile("Every step"))).to_contain_text("Item withheld")
    assert_accessible(dave)

    alice = open_page()
    log_in(alice, cast.alice.user.email)
    alice.goto("/my-data/")
    expect(alice.get_by_role("heading", name="Asking for a complete copy")).to_be_visible()
    assert_accessible(alice)
    with alice.expect_download() as download_info:
        alice.get_by_role("link", name=re.compile("^Download your complete copy")).click()
    copy = json.loads(open(download_info.value.path()).read())  # noqa: SIM115
    assert "neighbour" not in json.dumps(copy)
    assert copy["withheld"][0]["why"] == "It is about another person, who has not agreed to it being shared."

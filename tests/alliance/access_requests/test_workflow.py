"""A subject access request from start to finish, through the real stack: the pages, a real Celery worker
building the complete copy, the review, the decision, the release and the patient's download.
"""

import json
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from alliance.models import AccessRequest, AccessRequestState, PrivateNote, WithheldItem
from alliance.services.record import private_note_add
from patients.middleware import ALREADY_SENT
from tests.conftest import make_cast
from tests.helpers import Client, field_errors, visible_text

PRIVATE = "private:alliance.privatenote"


@pytest.fixture
def worker(celery_workers, tmp_path, monkeypatch):
    """A real worker on this test's own queue, writing files where the web side reads them."""
    exports = tmp_path / "exports"
    celery_workers.env.update(EXPORT_ROOT=str(exports))
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    with celery_workers.default_queue():
        celery_workers.start_worker()
        yield celery_workers


def _token(page) -> str:
    text = page.content.decode()
    marker = 'name="form_token" value="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_request_is_opened_built_by_the_worker_reviewed_decided_released_and_downloaded(worker):
    cast = make_cast()
    kept = private_note_add(patient=cast.alice, by=cast.bob.user, body="Alice is pacing well; keep encouraging.")
    withheld = private_note_add(
        patient=cast.alice, by=cast.bob.user, body="Her brother told me about his own diagnosis in confidence."
    )
    dave = _signed_in(cast.dave.user)

    # dave opens the request from alice's page; the form sent twice (a double tap) opens one request.
    new_url = reverse("alliance:access-request-new", args=[cast.alice.pk])
    form = dave.get(new_url)
    assert form.status_code == 200
    data = {"received_on": "2026-01-31", "how_received": "Asked at reception", "form_token": _token(form)}
    first = dave.post(new_url, data)
    again = dave.post(new_url, data)
    assert first.status_code == again.status_code == 302
    assert ALREADY_SENT in [str(m) for m in get_messages(again.wsgi_request)]
    request = AccessRequest.objects.get()
    assert first["Location"] == reverse("alliance:access-request", args=[request.pk])

    # The real worker builds the complete copy.
    worker.wait_until_settled()
    request.refresh_from_db()
    assert request.state == AccessRequestState.REVIEW, worker.logs()
    detail_url = reverse("alliance:access-request", args=[request.pk])

    # Another clinic's admin cannot see that the request exists; the patient and clinicians cannot use the page.
    assert _signed_in(cast.erin.user).get(detail_url).status_code == 404
    assert _signed_in(cast.erin.user).get(new_url).status_code == 404
    for outsider in (cast.alice.user, cast.bob.user):
        assert _signed_in(outsider).get(detail_url).status_code == 403

    page = dave.get(detail_url)
    text = visible_text(page)
    assert "Ready for review" in text
    # Received 31 January: due 28 February, the last day of the next month, shown on dave's calendar.
    assert "Answer due by 28 February 2026" in text
    assert "Clinicians' private notes (2 items)" in text
    assert f"Item {withheld.pk}: Her brother told me" in text
    assert "Who looked at or changed your record (" in text
    assert "not yet available" not in text
    assert "Alice Archer" in text

    # No reason: the message is next to the field, and what dave chose and typed is still there.
    url = reverse("alliance:access-request-withhold", args=[request.pk])
    page = dave.get(detail_url)
    refused = dave.post(
        url, {"section": PRIVATE, "item_id": str(withheld.pk), "reason": "  ", "form_token": _token(page)}
    )
    assert refused.status_code == 400
    assert field_errors(refused, "reason") == ["Please say why this item is withheld. The patient is told this reason."]
    assert f'value="{withheld.pk}"' in refused.content.decode()
    assert not WithheldItem.objects.exists()
    reason = "It is about a member of your family, who has not agreed to it being shared."
    token = _token(refused)
    for _ in range(2):  # sent twice: stored once
        assert (
            dave.post(
                url, {"section": PRIVATE, "item_id": str(withheld.pk), "reason": reason, "form_token": token}
            ).status_code
            == 302
        )
    assert WithheldItem.objects.get().item_id == str(withheld.pk)

    # A decision to withhold needs a reason the patient is told.
    decide_url = reverse("alliance:access-request-decide", args=[request.pk])
    refused = dave.post(decide_url, {"decision": "partial", "reason": "", "form_token": _token(dave.get(detail_url))})
    assert refused.status_code == 400
    assert field_errors(refused, "reason") == ["Please give the reason the items are withheld. The patient is told it."]
    chosen = [tag for tag in re.findall(r"<input[^>]*>", refused.content.decode()) if 'value="partial"' in tag]
    assert len(chosen) == 1 and " checked" in chosen[0], "the choice made is still chosen"
    summary = "One note is about someone else, who has not agreed to share it."
    assert (
        dave.post(decide_url, {"decision": "partial", "reason": summary, "form_token": _token(refused)}).status_code
        == 302
    )

    release_url = reverse("alliance:access-request-release", args=[request.pk])
    assert dave.post(release_url, {"form_token": _token(dave.get(detail_url))}).status_code == 302
    request.refresh_from_db()
    assert request.state == AccessRequestState.RELEASED

    # Every step is on the request's page: who, when, what.
    steps = visible_text(dave.get(detail_url))
    for what in (
        "Request opened",
        "Complete copy prepared",
        "Item withheld",
        "Decision recorded",
        "Released to the patient",
    ):
        assert what in steps
    assert "Dave Dixon" in steps and "Asked at reception" in steps

    # alice sees it on her data page and downloads it: the withheld note is absent, and listed with its reason.
    alice = _signed_in(cast.alice.user)
    my_data = visible_text(alice.get(reverse("alliance:my-data")))
    assert "Your clinic sent your copy" in my_data and summary in my_data
    copy_url = reverse("alliance:access-copy", args=[request.pk])
    response = alice.get(copy_url)
    assert response.status_code == 200
    copy = json.loads(b"".join(response.streaming_content))
    assert copy["copy"] == "released"
    notes = next(section for section in copy["sections"] if section["key"] == PRIVATE)
    assert [row["id"] for row in notes["rows"]] == [kept.pk]
    assert "Her brother" not in json.dumps(copy)
    assert copy["withheld"] == [{"section": "Clinicians' private notes", "item": str(withheld.pk), "why": reason}]
    assert "left 1 item out" in copy["about_this_file"]["items_left_out"]
    assert PrivateNote.objects.filter(pk=withheld.pk).exists(), "withholding never changes the record itself"

    # Only alice, and her clinic's admins, can download it.
    assert _signed_in(cast.dave.user).get(copy_url).status_code == 200
    for outsider, status in (
        (cast.frank.user, 404),
        (cast.erin.user, 404),
        (cast.bob.user, 403),
        (cast.carol.user, 403),
    ):
        assert _signed_in(outsider).get(copy_url).status_code == status, outsider
    assert "Released copy downloaded" in visible_text(dave.get(detail_url))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_request_opened_while_the_broker_was_down_is_built_once_housekeeping_sends_it_again(
    celery_workers, tmp_path, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from alliance.services import access_requests as sar
    from config.celery import app
    from tests.conftest import UNREACHABLE_BROKER, _forget_broker_connections

    cast = make_cast()
    exports = tmp_path / "exports"
    celery_workers.env.update(EXPORT_ROOT=str(exports))
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    real = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_BROKER
    _forget_broker_connections()
    try:
        request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    finally:
        app.conf.broker_url = real
        _forget_broker_connections()
    request.refresh_from_db()
    assert request.state == AccessRequestState.PREPARING, "the request is kept while the broker is down"
    with celery_workers.default_queue():
        celery_workers.start_worker()
        assert sar.access_requests_requeue() == 0, "not yet: it may still be on its way"
        assert sar.access_requests_requeue(now=timezone.now() + timedelta(minutes=6)) == 1
        celery_workers.wait_until_settled()
    request.refresh_from_db()
    assert request.state == AccessRequestState.REVIEW, celery_workers.logs()
    assert request.events.filter(kind="built").count() == 1

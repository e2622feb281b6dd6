"""Subject access requests when things go wrong (issue 12): a copy asked for, or released, while the broker
is down is built, and its patient told, by beat's every-minute ``exports_dispatch_unsent`` once the broker
is back; a build that failed has a "Try again" button; the patient's email says a copy is waiting, in
their own zone, and nothing of what it contains."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.models import AccessEventKind, AccessRequest, AccessRequestState
from alliance.services import access_requests as sar
from alliance.services.record import private_note_add
from patients.models import TRACKED
from tests.alliance.exports.test_broker_back import broker_down
from tests.conftest import make_cast
from tests.helpers import Client, visible_text

PERIOD = 5  # seconds between beat's runs of exports_dispatch_unsent in this test
SECRET = "Her brother told me about his own diagnosis in confidence."


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token(page) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    assert found, "the form carries a form token"
    return found.group(1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_copy_asked_for_and_released_while_the_broker_was_down_is_built_and_announced_within_a_minute(
    celery_workers, tmp_path, monkeypatch
):
    cast = make_cast()
    private_note_add(patient=cast.alice, by=cast.bob.user, body=SECRET)
    alice = cast.alice.user
    alice.timezone = "America/New_York"
    alice.save(update_fields=["timezone"])
    exports, outbox = tmp_path / "exports", tmp_path / "outbox"
    outbox.mkdir()
    monkeypatch.setattr(settings, "EXPORT_ROOT", exports)
    celery_workers.env.update(
        EXPORT_ROOT=str(exports),
        EXPORT_DISPATCH_SECONDS=str(PERIOD),
        DJANGO_SETTINGS_MODULE="tests.patients.file_mail_settings",
        ALLIANCE_EMAIL_DIR=str(outbox),
    )
    dave = _signed_in(cast.dave.user)

    with celery_workers.default_queue():
        with broker_down(monkeypatch):
            opened = dave.post(
                reverse("alliance:access-request-new", args=[cast.alice.pk]),
                {"received_on": f"{timezone.localdate():%Y-%m-%d}"},
            )
        request = AccessRequest.objects.get()
        assert opened.status_code == 302
        assert request.state == AccessRequestState.PREPARING and request.dispatched_at is None
        assert celery_workers.sent == [], "nothing reached the broker"

        # The broker is back: the minute's beat sends the build, well before half-hourly housekeeping.
        celery_workers.start_worker()
        celery_workers.start_beat()
        celery_workers.wait_until(
            lambda: AccessRequest.objects.filter(pk=request.pk, state=AccessRequestState.REVIEW).exists(),
            "the copy to be built",
            timeout=PERIOD + 60,
        )
        request.refresh_from_db()
        assert request.dispatched_at is not None

        sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
        sent_before = list(celery_workers.sent)
        with broker_down(monkeypatch):
            released = dave.post(reverse("alliance:access-request-release", args=[request.pk]))
        assert released.status_code == 302
        assert AccessRequest.objects.get(pk=request.pk).state == AccessRequestState.RELEASED
        assert celery_workers.sent == sent_before, "the release's own email never reached the broker"

        def emails() -> list[str]:
            return [path.read_text() for path in sorted(Path(outbox).glob("*.log")) if path.stat().st_size]

        celery_workers.wait_until(emails, "alice's email that her copy is waiting", timeout=PERIOD + 60)
    (email,) = emails()
    request.refresh_from_db()
    assert request.patient_told_at is not None
    assert "To: alice@example.org" in email
    assert "copy of your data is waiting" in email
    assert re.search(r"http://\S+/my-data/", email), "the link to her data page"
    local = timezone.localtime(request.released_at, alice.tzinfo)
    assert f"{local:%H:%M} (New York time)" in email, "the time in her own zone, named"
    assert SECRET not in email and "private" not in email.lower(), "nothing of what the copy holds"


@pytest.mark.django_db
def test_the_patient_is_told_once_the_copy_is_released_in_their_own_words_and_zone(
    cast, django_capture_on_commit_callbacks, monkeypatch, unreachable_broker
):
    """The release sends the email to the worker once it commits; with the broker down it waits, unsent."""
    request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    sar.access_request_build(request_id=request.pk)
    request.refresh_from_db()
    sar.access_request_decide(user=cast.dave.user, access_request=request, decision="full", reason="")
    sent = []
    with monkeypatch.context() as patch:
        patch.setattr(sar, "access_copy_released_dispatch", lambda *, request_id: sent.append(request_id))
        with django_capture_on_commit_callbacks(execute=True):
            sar.access_request_release(user=cast.dave.user, access_request=request)
    assert sent == [request.pk]
    assert sar.access_requests_dispatch_unsent() == 0, "the broker is still down: nothing sent"

    assert sar.access_copy_released_email(request_id=request.pk) is True
    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert email.subject == "A copy of your data is waiting in your Alliance account"
    assert "Hello Alice" in email.body and "Riverside Pain Service" in email.body


@pytest.mark.django_db
def test_a_failed_build_has_a_try_again_button_that_works_once_and_is_kept_in_the_trail(cast):
    request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    AccessRequest.objects.filter(pk=request.pk).update(state=AccessRequestState.FAILED)
    dave = _signed_in(cast.dave.user)
    url = reverse("alliance:access-request", args=[request.pk])
    page = dave.get(url)
    assert "Try again" in visible_text(page)
    token = _token(page)
    retry = reverse("alliance:access-request-retry", args=[request.pk])

    first = dave.post(retry, {"form_token": token})
    assert (first.status_code, first["Location"]) == (302, url)
    twice = dave.post(retry, {"form_token": token})
    assert twice.status_code == 302, "the same form sent again is told kindly, not refused"
    request.refresh_from_db()
    assert request.state == AccessRequestState.PREPARING and request.dispatched_at is None
    assert request.events.filter(kind=AccessEventKind.RETRIED, by=cast.dave.user).count() == 1
    text = visible_text(dave.get(url))
    assert "Preparing the copy again" in text and "Try again" not in text
    version = TRACKED["alliance.AccessRequest"].event_model.objects.filter(pgh_obj_id=request.pk).last()
    assert version.state == AccessRequestState.PREPARING and version.pgh_context["user"] == cast.dave.user.pk

    # Pressed again from an old page, once it is no longer failed: said beside the button, nothing changes.
    stale = dave.post(retry)
    assert stale.status_code == 400
    assert "no longer waiting to be tried again" in visible_text(stale)
    assert request.events.filter(kind=AccessEventKind.RETRIED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_build_that_meets_the_row_still_locked_by_its_sender_waits_and_builds_it():
    # A worker can take the message before the sender (a web request, or the every-minute re-send that
    # holds its rows until it commits) has let go of the row. Skipping a locked row lost the build then.
    cast = make_cast()
    request = sar.access_request_open(user=cast.dave.user, patient=cast.alice, received_on=timezone.localdate())
    locked, release = threading.Event(), threading.Event()

    def sender():
        with transaction.atomic():
            AccessRequest.objects.select_for_update().get(pk=request.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=sender)
    holder.start()
    assert locked.wait(10)
    threading.Timer(0.5, release.set).start()
    built = sar.access_request_build(request_id=request.pk)
    holder.join()
    assert built is not None
    request.refresh_from_db()
    assert request.state == AccessRequestState.REVIEW
    assert sar.access_request_build(request_id=request.pk) is None, "a second run finds nothing to build"

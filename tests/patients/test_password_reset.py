"""Password reset: the email is looked up and sent by a real worker, in the recipient's time zone; the
page answers the same, after the same work, whether or not the account exists; asks are limited per
email and per address; a broker that is down is said kindly, the same for every address, and is not
counted against the limits."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.alliance.exports.test_broker_back import broker_down
from tests.helpers import page_text, visible_text

TASK = "patients.tasks.password_reset_send"


def _emails(folder: Path) -> list[str]:
    return [path.read_text() for path in sorted(folder.glob("*.log")) if path.stat().st_size]


def _ask(client, email, address="10.0.0.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_reset_email_in_the_recipients_time_zone(client, cast, celery_workers, tmp_path):
    alice = cast.alice.user
    alice.timezone = "America/New_York"
    alice.set_password("alice-has-a-long-password")
    alice.save()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    celery_workers.start_worker(
        DJANGO_SETTINGS_MODULE="tests.patients.file_mail_settings", ALLIANCE_EMAIL_DIR=str(outbox)
    )
    with celery_workers.default_queue():
        known = _ask(client, "Alice@Example.org")
        unknown = _ask(client, "nobody@example.org")
    celery_workers.wait_until_settled()
    assert [call[0] for call in celery_workers.sent_calls] == [TASK, TASK], "both asks went to the worker"
    emails = _emails(outbox)
    assert len(emails) == 1, "only the account that exists gets an email"
    body = emails[0]
    assert "To: alice@example.org" in body
    assert re.search(r"http://\S+/accounts/reset/[\w-]+/[\w-]+/", body)
    assert "(New York time)" in body, "the expiry is given in her own zone, and named"
    # Same answer either way: the same redirect, and the same page after it.
    assert (
        (known.status_code, known["Location"])
        == (unknown.status_code, unknown["Location"])
        == (
            302,
            reverse("password_reset_done"),
        )
    )
    assert page_text(client.get(known["Location"])) == page_text(client.get(unknown["Location"]))


@pytest.mark.django_db(transaction=True)
def test_asks_are_limited_per_email_and_per_address_and_the_answer_never_changes(client, cast, celery_workers):
    with celery_workers.default_queue():
        same_email = [_ask(client, "alice@example.org", address=f"10.0.1.{n}") for n in range(5)]
        assert len(celery_workers.sent) == 3, "three a hour for one email, from anywhere"
        many_emails = [_ask(client, f"someone{n}@example.org", address="10.0.2.1") for n in range(12)]
        assert len(celery_workers.sent) == 3 + 10, "ten an hour from one address, whatever the emails"
    answers = {(response.status_code, response["Location"]) for response in same_email + many_emails}
    assert answers == {(302, reverse("password_reset_done"))}


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_person_is_asked_kindly_to_try_again_and_can_once_it_is_back(
    client, cast, celery_workers, monkeypatch
):
    """Not lost silently: the page says the email could not be sent, in the same words whether or not
    the account exists, keeps the address, and does not count the ask against the limits."""
    with celery_workers.default_queue():
        with broker_down(monkeypatch):
            answers = {
                email: [_ask(client, email) for _ in range(4)] for email in ("alice@example.org", "no@example.org")
            }
        assert celery_workers.sent == [], "nothing reached the broker"
        for email, responses in answers.items():
            for response in responses:
                assert response.status_code == 503 and response["Retry-After"] == "120"
                assert "please try again in a few minutes" in visible_text(response)
                assert f'value="{email}"' in response.content.decode(), "the address is kept"
        texts = {visible_text(answers[email][0]) for email in answers}
        assert len(texts) == 1, "the same page whether or not the account exists"

        # The broker is back: asking again goes to the worker, though she already asked four times (limit 3).
        again = _ask(client, "alice@example.org")
        assert (again.status_code, again["Location"]) == (302, reverse("password_reset_done"))
        assert [call[0] for call in celery_workers.sent_calls] == [TASK]


@pytest.mark.django_db
def test_the_request_looks_up_no_account(client, cast, unreachable_broker):
    """The web request counts the ask and hands it on; it never reads the user table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _ask(client, "alice@example.org")
    assert not [query for query in queries.captured_queries if "patients_user" in query["sql"]]

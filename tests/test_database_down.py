"""While PostgreSQL cannot be reached, every page answers 503 with a kind page and ``Retry-After``.

The database really is unreachable here: the test's connection settings are pointed at a closed
port and the open connection is closed, so every query through the real stack (session, user,
view, session save) fails to connect, as it does when the server is stopped. Nothing of ours is
replaced. The figure for the report: ``pytest tests/test_database_down.py -s``.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.urls import reverse

from tests.conftest import ROLES, make_cast
from tests.helpers import Client
from tests.test_permissions import ROWS

KIND_WORDS = "Alliance is taking a short break"


@contextmanager
def database_stopped():
    """Every new connection is refused (a closed port) until the block ends."""
    real = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "OPTIONS")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1", OPTIONS={**real["OPTIONS"], "connect_timeout": 2})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(real)


def _clients(cast) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        # What a browser sees: the test client's habit of re-raising a view's error is turned off.
        client = Client(raise_request_exception=False)
        if (user := cast.user(role)) is not None:
            client.force_login(user)
        clients[role] = client
    return clients


@pytest.mark.django_db(transaction=True)
def test_with_the_database_stopped_every_signed_in_page_answers_503_never_500():
    cast = make_cast()
    clients = _clients(cast)
    requests = []
    for row in ROWS:
        with transaction.atomic():  # what a row makes is only needed for its URL
            requests.append((row, reverse(row.name, kwargs=row.kwargs(cast)) + row.query, row.data(cast)))
            transaction.set_rollback(True)

    answers: dict[str, list[tuple[str, int]]] = {role: [] for role in ROLES}
    unkind = []
    with database_stopped():
        for row, url, data in requests:
            for role, client in clients.items():
                response = getattr(client, row.method)(url, data)
                answers[role].append((f"{row.method.upper()} {url}", response.status_code))
                kind = response.get("Retry-After") == "30" and KIND_WORDS in response.content.decode()
                if response.status_code == 503 and row.name != "healthz" and not kind:
                    unkind.append(f"{row.method.upper()} {url} as {role}: 503 without the kind page")
    signed_in = [answer for role in ROLES if role != "anonymous" for answer in answers[role]]
    share = sum(status == 503 for _, status in signed_in) / len(signed_in)
    print(  # the figure for the report
        f"\ndatabase stopped: share of 503s over {len(ROWS)} matrix URLs x {len(ROLES) - 1} signed-in roles "
        f"= {share:.0%} ({len(signed_in)} requests)"
    )
    errors = [f"{what} as {role}: 500" for role in ROLES for what, status in answers[role] if status == 500]
    assert not errors, "\n".join(errors)
    assert not unkind, "\n".join(unkind)
    assert share == 1.0, [f"{what}: {status}" for what, status in signed_in if status != 503]
    # A visitor who is not signed in is sent to sign in without the database; the sign-in page itself is kind.
    assert {status for _, status in answers["anonymous"]} <= {200, 302, 503}


@pytest.mark.django_db(transaction=True)
def test_signing_in_while_the_database_is_stopped_gets_the_kind_page():
    make_cast()
    client = Client(raise_request_exception=False)
    with database_stopped():
        response = client.post(reverse("login"), {"username": "alice@example.org", "password": "whatever-it-is"})
        health = client.get(reverse("healthz"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert KIND_WORDS in response.content.decode()
    assert health.status_code == 503 and health.json()["database"] == "error"


@pytest.mark.django_db(transaction=True)
def test_pages_work_again_once_the_database_is_back():
    cast = make_cast()
    client = Client(raise_request_exception=False)
    client.force_login(cast.alice.user)
    with database_stopped():
        assert client.get(reverse("alliance:home")).status_code == 503
    assert client.get(reverse("alliance:home")).status_code == 200, "still signed in: the session was left alone"

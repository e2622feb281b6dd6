"""``GET /healthz``: what a load balancer probes. It says which part is down, and nothing else."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_is_not_cached(client):
    response = client.get("/healthz")
    directives = {directive.strip() for directive in response["Cache-Control"].split(",")}
    # A probe must see the answer of now: no cache on the way may keep it or hand out an old one.
    assert {"no-store", "no-cache", "max-age=0"} <= directives


def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(client, unreachable_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}
    # The address, the exception and the stack stay in the server's log.
    body = response.content.decode()
    assert "127.0.0.1" not in body
    assert "redis" not in body.lower()
    assert "Error" not in body


def test_healthz_is_served_over_plain_http_when_https_is_enforced(client, settings):
    # Load balancers probe inside the network without TLS; everything else is redirected.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301

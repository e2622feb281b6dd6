"""Every ``next``-style value from the request goes through one check (``patients.redirects``): a value
that is not a local path sends the person to a sensible page of ours, and what they sent is saved once."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from patients.redirects import safe_local_url
from sessions.models import PracticeLog
from tests.care_sessions.helpers import plan_for

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-private-password"
BAD_NEXT = {
    "word": "abc",
    "number": "-1",
    "quote": "'",
    "double quote": '"',
    "protocol-relative": "//evil.example",
    "another site": "https://evil.example/",
    "javascript": "javascript:alert(1)",
    "backslashes": "\\\\evil",
    "slash backslash": "/\\evil.example",
    "very long": "/" + "a" * 5000,
    "unicode": "ünïcødé 🌱",
    "control character": "/\x00home",
    "spaces only": "   ",
}


def _is_local(location: str) -> bool:
    return location.startswith("/") and not location.startswith("//") and "evil" not in location


@pytest.mark.parametrize("value", BAD_NEXT.values(), ids=BAD_NEXT.keys())
def test_practice_log_with_a_bad_next_is_saved_once_and_goes_home(client, cast, value):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    url = reverse("care_sessions:practice-log", kwargs={"pk": walk.pk})
    response = client.post(url, {"outcome": "done", "note": "", "next": value, "form_token": "t1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("alliance:home")
    assert PracticeLog.objects.count() == 1
    again = client.get(url + "?next=" + value[:500])
    assert again.status_code == 200, "the page that carries the value also stays up"


def test_practice_log_keeps_a_good_local_next(client, cast):
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    back = reverse("care_sessions:plan", kwargs={"pk": cast.alice.pk}) + "#today"
    response = client.post(
        reverse("care_sessions:practice-log", kwargs={"pk": walk.pk}), {"outcome": "done", "note": "", "next": back}
    )
    assert response["Location"] == back


@pytest.mark.parametrize("value", BAD_NEXT.values(), ids=BAD_NEXT.keys())
def test_signing_in_with_a_bad_next_goes_home(client, cast, value):
    user = cast.alice.user
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD, "next": value})
    assert response.status_code == 302
    assert response["Location"] == reverse("alliance:home")


@pytest.mark.parametrize("value", BAD_NEXT.values(), ids=BAD_NEXT.keys())
def test_signing_out_with_a_bad_next_goes_to_sign_in(client, cast, value):
    client.force_login(cast.alice.user)
    response = client.post(reverse("logout"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize("value", BAD_NEXT.values(), ids=BAD_NEXT.keys())
def test_a_form_sent_twice_with_a_bad_referer_goes_somewhere_safe(client, cast, value):
    """The second send of a form is sent back where the first went, or to the Referer: only if it is ours."""
    walk = plan_for(cast).items.get()
    client.force_login(cast.alice.user)
    url = reverse("care_sessions:practice-log", kwargs={"pk": walk.pk})
    data = {"outcome": "done", "note": "", "next": value, "form_token": "same-token"}
    first = client.post(url, data)
    second = client.post(url, data, headers={"Referer": value})
    assert second.status_code == 302 and _is_local(second["Location"])
    assert second["Location"] == first["Location"]
    assert PracticeLog.objects.count() == 1


@pytest.mark.parametrize("value", BAD_NEXT.values(), ids=BAD_NEXT.keys())
def test_the_helper_refuses_what_is_not_a_local_path(value):
    assert safe_local_url(RequestFactory().get("/"), value) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/sessions/3/?tab=agenda#item-4", "/sessions/3/?tab=agenda#item-4"),
        ("http://testserver/progress/", "/progress/"),
        ("  /checkin/ ", "/checkin/"),
    ],
)
def test_the_helper_keeps_local_paths(value, expected):
    assert safe_local_url(RequestFactory().get("/"), value) == expected

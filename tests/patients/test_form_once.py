"""A form sent twice stores once: double taps, Back and Send, and several requests at the same moment.

Every POST form carries a one-time ``form_token``; ``FormOnceMiddleware`` keeps the token in the same
transaction as whatever the page saves, so a second request with it changes nothing and is told so.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, CheckIn, Win
from patients.middleware import ALREADY_SENT
from patients.models import FormSubmission
from sessions.models import AgendaItem, CareSession
from tests.conftest import make_cast
from tests.helpers import Client
from tests.test_permissions import ROLES, ROWS

ALLIANCE = {"alliance-relationship": "2", "alliance-goals": "2", "alliance-approach": "2", "alliance-overall": "2"}


def _token(page) -> str:
    text = page.content.decode()
    marker = 'name="form_token" value="'
    assert marker in text, "every POST form carries a form_token"
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


@pytest.mark.django_db
def test_adding_a_win_twice_with_the_same_form_stores_one_and_says_so_kindly(client, cast):
    client.force_login(cast.alice.user)
    url = reverse("alliance:record-win-new", args=[cast.alice.pk])
    data = {"text": "I walked to the shop and back", "form_token": _token(client.get(url))}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"], "the repeat goes where the first one went"
    assert Win.objects.filter(patient=cast.alice).count() == 1
    assert ALREADY_SENT in [str(m) for m in get_messages(second.wsgi_request)]


@pytest.mark.django_db
def test_a_form_with_a_mistake_can_be_corrected_and_sent_with_the_same_token(client, cast):
    client.force_login(cast.alice.user)
    url = reverse("alliance:record-win-new", args=[cast.alice.pk])
    token = _token(client.get(url))
    refused = client.post(url, {"text": "   ", "form_token": token})
    assert refused.status_code == 400 and not FormSubmission.objects.exists(), "nothing kept for a refused form"
    corrected = client.post(url, {"text": "Slept through the night", "form_token": token})
    assert corrected.status_code == 302
    assert list(Win.objects.values_list("text", flat=True)) == ["Slept through the night"]


@pytest.mark.django_db
def test_a_new_rendering_of_the_form_is_a_new_submission(client, cast):
    client.force_login(cast.alice.user)
    url = reverse("alliance:record-win-new", args=[cast.alice.pk])
    for text in ("First win", "Second win"):
        assert client.post(url, {"text": text, "form_token": _token(client.get(url))}).status_code == 302
    assert Win.objects.filter(patient=cast.alice).count() == 2


@pytest.mark.django_db(transaction=True)
def test_three_check_ins_sent_at_the_same_moment_and_one_more_later_store_one():
    """The example from the field: no appointment booked, a double tap on a slow phone, then Back and Send."""
    cast = make_cast()
    CareSession.objects.filter(patient=cast.alice).delete()
    first_client = Client()
    first_client.force_login(cast.alice.user)
    data = {
        **ALLIANCE,
        "note": "My sleep is worse",
        "form_token": _token(first_client.get(reverse("alliance:checkin"))),
    }
    cookies = first_client.cookies
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def send() -> None:
        client = Client()
        client.cookies = cookies
        barrier.wait()
        try:
            statuses.append(client.post(reverse("alliance:checkin"), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses.append(first_client.post(reverse("alliance:checkin"), data).status_code)
    assert statuses == [302, 302, 302, 302]
    assert CheckIn.objects.filter(patient=cast.alice).count() == 1
    assert AgendaItem.objects.filter(patient=cast.alice, text="My sleep is worse").count() == 1
    checkin = CheckIn.objects.get(patient=cast.alice)
    assert (
        Alert.objects.filter(patient=cast.alice).count()
        == Alert.objects.filter(response=checkin.alliance_response).count()
        > 0
    )


# --- every form on every page ----------------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms on a page with what a person would send: hidden values, a choice in each group,
    the first option of each list, and a few words in each empty text box."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "data": {}, "password": False}
            self.forms.append(self._form)
            return
        if self._form is not None and tag == "option" and self._select and a.get("value"):
            if "selected" in a or self._select not in self._form["data"]:
                self._form["data"][self._select] = a["value"]
            return
        if self._form is None or not a.get("name") or a.get("name") == "csrfmiddlewaretoken":
            return
        name, data = a["name"], self._form["data"]
        kind = (a.get("type") or "text").lower()
        if tag == "input":
            # Sign-in secrets (a password, a one-time code) are not something this walk can fill in.
            if kind == "password" or a.get("autocomplete") == "one-time-code":
                self._form["password"] = True
            elif kind == "radio":
                data.setdefault(name, a.get("value", ""))
            elif kind == "checkbox":
                if "checked" in a:
                    data[name] = a.get("value", "on")
            elif kind == "date":
                data[name] = a.get("value") or f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}"
            elif kind == "time":
                data[name] = a.get("value") or "10:30"
            elif kind == "datetime-local":
                data[name] = a.get("value") or f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}T10:30"
            elif kind == "number":
                data[name] = a.get("value") or "5"
            elif kind == "email":
                data[name] = a.get("value") or "new.person@example.org"
            else:
                data[name] = a.get("value") or ("" if kind == "hidden" else "A few words about it")
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            data[name] = ""

    def handle_data(self, text):
        if self._form is not None and self._textarea:
            self._form["data"][self._textarea] += text

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._form is not None:
            if not self._form["data"][self._textarea].strip():
                self._form["data"][self._textarea] = "A few words about it"
            self._textarea = None


def _row_counts() -> dict[str, int]:
    skip = {FormSubmission, apps.get_model("patients", "LoginSession"), apps.get_model("alliance", "RecordVisit")}
    return {
        model._meta.label: model.objects.count()
        for label in ("patients", "care_sessions", "alliance")
        for model in apps.get_app_config(label).get_models()
        if model not in skip and model._meta.managed
    }


def _people_for(row) -> list[str]:
    return [role for role in ROLES if role != "anonymous" and row.expect[role] == 200]


GET_ROWS = [row for row in ROWS if row.method == "get" and _people_for(row)]
# Forms that create something and must be shown to go through once and only once by this walk.
CREATING = {
    "/checkin/",
    "record/questions/new/",
    "record/goals/new/",
    "record/journal/wins/new/",
    "record/journal/setbacks/new/",
    "record/story/new/",
    "record/notes/new/",
    "record/explanations/new/",
    "record/decisions/new/",
    "/agenda/",
    "/sessions/new/",
    "/clinic/people/invite/",
    "/clinic/access-requests/new/",
    "/decide/",
    "/my-data/who-looked/",
}


def _send_every_form_twice(client, row) -> set[str]:
    """For each person who may open ``row``'s page: send each POST form on it, then the same again."""
    went_through = set()
    cast = make_cast()
    url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
    for role in _people_for(row):
        client.force_login(cast.user(role))
        page = client.get(url)
        if not page.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for form in parser.forms:
            action = form["action"] or url
            if form["password"] or action.startswith(reverse("logout")):
                continue
            assert form["data"].get("form_token"), f"the form posting to {action} on {url} has no form_token"
            first = client.post(action, form["data"])
            assert first.status_code < 500, f"POST {action} as {role}"
            if not 300 <= first.status_code < 400:
                continue
            went_through.add(action)
            before = _row_counts()
            again = client.post(action, form["data"])
            assert again.status_code == 302, f"a second POST to {action} as {role}"
            assert _row_counts() == before, f"a second POST to {action} as {role} stored something"
            assert ALREADY_SENT in [str(m) for m in get_messages(again.wsgi_request)]
        client.logout()
    return went_through


@pytest.mark.django_db
def test_every_form_on_every_page_sent_twice_stores_once(client):
    went_through: set[str] = set()
    for row in GET_ROWS:
        # Each page starts from the same cast: what one page's forms saved is rolled back before the next.
        with transaction.atomic():
            went_through |= _send_every_form_twice(client, row)
            transaction.set_rollback(True)
    missing = sorted(path for path in CREATING if not any(path in action for action in went_through))
    assert not missing, f"the walk never got these creating forms through once: {missing}"


@pytest.mark.django_db
def test_tokens_older_than_a_week_are_forgotten(cast):
    from patients.services import form_submissions_clear_old

    old = FormSubmission.objects.create(
        token="old", user=cast.alice.user, path="/", created_at=timezone.now() - timedelta(days=8)
    )
    recent = FormSubmission.objects.create(token="recent", user=cast.alice.user, path="/")
    assert form_submissions_clear_old() == 1
    assert list(FormSubmission.objects.values_list("pk", flat=True)) == [recent.pk] != [old.pk]

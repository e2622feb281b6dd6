"""Every form on every page, submitted with hostile input by someone allowed to use it: never a 500.

The pages and who may open them come from the permission matrix. For each page a permitted person
opens, every POST form on it is sent with each hostile value in every field it has, and every page
is opened again with nonsense in the usual query parameters. The test client re-raises any server
error, so a crash anywhere fails the test with its traceback.
"""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.test_permissions import ROLES, ROWS

HOSTILE = [
    "",
    " ",
    "x" * 10_000,
    "<script>alert('x')</script>",
    '=HYPERLINK("http://evil.example","click")',
    "😀👍🏽 Zoë’s “quotes”",
    "-1",
    "99999999999999999999999",
    "1e309",
    "2026-02-30",
    "../../etc/passwd",
    "' OR 1=1 --",
]
QUERY_NOISE = (
    "?page=abc&page=-1&date_from=2026-13-45&date_to=yesterday&clinician=abc&instrument=99999999999"
    "&dataset=%00&format=exe&session=<b>&next=https://evil.example/"
)


class _Forms(HTMLParser):
    """The POST forms on a page: their action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._current)
        elif (
            tag in ("input", "textarea", "select")
            and self._current is not None
            and attrs.get("name") not in (None, "csrfmiddlewaretoken")
        ):
            self._current["fields"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _allowed_role(row) -> str | None:
    for role in ROLES:
        if role != "anonymous" and row.expect[role] == 200:
            return role
    return None


GET_ROWS = [row for row in ROWS if row.method == "get" and _allowed_role(row)]


@pytest.mark.django_db
@pytest.mark.parametrize("row", GET_ROWS, ids=[row.name for row in GET_ROWS])
def test_every_form_survives_hostile_input(signed_in, row):
    cast = copy.deepcopy(signed_in.cast)
    client = signed_in.client(_allowed_role(row))
    url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
    page = client.get(url)
    assert page.status_code == 200
    if page.get("Content-Type", "").startswith("text/html"):
        parser = _Forms()
        parser.feed(page.content.decode())
        for form in parser.forms:
            action = form["action"] or url
            if action.startswith(("/accounts/logout", reverse("logout"))):
                continue
            for value in HOSTILE:
                data = dict.fromkeys(form["fields"], value)
                response = client.post(action, data)
                assert response.status_code < 500, f"POST {action} with {value[:30]!r}"
    noisy = client.get(url.split("?")[0] + QUERY_NOISE)
    assert noisy.status_code < 500

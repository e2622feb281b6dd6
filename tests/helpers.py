import html
import time
from base64 import b32encode
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

import django.test
import pyotp
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.selectors import second_factor_is_mandatory

# --- signing in with the second factor ------------------------------------------------------------


def totp_device_for(user) -> TOTPDevice:
    """The person's confirmed authenticator app, set up now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").last()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the person's app shows now, as pyotp (any authenticator app) works it out from the
    secret. A code for a time step already used is refused (no replays), so after a sign-in in this
    same step it is the next step's code, which the device accepts too (``tolerance``), waiting for
    the clock only when even that was used."""
    device.refresh_from_db()
    current = int(time.time() - device.t0) // device.step + device.drift
    target = max(current, device.last_t + 1)
    if target > current + device.tolerance:
        time.sleep(max(0.0, device.t0 + (target - device.tolerance - device.drift) * device.step - time.time()) + 0.05)
    return pyotp.TOTP(b32encode(device.bin_key).decode(), interval=device.step).at(device.t0 + target * device.step)


class Client(django.test.Client):
    """Django's test client, whose ``force_login`` also gives clinicians, clinic admins and superusers
    their second factor, as the code page does after a right code: ``django_otp.login`` with a real,
    confirmed authenticator-app device, on a request carrying this client's session. Nothing in the
    product is bypassed: a client that only signs in with a password still meets the code page."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if second_factor_is_mandatory(user=user):
            request = HttpRequest()
            request.session = self.session
            request.user = user
            otp_login(request, totp_device_for(user))
            request.session.save()


def page_text(response) -> str:
    """The response body with HTML entities turned back into characters, for reading copy."""
    return html.unescape(response.content.decode())


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(response) -> str:
    """Only the words a person would read on the page: no tags, attributes, class names or scripts."""
    parser = _TextOnly()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


# --- messages next to their field ---------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: "_Element | None" = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[_Element | str] = []

    def text(self) -> str:
        parts = [child if isinstance(child, str) else child.text() for child in self.children]
        return " ".join(" ".join(parts).split())


class _Tree(HTMLParser):
    """Just enough of a DOM to follow ``aria-describedby`` from a field to its messages."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Element("#document", {})
        self.by_id: dict[str, _Element] = {}
        self.fields: dict[str, list[_Element]] = {}
        self._open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, {key: value or "" for key, value in attrs}, self._open[-1])
        self._open[-1].children.append(element)
        if "id" in element.attrs:
            self.by_id[element.attrs["id"]] = element
        if tag in ("input", "textarea", "select") and "name" in element.attrs:
            self.fields.setdefault(element.attrs["name"], []).append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._open.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data):
        self._open[-1].children.append(data)


def field_errors(response, name: str) -> list[str]:
    """The error messages the page ties to the field called ``name``, one string per message.

    A message counts only if it sits in an error element (``invalid-feedback``) that the field, or
    the fieldset around a group of radios, points at with ``aria-describedby``, as a screen reader
    follows it. A control that points at its message must also say it is invalid. A message printed
    anywhere else on the page is not next to its field, so it is not returned.
    """
    tree = _Tree()
    tree.feed(response.content.decode())
    fields = tree.fields.get(name)
    assert fields, f"the page has no field called {name!r}"
    messages: list[str] = []
    for field in fields:
        describers = [field]
        ancestor = field.parent
        while ancestor is not None:
            if ancestor.tag == "fieldset":
                describers.append(ancestor)
            ancestor = ancestor.parent
        for describer in describers:
            for described_by in describer.attrs.get("aria-describedby", "").split():
                element = tree.by_id.get(described_by)
                if element is None or "invalid-feedback" not in element.attrs.get("class", "").split():
                    continue
                if describer is field:
                    assert field.attrs.get("aria-invalid") == "true", (
                        f"{name!r} has a message but is not marked invalid"
                    )
                paragraphs = [child for child in element.children if isinstance(child, _Element)]
                found = [child.text() for child in paragraphs] if paragraphs else [element.text()]
                messages.extend(message for message in found if message not in messages)
    return messages


# --- query counts --------------------------------------------------------------------------------

# (who opens the page, or None for anonymous; its URL; the most queries it may take)
Visit = tuple[object, str, int]


def _count_queries(visits: Iterable[Visit]) -> dict[str, tuple[int, int, list[str]]]:
    counts = {}
    for user, url, most in visits:
        client = Client()
        if user is not None:
            client.force_login(user)
        # The first visit may record itself (a "last seen" mark) or warm a cache: count the next one.
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        label = f"{getattr(user, 'email', 'anonymous')} {url}"
        counts[label] = (len(queries), most, [query["sql"] for query in queries.captured_queries])
    return counts


def query_counts_at_1_and_50(add: Callable[[int], object], visits: Callable[[], Iterable[Visit]]) -> dict[str, int]:
    """Pin pages' query counts: the same with 1 row as with 50, and within each page's budget.

    ``add(n)`` adds ``n`` more rows of what the pages list (it is called with 1, then with 49);
    ``visits()`` gives the pages to count as (user, URL, most queries), each opened by its own
    signed-in client. An N+1 query makes the two counts differ, and the failure shows the queries
    the 50 rows added. Returns each page's count, keyed by "email URL".
    """
    add(1)
    at_one = _count_queries(visits())
    add(49)
    at_fifty = _count_queries(visits())
    problems = []
    for label, (count, most, sql) in at_fifty.items():
        before, _, sql_before = at_one[label]
        if count != before:
            added = [query for query in sql if query not in sql_before] or sql
            problems.append(f"{label}: {before} queries with 1 row, {count} with 50, e.g.\n  " + "\n  ".join(added[:5]))
        elif count > most:
            problems.append(f"{label}: {count} queries, over its budget of {most}:\n  " + "\n  ".join(sql))
    assert not problems, "\n".join(problems)
    return {label: count for label, (count, _, _) in at_fifty.items()}

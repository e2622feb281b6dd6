"""Real Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django would refuse ORM calls made
from the test itself (creating the cast, reading what the live server wrote). The live server is a
plain thread of this same process, which is why this is safe here and set nowhere else.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import Cast, make_cast
from tests.helpers import totp_device_for

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The narrowest phone we design for; every journey runs at this width.
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium: ``playwright install`` cannot download browsers here."""
    if not CHROMIUM.exists():
        message = f"The browser tests need Chromium at {CHROMIUM}. Install it with: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI must run the browser tests, so this is a failure, not a skip)")
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are opened by path (``page.goto("/accounts/login/")``) on the live server."""
    return live_server.url


@pytest.fixture(autouse=True)
def site_url(settings, live_server) -> str:
    """Emails link to ``SITE_URL``, the public address: here, the live server."""
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": PHONE,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@pytest.fixture
def open_page(new_context):
    """``open_page()`` gives a page in a fresh browser context (its own cookies: a separate person),
    375 px wide unless ``viewport`` says otherwise.

    The test also fails if the browser reported a script error, a Content-Security-Policy refusal or
    a missing stylesheet, script or image on any page it opened.
    """
    problems: list[str] = []

    def _open(*, viewport: dict | None = None):
        page = new_context().new_page()
        if viewport is not None:
            page.set_viewport_size(viewport)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: _console(message, problems))
        page.on("response", lambda response: _response(response, problems))
        return page

    yield _open
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


def _console(message, problems: list[str]) -> None:
    # A page answered with 4xx on purpose (the lockout's 429, a used link's 410) logs "Failed to
    # load resource"; broken sub-resources are caught by status in _response instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console: {message.text}")


def _response(response, problems: list[str]) -> None:
    # Chromium asks for /favicon.ico on its own; the app has no icon yet, which no page refers to.
    if response.url.endswith("/favicon.ico"):
        return
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} for {response.request.resource_type} {response.url}")


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def cast(transactional_db) -> Cast:
    """The named cast, committed, so the live server's thread can see it. Its clinicians and admins
    have an authenticator app each, so they sign in with a code as every staff member does."""
    cast = make_cast()
    for name in ("bob", "carol", "dave", "erin", "heidi"):
        totp_device_for(cast.user(name))
    return cast

"""What every browser test does on every page: check it with axe and at the width it was opened at."""

import hashlib
import re

import pyotp
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.helpers import totp_code

_axe = Axe()
# Sub-pixel rounding can make scrollWidth one pixel wider than the viewport without a scrollbar.
SCROLL_TOLERANCE_PX = 1


def describe_violations(violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(str(t) for t in node['target'])}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


# Pages axe has already passed, by what it looked at: the document (less its CSRF tokens, which
# differ on every load) and the viewport. The same page at the same size gives axe the same input,
# and so the same answer; the sign-in page alone is met dozens of times in a run.
_PASSED: set[str] = set()
_CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=)"[^"]*"')


def _fingerprint(page: Page) -> str:
    document = _CSRF_TOKEN.sub(r"\1", page.content())
    return hashlib.sha256(f"{page.viewport_size}\n{document}".encode()).hexdigest()


def assert_accessible(page: Page) -> None:
    """No axe-core violations, and no sideways scrolling at the page's own viewport width."""
    page.wait_for_load_state("load")
    fingerprint = _fingerprint(page)
    if fingerprint not in _PASSED:
        violations = _axe.run(page).response["violations"]
        assert not violations, f"{page.url}\n{describe_violations(violations)}"
        _PASSED.add(fingerprint)

    viewport_width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport_width + SCROLL_TOLERANCE_PX, (
        f"{page.url} scrolls sideways at {viewport_width} px: the page is {scroll_width} px wide"
    )


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, then give the second step if asked, checking each page on the way.

    The code is typed as a person would read it from their authenticator app: worked out from the
    secret of their device (pyotp). Someone with no factor yet sets up an app from the key the page shows.
    """
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert_accessible(page)
    if page.get_by_role("heading", name="One more step").count():
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        page.get_by_label("Code").fill(totp_code(device))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state("load")
        assert_accessible(page)
    elif page.get_by_role("heading", name="Set up your second step").count():
        set_up_an_authenticator_app(page)


def set_up_an_authenticator_app(page: Page) -> str:
    """On the set-up page: type the code for the key shown as text, keep the recovery codes, go on.
    Returns the secret."""
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="I've kept them safe, continue").click()
    page.wait_for_load_state("load")
    assert_accessible(page)
    return secret


def expect_signed_out(page: Page) -> None:
    """Home is for signed-in people only, so anyone else ends up on the sign-in page."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Alliance")).to_be_visible()
    assert_accessible(page)

"""What every browser test does on every page: check it with axe and at the width it was opened at."""

import hashlib
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

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
    """Sign in through the real form, then check the page that follows."""
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert_accessible(page)


def expect_signed_out(page: Page) -> None:
    """Home is for signed-in people only, so anyone else ends up on the sign-in page."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Alliance")).to_be_visible()
    assert_accessible(page)

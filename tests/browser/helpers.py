"""What every browser test does on every page: check it with axe and at the width it was opened at."""

import hashlib
import re
import weakref
from collections.abc import Callable

import pyotp
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import CDPSession, Page, expect

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
    """No axe-core violations, and no sideways scrolling at the page's own viewport width; and, once
    for each page seen, the comfort checks of ``assert_comfortable`` (320 px, 200 % text, forced colours)."""
    page.wait_for_load_state("load")
    fingerprint = _fingerprint(page)
    if fingerprint not in _PASSED:
        violations = _axe.run(page).response["violations"]
        assert not violations, f"{page.url}\n{describe_violations(violations)}"
        assert_comfortable(page)
        _PASSED.add(fingerprint)

    viewport_width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport_width + SCROLL_TOLERANCE_PX, (
        f"{page.url} scrolls sideways at {viewport_width} px: the page is {scroll_width} px wide"
    )


# The narrowest width a page must reflow to without sideways scrolling (WCAG 2.2, 1.4.10).
REFLOW_WIDTH_PX = 320

# Text at 200 % at the page's own width: the root font size doubles (every rem doubles with it, as with
# a browser's text-size setting), the page is measured, and the size is put back, all in one call. A
# style attribute set through the CSSOM is not an inline style sheet, so the CSP allows it.
_AT_200_PERCENT_TEXT = """() => {
  const root = document.documentElement;
  const before = root.style.fontSize;
  root.style.fontSize = "200%";
  try {
    const heading = document.querySelector("h1");
    const box = heading ? heading.getBoundingClientRect() : null;
    return {
      scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
      heading: box && {text: heading.textContent.trim(), left: box.left + scrollX, right: box.right + scrollX,
                       top: box.top + scrollY, width: box.width, height: box.height,
                       visibility: getComputedStyle(heading).visibility},
    };
  } finally { root.style.fontSize = before; }
}"""

_WIDTHS = "() => ({scrollWidth: document.documentElement.scrollWidth, clientWidth: innerWidth})"

# In forced colours: the focus ring of the element given focus-visible (through the DevTools protocol, so
# the page's real focus, and where the next Tab goes, are untouched); the chosen rating button against an
# unchosen one (a radio nobody has chosen is chosen for the measurement and then let go); and the ink of
# every chart, which must be a system colour so it keeps the contrast the person chose.
_FORCED_COLOURS = """([focusSelector, ratingSelector]) => {
  const shape = (el) => {
    const s = getComputedStyle(el);
    return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
            border: s.borderTopStyle + " " + s.borderTopWidth, decoration: s.textDecorationLine};
  };
  const result = {focus: null, ratingFocus: null, chosen: null, unchosen: null, charts: []};
  const focused = focusSelector && document.querySelector(focusSelector);
  if (focused) result.focus = {what: focused.outerHTML.slice(0, 120), ...shape(focused)};
  const ratingInput = document.querySelector(ratingSelector);
  if (ratingInput && ratingInput.labels.length) result.ratingFocus = shape(ratingInput.labels[0]);
  // The radio with the forced focus ring is left out, so its ring is not taken for the chosen state.
  const radios = [...document.querySelectorAll(ratingSelector)].filter((r) => r !== ratingInput && r.labels.length);
  let chosen = radios.find((r) => r.checked);
  let letGo = null;
  if (!chosen) {
    chosen = radios.find((r) => !document.querySelector(`input[type=radio][name="${CSS.escape(r.name)}"]:checked`));
    if (chosen) { chosen.checked = true; letGo = chosen; }
  }
  if (chosen) {
    const other = radios.find((r) => r.name === chosen.name && !r.checked);
    result.chosen = shape(chosen.labels[0]);
    if (other) result.unchosen = shape(other.labels[0]);
  }
  if (letGo) letGo.checked = false;
  const probe = document.createElement("span");
  document.body.append(probe);
  const system = new Set(["CanvasText", "GrayText", "LinkText"].map((name) => {
    probe.style.color = name; return getComputedStyle(probe).color;
  }));
  probe.remove();
  for (const chart of document.querySelectorAll("svg.chart")) {
    const ink = [];
    for (const el of chart.querySelectorAll("polyline, line")) ink.push(getComputedStyle(el).stroke);
    for (const el of chart.querySelectorAll("text, rect, circle, polygon")) ink.push(getComputedStyle(el).fill);
    const notSystem = ink.filter((colour) => !system.has(colour));
    result.charts.push({id: chart.querySelector("title")?.textContent, notSystem});
  }
  return result;
}"""

# What is given focus-visible for the forced-colours check: the first link, button or field in the page's
# main content, and the first rating button (a radio whose label is the button) if the page has one.
_FOCUS_TARGET = "main a[href], main button, main input:not([type=hidden]):not(.btn-check), main textarea"
_RATING = "input.btn-check[type=radio]"


# One DevTools session per page, kept open: detaching a session makes Chromium turn off what other sessions
# set up on the page too, such as a test's virtual passkey authenticator.
_SESSIONS: weakref.WeakKeyDictionary[Page, CDPSession] = weakref.WeakKeyDictionary()


def _force_focus(page: Page, selectors: list[str]) -> Callable[[], None]:
    """Give the first element matching each selector :focus and :focus-visible, as DevTools does, without
    moving the page's focus. Returns the function that takes them away again."""
    cdp = _SESSIONS.get(page)
    if cdp is None:
        cdp = _SESSIONS[page] = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = [cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"] for selector in selectors]
    for node in nodes:
        if node:
            cdp.send("CSS.forcePseudoState", {"nodeId": node, "forcedPseudoClasses": ["focus", "focus-visible"]})

    def release() -> None:
        for node in nodes:
            if node:
                cdp.send("CSS.forcePseudoState", {"nodeId": node, "forcedPseudoClasses": []})

    return release


def assert_comfortable(page: Page) -> None:
    """The page reflows at 320 px with no sideways scrolling, keeps its main heading in view with no
    sideways scrolling at 200 % text (at its own width), and stays readable in forced colours: a visible
    focus ring (on a link and on a rating button), a chosen rating button told apart by its shape (border,
    outline or underline, not colour alone), and charts drawn in system colours.

    Costs one resize to 320 px and back, a forced-colours restyle and back, three evaluate calls and a few
    DevTools-protocol messages; ``assert_accessible`` runs it once for each page it has not seen.
    """
    url = page.url
    text = page.evaluate(_AT_200_PERCENT_TEXT)
    assert text["scrollWidth"] <= text["clientWidth"] + SCROLL_TOLERANCE_PX, (
        f"{url} scrolls sideways at 200 % text: the page is {text['scrollWidth']} px wide in {text['clientWidth']} px"
    )
    heading = text["heading"]
    assert heading is not None, f"{url} has no main heading (h1)"
    assert heading["width"] > 0 and heading["height"] > 0 and heading["visibility"] == "visible", (
        f"{url}: the heading {heading['text']!r} is not shown at 200 % text"
    )
    assert heading["left"] >= -SCROLL_TOLERANCE_PX and heading["right"] <= text["clientWidth"] + SCROLL_TOLERANCE_PX, (
        f"{url}: the heading {heading['text']!r} runs off the side of the page at 200 % text"
    )

    own_size = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH_PX, "height": own_size["height"]})
    try:
        narrow = page.evaluate(_WIDTHS)
    finally:
        page.set_viewport_size(own_size)
    assert narrow["clientWidth"] == REFLOW_WIDTH_PX, f"{url}: the viewport did not narrow to {REFLOW_WIDTH_PX} px"
    assert narrow["scrollWidth"] <= REFLOW_WIDTH_PX + SCROLL_TOLERANCE_PX, (
        f"{url} scrolls sideways at {REFLOW_WIDTH_PX} px: the page is {narrow['scrollWidth']} px wide"
    )

    page.emulate_media(forced_colors="active")
    release = _force_focus(page, [_FOCUS_TARGET, _RATING])
    try:
        forced = page.evaluate(_FORCED_COLOURS, [_FOCUS_TARGET, _RATING])
    finally:
        release()
        page.emulate_media(forced_colors="null")

    focus = forced["focus"]
    if focus is not None:
        assert focus["outlineStyle"] != "none" and focus["outlineWidth"] >= 2, (
            f"{url}: no focus ring in forced colours on {focus['what']}: {focus}"
        )
    if forced["ratingFocus"] is not None:
        ring = forced["ratingFocus"]
        assert ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 2, (
            f"{url}: a rating button shows no focus ring in forced colours: {ring}"
        )
    if forced["chosen"] is not None and forced["unchosen"] is not None:
        assert forced["chosen"] != forced["unchosen"], (
            f"{url}: in forced colours a chosen rating button looks like the others but for its colour: "
            f"{forced['chosen']} vs {forced['unchosen']}"
        )
    for chart in forced["charts"]:
        assert not chart["notSystem"], (
            f"{url}: the chart {chart['id']!r} keeps its own colours in forced colours: {chart['notSystem'][:3]}"
        )


def open_menu(page: Page, *, keyboard: bool = False) -> None:
    """Open "Menu" where the main navigation is folded into it (a narrow screen); elsewhere do nothing.
    The navigation is found by its name in the page's own language (``<html lang>``).

    With ``keyboard`` it is reached with Tab and opened with Enter, as a keyboard user would.
    """
    menu = page.locator("details.site-menu")
    summary = menu.locator("> summary")
    if not summary.is_visible() or menu.evaluate("el => el.open"):
        return
    if keyboard:
        for _ in range(20):
            if summary.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        expect(summary).to_be_focused()
        page.keyboard.press("Enter")
    else:
        summary.click()
    language = page.locator("html").get_attribute("lang") or "en-gb"
    expect(page.get_by_role("navigation", name=words_in_context(language)("navigation", "Main"))).to_be_visible()


def words_in(language: str) -> Callable[..., str]:
    """The words a page in ``language`` shows for an English string: ``words("Sign in")``, and with
    placeholders ``words("Hello, %(name)s", name="Alice")``. Journeys find things by these, so one
    journey runs in every language."""

    def words(text: str, **values) -> str:
        with translation.override(language):
            said = gettext(text)
        return said % values if values else said

    return words


def page_words(page: Page) -> Callable[..., str]:
    """``words_in`` the language the open page says it is in (``<html lang>``)."""
    return words_in(page.locator("html").get_attribute("lang") or "en-gb")


def words_in_context(language: str) -> Callable[..., str]:
    """As ``words_in``, for a string marked with a context: ``words("navigation", "Main")``."""

    def words(context: str, text: str, **values) -> str:
        with translation.override(language):
            said = pgettext(context, text)
        return said % values if values else said

    return words


_PLACEHOLDER = re.compile(r"%\(\w+\)s")
_TAG = re.compile(r"<[^>]+>")


def words_pattern(said: str) -> re.Pattern[str]:
    """The page's text for words still holding placeholders (``words(msgid)`` given no values), as a
    pattern: each placeholder matches any words, and markup is dropped, as a page's text has none."""
    return re.compile(".+?".join(re.escape(part) for part in _PLACEHOLDER.split(_TAG.sub("", said))))


def inside(said: str, tag: str) -> str:
    """The words inside the first ``<tag>`` of translated words with markup: a link's name in a
    sentence, a phrase in bold. Placeholders are kept, for ``%`` or ``words_pattern``."""
    found = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", said, re.DOTALL)
    assert found, f"no <{tag}> in {said!r}"
    return found.group(1)


def expect_language(page: Page, language: str) -> None:
    """The open page says it is in ``language`` (``<html lang>``), as a screen reader is told."""
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, then give the second step if asked, checking each page on the way.

    The code is typed as a person would read it from their authenticator app: worked out from the
    secret of their device (pyotp). Someone with no factor yet sets up an app from the key the page shows.
    """
    page.goto("/accounts/login/")
    assert_accessible(page)
    words = page_words(page)
    page.get_by_label(words("Email address")).fill(email)
    page.get_by_label(words("Password")).fill(password)
    page.get_by_role("button", name=words("Sign in")).click()
    page.wait_for_load_state("load")
    assert_accessible(page)
    words = page_words(page)
    if page.get_by_role("heading", name=words("One more step")).count():
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        page.get_by_label(words("Code")).fill(totp_code(device))
        page.get_by_role("button", name=words("Continue")).click()
        page.wait_for_load_state("load")
        assert_accessible(page)
    elif page.get_by_role("heading", name=words("Set up your second step")).count():
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

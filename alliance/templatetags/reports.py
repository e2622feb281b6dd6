"""Small filters for showing report figures: a percentage always comes with its counts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import gettext, ngettext, pgettext_lazy

from alliance.numbers import number
from alliance.numbers import signed as signed_number

register = template.Library()

# The nouns the report pages count in (``|share:"sessions"``): a page passes the English word, and it is
# shown in the reader's language. A word not listed here is shown as it was passed.
SHARE_NOUNS = {
    "sessions": pgettext_lazy("a share of", "sessions"),
    "check-ins": pgettext_lazy("a share of", "check-ins"),
    "alerts": pgettext_lazy("a share of", "alerts"),
    "patients": pgettext_lazy("a share of", "patients"),
}


@register.filter
def share(value, noun: str = "") -> str:
    """A Share as "75% (3 of 4 sessions)", or "none yet (0 of 0)" when there is nothing to divide."""
    if value is None:
        return ""
    noun = SHARE_NOUNS.get(noun, noun)
    if value.percent is None:
        return gettext("– (0 of 0 %(noun)s)") % {"noun": noun} if noun else gettext("– (0 of 0)")
    figures = {"percent": value.percent, "count": f"{value.count:,}", "total": f"{value.total:,}", "noun": noun}
    if noun:
        return gettext("%(percent)s%% (%(count)s of %(total)s %(noun)s)") % figures
    return gettext("%(percent)s%% (%(count)s of %(total)s)") % figures


@register.filter
def score(value, places: int = 1) -> str:
    """A score or average as ``alliance.numbers.number`` writes it: "5.3", "27", "−2", "–"."""
    return number(value, int(places))


@register.filter
def signed(value) -> str:
    """A change with its sign: "+1.5", "−2", "0"."""
    return signed_number(value)


@register.filter
def duration_hours(value) -> str:
    """Hours as words a person reads at a glance: "45 minutes", "6.5 hours", "3.2 days"."""
    if value is None:
        return "–"
    hours = Decimal(str(value))
    if hours < 1:
        minutes = int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    if hours < 48:
        text = score(hours)
        # "1 hour", and "1.5 hours": a decimal takes the plural, so any figure but "1" counts as many.
        return ngettext("%(count)s hour", "%(count)s hours", 1 if text == "1" else 2) % {"count": text}
    return gettext("%(count)s days") % {"count": score(hours / 24)}


@register.inclusion_tag("alliance/reports/_too_few.html")
def too_few(minimum: int) -> dict:
    """Said instead of a figure drawn from fewer than ``minimum`` patients."""
    return {"minimum": minimum}


@register.filter
def filesize(value) -> str:
    if value is None:
        return "–"
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""

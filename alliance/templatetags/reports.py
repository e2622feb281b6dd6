"""Small filters for showing report figures: a percentage always comes with its counts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from alliance.numbers import number
from alliance.numbers import signed as signed_number

register = template.Library()


@register.filter
def share(value, noun: str = "") -> str:
    """A Share as "75% (3 of 4 sessions)", or "none yet (0 of 0)" when there is nothing to divide."""
    if value is None:
        return ""
    noun = f" {noun}" if noun else ""
    if value.percent is None:
        return f"– (0 of 0{noun})"
    return f"{value.percent}% ({value.count:,} of {value.total:,}{noun})"


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
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if hours < 48:
        text = score(hours)
        return f"{text} hour{'' if text == '1' else 's'}"
    return f"{score(hours / 24)} days"


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

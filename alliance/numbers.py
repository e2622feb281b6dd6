"""How Alliance writes a score, a total or a change for people to read: one formatter for pages,
sentences and emails alike.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import get_format

MINUS = "\u2212"  # a real minus sign: a hyphen reads as a dash, and screen readers say it as one
NONE = "\u2013"  # an en dash stands for "no figure"


def number(value, places: int = 1) -> str:
    """``value`` rounded half up to ``places`` decimals, without trailing zeros, with a minus sign.

    ``number(Decimal("27.00"))`` → "27", ``number(5.333)`` → "5.3" ("5,3" in Spanish: the decimal mark is
    the active language's), ``number(-2)`` → "−2", ``number(None)`` → "–". Accepts int, float, Decimal
    or a numeric string.
    """
    if value is None:
        return NONE
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", MINUS).replace(".", get_format("DECIMAL_SEPARATOR"))


def signed(value, places: int = 1) -> str:
    """A change with its sign: "+1.5", "−2", "0"."""
    text = number(value, places)
    return f"+{text}" if text not in (NONE, "0") and not text.startswith(MINUS) else text

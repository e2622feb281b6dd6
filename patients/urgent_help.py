"""The clinic's urgent-help text: general advice when a clinic has written none, phone numbers made
tappable, and when a care team will next read what a patient sends.

Nothing here writes HTML: ``urgent_help_paragraphs`` cuts the text into pieces the template escapes and
links (``patients/_urgent_help_text.html``).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# What a patient sees when their clinic has not written its own text. UK numbers: Alliance's clinics are
# in the UK (en-GB, Europe/London by default).
GENERAL_URGENT_HELP = _(
    "If you are in danger now, or someone's life is at risk, call 999.\n"
    "If you need urgent medical advice and it isn't an emergency, call NHS 111 (any time, day or night) "
    "or contact your GP surgery.\n"
    "If you are struggling to cope, Samaritans listen at any time: call 116 123 (free)."
)


def urgent_help_demo_text(*, clinic_name: str, phone: str) -> str:
    """A starting text for a demo clinic, for its admin to review: ``phone`` is the clinic's number. In the
    active language (the demo seeds one per language Alliance offers)."""
    return gettext(
        "%(clinic)s: call %(phone)s, Monday to Friday, 9am to 5pm. Ask for the duty clinician if your own "
        "clinician isn't in.\n"
        "When we are closed (evenings, weekends and bank holidays): call NHS 111, or your GP surgery's "
        "out-of-hours line.\n"
        "\n"
        "If you are in danger now, or someone's life is at risk, call 999.\n"
        "If you are struggling to cope, Samaritans listen at any time: call 116 123 (free)."
    ) % {"clinic": clinic_name, "phone": phone}


# Numbers short enough to be safe to dial straight from a tap: emergency, NHS 111, Samaritans.
SHORT_NUMBERS = frozenset({"999", "112", "111", "116123"})
# A run of digits with single spaces between groups, optionally after "+": "01632 960 000", "+44 20 7946 0000".
_NUMBER = re.compile(r"(?<![\w+])\+?\d+(?: \d+)*(?!\w)")
# A UK number in full has 10 or 11 digits (12 with "+44"); fewer or more is a date, a time or a reference.
_FULL_LENGTHS = {10, 11, 12}


@dataclass(frozen=True)
class Piece:
    """A run of text; ``tel`` is the number to dial (digits and "+") when the run is a phone number."""

    text: str
    tel: str = ""


def _tel(run: str) -> str:
    digits = run.replace(" ", "")
    bare = digits.lstrip("+")
    if bare in SHORT_NUMBERS and not digits.startswith("+"):
        return bare
    if len(bare) in _FULL_LENGTHS and (bare.startswith("0") or (digits.startswith("+") and bare.startswith("44"))):
        return digits
    return ""


def _pieces(line: str) -> list[Piece]:
    pieces: list[Piece] = []
    at = 0
    for match in _NUMBER.finditer(line):
        run = match.group().rstrip()
        tel = _tel(run)
        if not tel:
            continue
        if match.start() > at:
            pieces.append(Piece(line[at : match.start()]))
        pieces.append(Piece(run, tel))
        at = match.start() + len(run)
    if at < len(line):
        pieces.append(Piece(line[at:]))
    return pieces


def urgent_help_paragraphs(text: str) -> list[list[list[Piece]]]:
    """The text as paragraphs (split at blank lines) of lines of pieces, every line break kept.

    Phone numbers that are simple to dial (999, 111, 116 123, or a full UK number such as
    "01632 960 000" or "+44 20 7946 0000") become pieces with ``tel`` set; everything else stays text.
    """
    paragraphs: list[list[list[Piece]]] = []
    current: list[list[Piece]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(_pieces(line.rstrip()))
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def next_working_day(moment: datetime, *, timezone_name: str) -> date:
    """The first Monday-to-Friday date after ``moment``'s own date in the clinic's zone.

    A check-in sent on a Friday evening, a Saturday or a Sunday gives the Monday after; bank holidays are
    not known, so the page says "their next working day" beside the date.
    """
    day = moment.astimezone(zoneinfo.ZoneInfo(timezone_name)).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day

"""Emails as their recipient reads them: dates and times in the recipient's own time zone.

Everything an email says about time is rendered inside ``as_seen_by(person)``, subject and body
alike, so Django's ``date`` filter and ``timezone.localtime`` follow the person, not the server.
Where the person's zone differs from their clinic's, ``zone_note`` names it, so "14:00" cannot be
read as the clinic's 14:00.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patients.models import User


@contextmanager
def as_seen_by(person: User) -> Iterator[None]:
    """Inside this block, times render in ``person``'s time zone (their own, else their clinic's) and
    words in their chosen language (else the site's, ``LANGUAGE_CODE``)."""
    with timezone.override(person.tzinfo), translation.override(person.language or settings.LANGUAGE_CODE):
        yield


def zone_label(tz: zoneinfo.ZoneInfo) -> str:
    """A zone as people say it: "Europe/London" → "London time", "America/New_York" → "New York time"."""
    name = str(tz.key if hasattr(tz, "key") else tz)
    if name == "UTC":
        return "UTC"
    return _("%(city)s time") % {"city": name.rsplit("/", 1)[-1].replace("_", " ")}


def zone_note(person: User) -> str:
    """ " (New York time)" when the person's zone is not their clinic's; "" when it is."""
    clinic = person.clinic
    clinic_zone = clinic.timezone if clinic else settings.ALLIANCE_DEFAULT_TIMEZONE
    if person.tzinfo.key == clinic_zone:
        return ""
    return f" ({zone_label(person.tzinfo)})"

"""What higher apps tell this one, through small registries filled in their ``AppConfig.ready()``.

``sessions`` may not import ``alliance`` (the dependency runs ``alliance → sessions → patients``), yet
reminders need two things only the record knows:

- whether a patient has already checked in for a session (the check-in reminder is then not sent);
- what is new for a clinician (new questions, "doesn't fit" answers, unacknowledged wins, open
  alerts) for the daily digest;
- which patients have something new waiting since their last visit (answers, replies, plans…), for
  the "something new is waiting" email.

A push (a flag written down into this app) would duplicate the record's own truth and could drift;
a registry asks the owner at the moment the reminder goes out. Each provider is a plain function;
one that raises is logged and skipped, so a bug in one section never stops a reminder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from patients.models import Clinician

logger = logging.getLogger(__name__)

CheckedInProvider = Callable[[list[int]], Iterable[int]]


@dataclass(frozen=True)
class DigestSection:
    """One part of a clinician's digest.

    ``lines`` are plain text, one per thing to look at. ``new`` counts what appeared since the last
    digest; a digest in which every section has ``new == 0`` is not sent.
    """

    title: str
    lines: list[str] = field(default_factory=list)
    new: int = 0


DigestProvider = Callable[..., DigestSection | None]


@dataclass(frozen=True)
class _Registered:
    key: str
    order: int
    provider: DigestProvider


NewsProvider = Callable[[list[int]], dict[int, str]]

_checked_in_providers: dict[str, CheckedInProvider] = {}
_news_providers: dict[str, NewsProvider] = {}
_digest_providers: dict[str, _Registered] = {}


def checked_in_provider_register(key: str, provider: CheckedInProvider) -> None:
    """``provider(care_session_ids)`` returns the ids, among those given, that have a check-in."""
    _checked_in_providers[key] = provider


def checked_in_known() -> bool:
    return bool(_checked_in_providers)


def care_sessions_checked_in(*, care_session_ids: Iterable[int]) -> set[int]:
    ids = list(care_session_ids)
    found: set[int] = set()
    if not ids:
        return found
    for key, provider in _checked_in_providers.items():
        try:
            found.update(provider(ids))
        except Exception:  # a provider's bug must not stop reminders; the log keeps it
            logger.exception("checked-in provider %s failed", key)
    return found


def digest_section_register(key: str, provider: DigestProvider, *, order: int = 100) -> None:
    """``provider(clinician=, since=, now=)`` returns a ``DigestSection`` or None when it has nothing."""
    _digest_providers[key] = _Registered(key=key, order=order, provider=provider)


def digest_sections_for(*, clinician: Clinician, since: datetime, now: datetime) -> list[DigestSection]:
    sections = []
    for registered in sorted(_digest_providers.values(), key=lambda r: (r.order, r.key)):
        try:
            section = registered.provider(clinician=clinician, since=since, now=now)
        except Exception:
            logger.exception("digest section %s failed", registered.key)
            continue
        if section is not None and section.lines:
            sections.append(section)
    return sections


def news_provider_register(key: str, provider: NewsProvider) -> None:
    """``provider(user_ids)`` returns {user id: batch name} for those, among the given, with something
    new since their last visit. The batch name changes when they visit again; one email per batch."""
    _news_providers[key] = provider


def news_batches_for(*, user_ids: Iterable[int]) -> dict[int, str]:
    """{user id: batch name} for the people who have something new waiting (every provider asked)."""
    ids = list(user_ids)
    found: dict[int, str] = {}
    if not ids:
        return found
    for key, provider in _news_providers.items():
        try:
            for user_id, batch in provider(ids).items():
                found[user_id] = f"{key}:{batch}"
        except Exception:  # a provider's bug must not stop reminders; the log keeps it
            logger.exception("news provider %s failed", key)
    return found

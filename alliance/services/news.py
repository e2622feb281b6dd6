"""Writes for "What's new": the patient has seen these things, and has come to look."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from alliance.models import NewsSeen, NewsVisit
from alliance.selectors.news import NewThing
from patients.models import User


def news_seen_mark(*, user: User, things: Iterable[NewThing]) -> None:
    """Note that ``user`` has seen these things. One query, whatever their number; seeing twice is harmless."""
    now = timezone.now()
    rows = [NewsSeen(user=user, kind=t.kind, object_id=t.object_id, seen_at=now) for t in things if not t.seen]
    if rows:
        NewsSeen.objects.bulk_create(rows, ignore_conflicts=True)


def news_visit_mark(*, user: User) -> None:
    """Note that ``user`` came to look now (one query): the next email about new things may go after this."""
    NewsVisit.objects.bulk_create(
        [NewsVisit(user=user, visited_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["visited_at"],
    )

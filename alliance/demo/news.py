"""Demo patients came to look a few days ago: what their care team did before that is seen, and what
came since is on their "What's new" (patient1's answers, replies and explanations among it)."""

from __future__ import annotations

from datetime import timedelta

from alliance.models import NewsVisit
from alliance.selectors.news import whats_new_for
from alliance.services.news import news_seen_mark

LAST_VISIT = timedelta(days=3)


def seed_news(ctx) -> None:
    for patient in ctx.all_patients:
        if NewsVisit.objects.filter(user=patient.user).exists():
            continue  # seeded before, or the patient has been to look since: leave what they saw alone
        visited = ctx.now - LAST_VISIT
        older = [thing for thing in whats_new_for(user=patient.user, limit=10_000).new if thing.at < visited]
        news_seen_mark(user=patient.user, things=older)
        NewsVisit.objects.create(user=patient.user, visited_at=visited)

"""The demo's history happens at believable times of day, not all at the moment it was seeded."""

import io
import zoneinfo

import pytest
from django.core.management import call_command

from alliance.models import Export, GoalRating, Question, Win

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_seeded_history_has_varied_times_within_the_hours_people_keep():
    call_command("seed_demo", stdout=io.StringIO())
    moved = [q.created_at.astimezone(LONDON) for q in Question.objects.filter(created_at__lt=_days_ago(2))]
    moved += [w.created_at.astimezone(LONDON) for w in Win.objects.filter(created_at__lt=_days_ago(2))]
    moved += [r.rated_at.astimezone(LONDON) for r in GoalRating.objects.filter(rated_at__lt=_days_ago(2))]
    assert len(moved) >= 5
    times = {(moment.hour, moment.minute) for moment in moved}
    assert len(times) >= len(moved) // 2, "not one shared time of day"
    assert all((7, 30) <= (moment.hour, moment.minute) < (22, 30) for moment in moved), "patients' waking hours"
    past = Export.objects.filter(requested_by__email="admin@demo.test", created_at__lt=_days_ago(2))
    exports = [e.created_at.astimezone(LONDON) for e in past]
    assert exports and all(9 <= moment.hour < 17 for moment in exports), "staff work in clinic hours"
    assert len({(moment.hour, moment.minute) for moment in exports}) > 1


def _days_ago(days):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(days=days)

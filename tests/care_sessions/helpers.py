"""Shared helpers for the session tests."""

from datetime import timedelta

from django.utils import timezone

from sessions.services import home_plan_revise
from tests.factories import CareSessionFactory

BAD_TEXT = {
    "empty": "   ",
    "too long": "x" * 10_000,
}
ODD_BUT_FINE = {
    "html": "<script>alert('hi')</script><b>bold</b>",
    "emoji": "Pain flared after gardening 🌱😣 — is that normal?",
}


def past_session(cast, *, hours=2, patient=None, clinician=None):
    return CareSessionFactory(
        patient=patient or cast.alice,
        clinician=clinician or cast.bob,
        starts_at=timezone.now() - timedelta(hours=hours),
    )


def future_session(cast, *, days=7, patient=None, clinician=None):
    return CareSessionFactory(
        patient=patient or cast.alice,
        clinician=clinician or cast.bob,
        starts_at=timezone.now() + timedelta(days=days),
    )


def plan_for(cast, *, titles=("Morning walk",), patient=None, by=None):
    return home_plan_revise(
        by=by or cast.bob.user,
        patient=patient or cast.alice,
        items=[
            {"title": title, "description": f"{title}, gently, stopping when you need to.", "how_often": "Most days"}
            for title in titles
        ],
    )

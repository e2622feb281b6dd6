"""The clinician's home is kept for a few seconds, but never shows them out of date about their own
changes or about who is on their caseload."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, AlertKind
from tests.factories import CareTeamFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

HOME = "/"


def test_the_caseload_is_worked_out_once_and_then_read_from_the_cache(client, cast):
    client.force_login(cast.bob.user)
    with CaptureQueriesContext(connection) as first:
        client.get(HOME)
    with CaptureQueriesContext(connection) as again:
        assert "Alice Archer" in visible_text(client.get(HOME))
    # Reading it again: the sign-in's session and user, the device of its second step, who is on the
    # caseload now, and the session's renewal.
    queries = [q["sql"] for q in again.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == 5 and len(first) > 10, queries


def test_the_clinicians_own_change_shows_at_once(client, cast):
    alert = Alert.objects.create(patient=cast.alice, kind=AlertKind.LOW_TOTAL, detail="Total 12 of 40")
    client.force_login(cast.bob.user)
    assert "Things to talk through" in visible_text(client.get(HOME))
    client.post(reverse("alliance:alert-resolve", args=[alert.pk]), {"note": "We talked."})
    assert "Things to talk through" not in visible_text(client.get(HOME))


def test_a_patient_who_leaves_the_caseload_is_gone_at_once(client, cast):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    client.force_login(cast.carol.user)
    assert "Alice Archer" in visible_text(client.get(HOME))
    cast.alice.care_team.filter(clinician=cast.carol).delete()
    assert "Alice Archer" not in visible_text(client.get(HOME))


def test_a_patient_whose_account_closes_is_gone_at_once(client, cast):
    client.force_login(cast.bob.user)
    assert "Alice Archer" in visible_text(client.get(HOME))
    type(cast.alice.user).objects.filter(pk=cast.alice.user.pk).update(is_active=False)
    assert "Alice Archer" not in visible_text(client.get(HOME))


def test_the_kept_caseload_is_never_shown_in_another_language(client, cast, settings):
    settings.LANGUAGES = [("en-gb", "English"), ("es", "Español")]
    raised = timezone.make_aware(datetime(2026, 12, 1, 10, 0))
    Alert.objects.create(patient=cast.alice, kind=AlertKind.LOW_TOTAL, detail="Total 12 of 40", raised_at=raised)
    client.force_login(cast.bob.user)
    assert "1 Dec)" in visible_text(client.get(HOME, HTTP_ACCEPT_LANGUAGE="en"))
    assert "1/12)" in visible_text(client.get(HOME, HTTP_ACCEPT_LANGUAGE="es"))

"""Filters that cannot be used show no list, and an export names only the filters that apply to it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.models import Export
from patients.models import AuditEvent, AuditKind
from tests.helpers import field_errors, visible_text

pytestmark = pytest.mark.django_db


def test_a_date_range_ending_before_it_starts_shows_the_error_and_no_entries(client_for, cast):
    AuditEvent.objects.create(
        kind=AuditKind.READ,
        actor=cast.bob.user,
        actor_role="clinician",
        patient=cast.alice,
        clinic=cast.riverside,
        page="alliance:record",
    )
    client = client_for(cast.dave.user)
    assert "Bob Baker" in visible_text(client.get(reverse("patients:audit")))
    response = client.get(reverse("patients:audit"), {"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert response.status_code == 400
    assert any("before the start date" in error for error in field_errors(response, "date_to"))
    text = visible_text(response)
    assert "No entries are shown until the filters above can be used" in text
    assert "Audit entries, newest first" not in text
    assert "Export these entries" not in text


def test_an_audit_trail_export_is_not_described_by_clinician_or_questionnaire(client_for, cast):
    client = client_for(cast.dave.user)
    today = timezone.localdate()
    client.post(
        reverse("alliance:export-new"),
        {
            "dataset": "audit",
            "format": "csv",
            "identified": "yes",
            "purpose": "Checking who opened Alice's record",
            "date_from": today.isoformat(),
            "date_to": today.isoformat(),
        },
    )
    export = Export.objects.get(dataset="audit")
    assert export.filters_description == f"{today:%-d %b %Y} to {today:%-d %b %Y}"
    listing = visible_text(client.get(reverse("alliance:exports")))
    assert "all questionnaires" not in listing and "all clinicians" not in listing

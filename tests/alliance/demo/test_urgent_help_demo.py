"""The demo clinics start with an urgent-help text for their admins to review; a reviewed text is kept."""

import io

import pytest
from django.core.management import call_command

from patients.models import Clinic
from patients.services import clinic_settings_update

pytestmark = pytest.mark.django_db


def _seed():
    call_command("seed_demo", "--password", "a-demo-password-for-tests", stdout=io.StringIO())


def test_each_demo_clinic_starts_with_its_own_number_and_the_uk_emergency_numbers_awaiting_review():
    _seed()
    riverside = Clinic.objects.get(name="Riverside Pain Service")
    northgate = Clinic.objects.get(name="Northgate Physiotherapy")
    assert "call 01632 960 123, Monday to Friday, 9am to 5pm" in riverside.urgent_help
    assert "call 01632 960 456" in northgate.urgent_help
    for clinic in (riverside, northgate):
        assert "call 999" in clinic.urgent_help and "NHS 111" in clinic.urgent_help
        assert clinic.urgent_help_reviewed_at is None


def test_seeding_again_keeps_the_text_an_admin_saved():
    _seed()
    riverside = Clinic.objects.get(name="Riverside Pain Service")
    admin = riverside.admins.get().user
    clinic_settings_update(clinic=riverside, by=admin, urgent_help="Our own words: call 01632 960 999.")
    _seed()
    riverside.refresh_from_db()
    assert riverside.urgent_help == "Our own words: call 01632 960 999."
    assert riverside.urgent_help_reviewed_by == admin

"""Names holding invisible text-direction controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F) are
refused wherever a name is typed, with the message beside the field and nothing saved: they would
make a list of names (a patient list, People, the audit trail) read backwards."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alliance.models import Instrument
from patients.admin import UserEditForm
from patients.models import Clinic, Invitation, User
from patients.validators import DIRECTION_CONTROLS
from tests.helpers import field_errors, page_text

pytestmark = pytest.mark.django_db

MESSAGE = "hidden characters that change which way text runs"


@pytest.mark.parametrize("control", sorted(DIRECTION_CONTROLS))
def test_an_invitation_for_a_name_with_a_direction_control_is_refused_beside_the_name(client, cast, control):
    client.force_login(cast.dave.user)
    response = client.post(
        reverse("patients:invite"),
        {
            "role": "patient",
            "full_name": f"Nina{control} New",
            "email": "nina@example.org",
            "clinicians": [cast.bob.pk],
        },
    )
    assert response.status_code == 400
    assert any(MESSAGE in error for error in field_errors(response, "full_name"))
    assert not Invitation.objects.filter(user__email="nina@example.org").exists()
    assert not User.objects.filter(email="nina@example.org").exists()


def test_the_account_page_refuses_a_reversed_name_and_keeps_the_old_one(client, cast):
    client.force_login(cast.alice.user)
    response = client.post(reverse("patients:account"), {"full_name": "\u202eecilA", "timezone": "", "language": ""})
    assert any(MESSAGE in error for error in field_errors(response, "full_name"))
    cast.alice.user.refresh_from_db()
    assert "\u202e" not in cast.alice.user.full_name


def test_the_admin_site_refuses_a_reversed_person_or_clinic_name(cast):
    user = cast.alice.user
    form = UserEditForm(
        instance=user,
        data={
            "email": user.email,
            "full_name": "Alice\u2067 Smith",
            "timezone": "",
            "language": "",
            "is_active": "on",
            "password": "",
        },
    )
    assert not form.is_valid()
    assert any(MESSAGE in error for error in form.errors["full_name"])
    clinic = Clinic(name="Riverside\u200f Pain Service")
    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()
    assert any(MESSAGE in error for error in refused.value.message_dict["name"])


def test_a_questionnaire_named_with_a_direction_control_is_not_imported(client, cast):
    client.force_login(cast.dave.user)
    definition = {
        "key": "riverside-reversed",
        "name": "Session \u202erating",
        "respondent": "patient",
        "purpose": "other",
        "scale": {"min": 0, "max": 4},
        "items": [{"key": "q1", "text": "Question 1"}],
        "scoring": {"method": "mean"},
    }
    response = client.post(reverse("alliance:instrument-import"), {"definition": json.dumps(definition)})
    assert response.status_code == 400
    assert MESSAGE in page_text(response)
    assert not Instrument.objects.filter(key="riverside-reversed").exists()


def test_ordinary_names_in_any_script_are_kept(client, cast):
    client.force_login(cast.alice.user)
    client.post(reverse("patients:account"), {"full_name": "Zoë Ó Briain-עדן", "timezone": "", "language": ""})
    cast.alice.user.refresh_from_db()
    assert cast.alice.user.full_name == "Zoë Ó Briain-עדן"

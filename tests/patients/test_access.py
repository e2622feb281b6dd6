"""Selectors scope everything to the person asking; not-yours answers 404."""

import pytest
from django.http import Http404

from patients import selectors
from patients.models import User

pytestmark = pytest.mark.django_db


def test_patient_sees_only_themself(cast):
    assert list(selectors.patients_for_user(user=cast.alice.user)) == [cast.alice]


def test_patient_cannot_fetch_another_patient(cast):
    with pytest.raises(Http404):
        selectors.patient_get(user=cast.alice.user, pk=cast.frank.pk)


def test_clinician_sees_only_their_care_team_patients(cast):
    assert list(selectors.patients_for_user(user=cast.bob.user)) == [cast.alice]
    assert list(selectors.patients_for_user(user=cast.carol.user)) == [cast.frank]


def test_clinician_off_the_team_gets_404(cast):
    with pytest.raises(Http404):
        selectors.patient_get(user=cast.carol.user, pk=cast.alice.pk)


def test_clinician_never_sees_another_clinics_patient_even_if_linked(cast):
    # A care-team row across clinics must never happen, but if it did the clinic filter still holds.
    from patients.models import CareTeamMembership

    CareTeamMembership.objects.create(patient=cast.grace, clinician=cast.bob)
    assert cast.grace not in selectors.patients_for_user(user=cast.bob.user)


def test_admin_sees_their_own_clinic_only(cast):
    assert set(selectors.patients_for_user(user=cast.dave.user)) == {cast.alice, cast.frank}
    assert set(selectors.patients_for_user(user=cast.erin.user)) == {cast.grace}
    with pytest.raises(Http404):
        selectors.person_get_for_admin(user=cast.erin.user, pk=cast.alice.user.pk)


def test_someone_without_a_role_sees_nobody(cast):
    stranger = User.objects.create_user(email="stranger@example.org", password="x" * 20, full_name="Stranger")
    assert not selectors.patients_for_user(user=stranger).exists()
    assert not selectors.clinicians_for_user(user=stranger).exists()
    assert not selectors.people_for_admin(user=stranger).exists()


@pytest.mark.parametrize("bad_pk", ["abc", None, "1; DROP TABLE patients_patient", 10**20])
def test_odd_primary_keys_are_not_found_rather_than_errors(cast, bad_pk):
    with pytest.raises(Http404):
        selectors.patient_get(user=cast.dave.user, pk=bad_pk)


def test_people_list_annotations(cast):
    people = {p.email: p for p in selectors.people_for_admin(user=cast.dave.user)}
    assert set(people) == {
        "alice@example.org",
        "frank@example.org",
        "bob@example.org",
        "carol@example.org",
        "dave@example.org",
    }
    assert people["alice@example.org"].care_team_size == 1
    assert people["bob@example.org"].caseload_size == 1

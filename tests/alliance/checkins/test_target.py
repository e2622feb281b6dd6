"""Which appointment a check-in belongs to: the contract of ``checkin_target_session``.

The selector is on the pages patients open most (home and check-in); these tests pin what it must
choose.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from alliance.selectors.checkins import checkin_target_session
from alliance.services.checkins import checkin_submit
from sessions.models import SessionStatus
from tests.factories import CareSessionFactory

pytestmark = pytest.mark.django_db

ALLIANCE = dict.fromkeys(("relationship", "goals", "approach", "overall"), 8)


def _session(cast, *, hours: float, status=SessionStatus.SCHEDULED, patient=None):
    return CareSessionFactory(
        patient=patient or cast.alice,
        clinician=cast.bob,
        starts_at=timezone.now() + timedelta(hours=hours),
        status=status,
    )


def test_the_next_appointment_is_chosen_with_its_time_and_clinician(cast):
    later = _session(cast, hours=72)
    target = checkin_target_session(patient=cast.alice)
    assert target.pk == cast.alice_session.pk != later.pk
    assert target.starts_at == cast.alice_session.starts_at
    assert timezone.is_aware(target.starts_at)
    assert target.clinician.user.full_name == "Bob Baker"
    assert target.clinician.user.get_short_name() == "Bob"
    assert target.has_checkin is False


def test_cancelled_and_missed_appointments_are_never_chosen(cast):
    cast.alice_session.status = SessionStatus.CANCELLED
    cast.alice_session.save()
    _session(cast, hours=5, status=SessionStatus.MISSED)
    kept = _session(cast, hours=48)
    assert checkin_target_session(patient=cast.alice).pk == kept.pk


def test_an_appointment_that_started_today_is_chosen_until_checked_in_for(cast):
    cast.alice_session.delete()
    started = _session(cast, hours=-3, status=SessionStatus.DONE)
    target = checkin_target_session(patient=cast.alice)
    assert target.pk == started.pk
    checkin_submit(patient=cast.alice, care_session=started, alliance_answers=ALLIANCE, pain_answers={})
    assert checkin_target_session(patient=cast.alice) is None


def test_the_latest_of_several_started_appointments_is_chosen(cast):
    cast.alice_session.delete()
    _session(cast, hours=-20)
    latest = _session(cast, hours=-2)
    assert checkin_target_session(patient=cast.alice).pk == latest.pk


def test_an_upcoming_appointment_that_was_checked_in_for_is_still_the_target(cast):
    checkin_submit(patient=cast.alice, care_session=cast.alice_session, alliance_answers=ALLIANCE, pain_answers={})
    target = checkin_target_session(patient=cast.alice)
    assert target.pk == cast.alice_session.pk
    assert target.has_checkin is True


def test_an_appointment_more_than_a_day_old_is_not_chosen(cast):
    cast.alice_session.delete()
    _session(cast, hours=-25)
    assert checkin_target_session(patient=cast.alice) is None


def test_another_patients_appointment_is_never_chosen(cast):
    cast.alice_session.delete()
    franks = _session(cast, hours=2, patient=cast.frank)
    assert checkin_target_session(patient=cast.alice) is None
    assert checkin_target_session(patient=cast.frank).pk == franks.pk

"""Appointments: scheduling rules, who may change them, and what each side sees."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import CareSession, SessionMode, SessionStatus
from tests.factories import CareSessionFactory, PatientFactory
from tests.helpers import page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _future(days=3, hour=10):
    day = timezone.now().astimezone(LONDON) + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


def test_clinician_books_a_session_for_a_patient_on_their_team(cast):
    care_session = services.care_session_schedule(
        by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=_future(), duration_minutes=45
    )
    assert care_session.status == SessionStatus.SCHEDULED
    assert care_session.created_by == cast.bob.user


def test_clinician_off_the_team_cannot_book(cast):
    with pytest.raises(PermissionDenied):
        services.care_session_schedule(
            by=cast.carol.user, patient=cast.alice, clinician=cast.carol, starts_at=_future()
        )


def test_admin_must_pick_a_clinician_on_the_care_team(cast):
    with pytest.raises(ValidationError) as error:
        services.care_session_schedule(by=cast.dave.user, patient=cast.alice, clinician=cast.carol, starts_at=_future())
    assert "not on Alice Archer's care team" in error.value.message_dict["clinician"][0]


def test_admin_of_another_clinic_cannot_book(cast):
    with pytest.raises(PermissionDenied):
        services.care_session_schedule(by=cast.erin.user, patient=cast.alice, clinician=cast.bob, starts_at=_future())


def test_a_time_in_the_past_is_refused(cast):
    with pytest.raises(ValidationError) as error:
        services.care_session_schedule(
            by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(minutes=1)
        )
    assert error.value.message_dict["starts_at"] == ["Please choose a time in the future."]


def test_overlapping_sessions_for_one_clinician_are_refused(cast):
    services.care_session_schedule(by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=_future(hour=10))
    with pytest.raises(ValidationError) as error:
        services.care_session_schedule(
            by=cast.bob.user,
            patient=cast.alice,
            clinician=cast.bob,
            starts_at=_future(hour=10) + timedelta(minutes=30),
        )
    assert "already has a session at 10:00" in error.value.message_dict["starts_at"][0]
    # back to back is fine
    services.care_session_schedule(
        by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=_future(hour=10) + timedelta(minutes=45)
    )


@pytest.mark.parametrize("minutes", [0, 4, 481, -30])
def test_durations_outside_five_minutes_to_eight_hours_are_refused(cast, minutes):
    with pytest.raises(ValidationError):
        services.care_session_schedule(
            by=cast.bob.user, patient=cast.alice, clinician=cast.bob, starts_at=_future(), duration_minutes=minutes
        )


def test_database_refuses_a_nonsense_duration_even_without_the_service(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CareSession.objects.create(patient=cast.alice, clinician=cast.bob, starts_at=_future(), duration_minutes=1000)


def test_reschedule_and_cancel(cast):
    moved = services.care_session_reschedule(
        by=cast.bob.user,
        care_session=cast.alice_session,
        starts_at=_future(days=5, hour=15),
        duration_minutes=60,
        mode=SessionMode.VIDEO,
    )
    assert (moved.duration_minutes, moved.mode) == (60, SessionMode.VIDEO)
    cancelled = services.care_session_cancel(by=cast.dave.user, care_session=moved, reason="Clinician unwell")
    assert cancelled.status == SessionStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.care_session_reschedule(
            by=cast.bob.user, care_session=cancelled, starts_at=_future(), duration_minutes=45, mode=SessionMode.PHONE
        )


def test_outcome_only_after_the_session_started(cast):
    with pytest.raises(ValidationError):
        services.care_session_record_outcome(by=cast.bob.user, care_session=cast.alice_session, status="done")
    past = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(hours=1))
    services.care_session_record_outcome(by=cast.bob.user, care_session=past, status=SessionStatus.MISSED)
    past.refresh_from_db()
    assert past.status == SessionStatus.MISSED


# --- through the pages --------------------------------------------------------------------------


def test_booking_form_keeps_input_and_explains_a_bad_time(client, cast):
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:new"),
        {
            "patient": cast.alice.pk,
            "clinician": cast.bob.pk,
            "starts_at": "yesterday at noon",
            "duration_minutes": 45,
            "mode": "in_person",
        },
    )
    assert response.status_code == 400
    body = page_text(response)
    assert "Please enter a date and time" in body
    assert 'value="yesterday at noon"' in body


def test_booking_form_offers_only_the_clinicians_own_patients(client, cast):
    client.force_login(cast.bob.user)
    body = page_text(client.get(reverse("care_sessions:new")))
    assert "Alice Archer" in body
    assert "Frank Foster" not in body


def test_booking_someone_elses_patient_by_editing_the_form_is_refused(client, cast):
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:new"),
        {
            "patient": cast.frank.pk,
            "clinician": cast.bob.pk,
            "starts_at": _future().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 45,
            "mode": "in_person",
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert not CareSession.objects.filter(patient=cast.frank, clinician=cast.bob).exists()


def test_clinician_books_through_the_form_in_their_own_time_zone(client, cast):
    client.force_login(cast.bob.user)
    local = _future(days=4, hour=14)
    response = client.post(
        reverse("care_sessions:new"),
        {
            "patient": cast.alice.pk,
            "clinician": cast.bob.pk,
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 30,
            "mode": "phone",
        },
    )
    assert response.status_code == 302
    booked = CareSession.objects.get(patient=cast.alice, starts_at=local)
    assert booked.starts_at.astimezone(LONDON).hour == 14


def test_patient_sees_upcoming_and_past_appointments(client, cast):
    CareSessionFactory(
        patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(days=7), status="done"
    )
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:list")))
    assert "Coming up" in body and "Earlier" in body
    assert body.count("Bob Baker") >= 2
    assert "Frank Foster" not in body


def test_patient_home_shows_the_next_appointment(client, cast):
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("alliance:home")))
    assert "Your next appointment" in body
    assert "Bob Baker" in body


def test_cancel_form_and_outcome_form(client, cast):
    client.force_login(cast.bob.user)
    url = reverse("care_sessions:cancel", kwargs={"pk": cast.alice_session.pk})
    assert client.post(url, {"reason": "<script>alert('x')</script>"}).status_code == 302
    cast.alice_session.refresh_from_db()
    assert cast.alice_session.status == SessionStatus.CANCELLED
    client.force_login(cast.alice.user)
    detail = client.get(reverse("care_sessions:detail", kwargs={"pk": cast.alice_session.pk})).content.decode()
    assert "&lt;script&gt;" in detail and "<script>alert" not in detail


def test_session_list_query_count_is_the_same_for_1_and_50_sessions(cast):
    held: list[CareSession] = []

    def add(n):
        for _ in range(n):
            starts_at = timezone.now() - timedelta(days=len(held) + 1)
            held.append(CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=starts_at, status="done"))

    url = reverse("care_sessions:list")
    # 10: staff pages read the device of their second step (django-otp) on every request.
    query_counts_at_1_and_50(add, lambda: [(who.user, url, 10) for who in (cast.alice, cast.bob, cast.dave)])


def test_caseload_query_count_is_the_same_for_1_and_50_patients(client, cast):
    from tests.factories import CareTeamFactory

    def add(n):
        for _ in range(n):
            patient = PatientFactory(clinic=cast.riverside)
            CareTeamFactory(patient=patient, clinician=cast.bob)
            CareSessionFactory(patient=patient, clinician=cast.bob)

    # 10 + 3 for the shared record's section: the caseload's counts, unacknowledged wins, open explanation answers.
    query_counts_at_1_and_50(add, lambda: [(cast.bob.user, reverse("alliance:home"), 10 + 3)])
    client.force_login(cast.bob.user)
    assert "My caseload" in page_text(client.get(reverse("alliance:home")))


def test_admin_home_query_count_is_the_same_for_1_and_50_patients(cast):
    query_counts_at_1_and_50(
        lambda n: PatientFactory.create_batch(n, clinic=cast.riverside),
        # 9: one more for invitations to emails that had an account elsewhere, counted like any other.
        lambda: [(cast.dave.user, reverse("alliance:home"), 9)],
    )

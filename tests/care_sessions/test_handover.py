"""A change of care team, or an account closed, leaves no appointment, email or digest line behind."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.services.record import question_ask
from patients.models import CareTeamMembership
from patients.services import user_deactivate
from sessions.models import (
    AppointmentChange,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
    SessionStatus,
)
from sessions.registry import digest_sections_for
from sessions.services import reminders as r
from tests.factories import CareTeamFactory
from tests.helpers import field_errors, page_text

pytestmark = pytest.mark.django_db


def _carol_free(cast) -> None:
    """Carol's own appointment is at the same time as Alice's in the cast: move it, so she can take Alice's."""
    cast.frank_session.starts_at += timedelta(hours=3)
    cast.frank_session.save(update_fields=["starts_at"])


def _leave_url(cast, clinician):
    return reverse("care_sessions:care-team-leave", kwargs={"pk": cast.alice.user.pk, "clinician_pk": clinician.pk})


def _deliver(reminder) -> Reminder:
    """Send one reminder now, whatever the time of day (no quiet hours for this test's recipient)."""
    ReminderPreference.objects.update_or_create(
        user=reminder.recipient, defaults={"quiet_start": time(0, 0), "quiet_end": time(0, 0)}
    )
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.QUEUED, queued_at=timezone.now())
    r.reminder_deliver(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    return reminder


def _digest_text(clinician) -> str:
    now = timezone.now()
    sections = digest_sections_for(clinician=clinician, since=now - timedelta(days=1), now=now)
    return "\n".join(line for section in sections for line in [section.title, *section.lines])


def test_taking_bob_off_alices_team_passes_her_appointment_to_carol_and_tells_her(client, cast, mailoutbox):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    _carol_free(cast)
    client.force_login(cast.dave.user)
    page = client.get(_leave_url(cast, cast.bob))
    assert "1 appointment ahead" in page_text(page) and "Pass it to Carol Clarke" in page_text(page)
    response = client.post(_leave_url(cast, cast.bob), {f"appointment-{cast.alice_session.pk}": str(cast.carol.pk)})
    assert response.status_code == 302
    cast.alice_session.refresh_from_db()
    assert cast.alice_session.clinician == cast.carol
    assert not CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.bob).exists()
    # Alice's check-in page now says who her appointment is with.
    client.force_login(cast.alice.user)
    checkin = page_text(client.get(reverse("alliance:checkin")))
    assert "Carol Clarke will see your answers" in checkin and "Bob Baker will see" not in checkin
    # She is told, once.
    notice = Reminder.objects.get(recipient=cast.alice.user, kind=ReminderKind.APPOINTMENT)
    assert notice.dedupe_key == f"{AppointmentChange.CLINICIAN}:{cast.alice_session.pk}:{cast.carol.pk}"
    sent = _deliver(notice)
    assert sent.status == ReminderStatus.SENT and "is now with Carol Clarke" in sent.subject
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@example.org"]


def test_a_cancelled_appointment_tells_the_patient_kindly_with_the_reason(client, cast):
    client.force_login(cast.dave.user)
    response = client.post(
        _leave_url(cast, cast.bob),
        {f"appointment-{cast.alice_session.pk}": "cancel", "reason": "Bob is away for a few weeks."},
    )
    assert response.status_code == 302
    cast.alice_session.refresh_from_db()
    assert cast.alice_session.status == SessionStatus.CANCELLED
    sent = _deliver(Reminder.objects.get(recipient=cast.alice.user, kind=ReminderKind.APPOINTMENT))
    assert sent.subject.startswith("Your appointment on ") and sent.subject.endswith(" is cancelled")
    assert "Bob is away for a few weeks." in sent.body and "We're sorry for the change." in sent.body


def test_an_appointment_left_undecided_is_asked_about_next_to_it_and_nothing_changes(client, cast):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    client.force_login(cast.dave.user)
    response = client.post(_leave_url(cast, cast.bob), {"reason": "Kept words"})
    assert response.status_code == 400
    field = f"appointment-{cast.alice_session.pk}"
    assert field_errors(response, field) == ["Please choose what happens to this appointment."]
    assert "Kept words" in response.content.decode()
    assert CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.bob).exists()
    cast.alice_session.refresh_from_db()
    assert (cast.alice_session.clinician, cast.alice_session.status) == (cast.bob, SessionStatus.SCHEDULED)


def test_a_clinician_taken_off_the_team_no_longer_hears_about_the_patient(client, cast):
    question_ask(
        patient=cast.alice, by=cast.alice.user, text="Is it silly to ask?", worried_silly=True, route="ask_now"
    )
    cast.alice_session.starts_at = timezone.now() + timedelta(days=1)
    cast.alice_session.save()
    assert "Alice Archer" in _digest_text(cast.bob)
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    _carol_free(cast)
    client.force_login(cast.dave.user)
    client.post(_leave_url(cast, cast.bob), {f"appointment-{cast.alice_session.pk}": str(cast.carol.pk)})
    assert "Alice" not in _digest_text(cast.bob)
    assert "Alice Archer" in _digest_text(cast.carol)


def test_a_closed_patient_account_is_left_out_of_the_clinicians_digest(client, cast):
    question_ask(
        patient=cast.alice, by=cast.alice.user, text="Is it silly to ask?", worried_silly=True, route="ask_now"
    )
    client.force_login(cast.dave.user)
    close = reverse("care_sessions:account-close", kwargs={"pk": cast.alice.user.pk})
    assert client.post(close, {f"appointment-{cast.alice_session.pk}": "cancel"}).status_code == 302
    cast.alice.user.refresh_from_db()
    assert not cast.alice.user.is_active
    assert "Alice" not in _digest_text(cast.bob)


def test_closing_a_clinicians_account_hands_over_each_appointment_first(client, cast):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    _carol_free(cast)
    client.force_login(cast.dave.user)
    close = reverse("care_sessions:account-close", kwargs={"pk": cast.bob.user.pk})
    assert "Pass it to Carol Clarke" in page_text(client.get(close))
    assert client.post(close, {f"appointment-{cast.alice_session.pk}": str(cast.carol.pk)}).status_code == 302
    cast.bob.user.refresh_from_db()
    cast.alice_session.refresh_from_db()
    assert not cast.bob.user.is_active and cast.alice_session.clinician == cast.carol


def test_no_check_in_reminder_goes_out_for_an_appointment_with_an_inactive_clinician(cast):
    user_deactivate(person=cast.bob.user, by=cast.dave.user)
    reminder = Reminder.objects.create(
        recipient=cast.alice.user,
        kind=ReminderKind.CHECKIN,
        dedupe_key=r.checkin_dedupe_key(cast.alice_session),
        due_at=timezone.now(),
        care_session=cast.alice_session,
    )
    skipped = _deliver(reminder)
    assert (skipped.status, skipped.skipped_reason) == (
        ReminderStatus.SKIPPED,
        "The clinician is no longer on the patient's care team.",
    )


def test_no_reminder_goes_to_an_inactive_patient(cast):
    user_deactivate(person=cast.alice.user, by=cast.dave.user)
    reminder = Reminder.objects.create(
        recipient=cast.alice.user,
        kind=ReminderKind.CHECKIN,
        dedupe_key=r.checkin_dedupe_key(cast.alice_session),
        due_at=timezone.now(),
        care_session=cast.alice_session,
    )
    assert _deliver(reminder).skipped_reason == "The account is not active."


def test_passing_an_appointment_to_someone_already_booked_then_is_refused_next_to_it(client, cast):
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)  # Carol sees Frank at the same time
    client.force_login(cast.dave.user)
    response = client.post(_leave_url(cast, cast.bob), {f"appointment-{cast.alice_session.pk}": str(cast.carol.pk)})
    assert response.status_code == 400
    [message] = field_errors(response, f"appointment-{cast.alice_session.pk}")
    assert message.startswith("Carol Clarke already has a session at ")
    assert message.endswith(" that overlaps this time. Please choose another time.")
    cast.alice_session.refresh_from_db()
    assert cast.alice_session.clinician == cast.bob
    assert CareTeamMembership.objects.filter(patient=cast.alice, clinician=cast.bob).exists()

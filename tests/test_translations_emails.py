"""Every email a patient gets is written in her language: Spanish here, with no English left."""

from __future__ import annotations

import re

import pytest

from tests.test_translations import _written_by_people, english_on


def _english_in_email(message, people: list[str]) -> list[str]:
    text = re.sub(r"https?://\S+", " ", f"{message.subject}\n{message.body}")
    return english_on(text.replace("<", "‹"), people)


def _spanish(user):
    user.language = "es"
    user.save(update_fields=["language"])


def _send_due():
    from sessions.services import reminders

    ids = reminders.reminders_dispatch()
    return reminders.reminders_deliver_batch(reminder_ids=ids) if ids else {}


@pytest.mark.django_db
def test_every_email_a_patient_gets_is_written_in_her_language(cast, mailoutbox):
    """Check-in reminder, home-plan nudge, an appointment passed to another clinician, a new password, a
    new email address, her copy released, and an invitation in Spanish: no English in any subject or body."""
    from datetime import timedelta

    from django.utils import timezone

    from alliance.services import access_requests as sar
    from patients.services import email_change_request, invitation_create, password_reset_email_send
    from sessions.models import AppointmentChange, Reminder, ReminderKind
    from sessions.services import reminders
    from tests.care_sessions.helpers import plan_for
    from tests.care_sessions.test_reminders import no_quiet_hours
    from tests.factories import PASSWORD
    from tests.test_permissions import _alice_access_request

    alice = cast.alice.user
    _spanish(alice)
    no_quiet_hours(alice)
    Reminder.objects.create(
        recipient=alice,
        kind=ReminderKind.CHECKIN,
        dedupe_key=reminders.checkin_dedupe_key(cast.alice_session),
        due_at=timezone.now() - timedelta(minutes=1),
        care_session=cast.alice_session,
    )
    plan_for(cast, titles=("Paseo por la mañana", "Estiramientos"))
    Reminder.objects.create(
        recipient=alice, kind=ReminderKind.HOME_PLAN, dedupe_key="home_plan:es", due_at=timezone.now()
    )
    reminders.appointment_notice(care_session=cast.alice_session, change=AppointmentChange.CLINICIAN)
    assert _send_due() == {"sent": 3}
    password_reset_email_send(email=alice.email)
    email_change_request(user=alice, password=PASSWORD, new_email="alicia@example.org")
    request = _alice_access_request(cast, release=True)
    sar.access_copy_released_email(request_id=request["pk"])
    invitation_create(
        clinic=cast.riverside,
        created_by=cast.dave.user,
        email="rosa@example.org",
        full_name="Rosa Ruiz",
        role="patient",
        clinicians=[cast.bob],
        language="es",
    )
    to_alice = [m for m in mailoutbox if m.to in (["alice@example.org"], ["alicia@example.org"])]
    invited = [m for m in mailoutbox if m.to == ["rosa@example.org"]]
    assert len(to_alice) == 7 and len(invited) == 1, [(m.to, m.subject) for m in mailoutbox]
    people = _written_by_people()
    english = {m.subject: _english_in_email(m, people) for m in [*to_alice, *invited]}
    assert not any(english.values()), english
    subjects = sorted(message.subject for message in [*to_alice, *invited])
    print("\n".join(subjects))
    assert all(subject.strip() for subject in subjects)
    assert any("cuestionario" in subject for subject in subjects), subjects


@pytest.mark.django_db
def test_dates_and_numbers_on_her_pages_follow_her_language(client, cast):
    """Her next appointment reads "miércoles 2 de diciembre"; her pain average 4.5 reads "4,5"."""
    from django.utils import formats, timezone, translation

    from alliance.services.checkins import checkin_submit

    _spanish(cast.alice.user)
    checkin_submit(
        patient=cast.alice,
        care_session=None,
        alliance_answers={"relationship": 8, "goals": 8, "approach": 8, "overall": 8},
        pain_answers={"intensity": 4, "enjoyment": 5, "activity": None},
    )
    client.force_login(cast.alice.user)
    with translation.override("es"):
        day = formats.date_format(timezone.localtime(cast.alice_session.starts_at), "WEEKDAY_DAY_FORMAT")
    assert " de " in day
    home = client.get("/").content.decode()
    assert day in home
    progress = client.get("/progress/").content.decode()
    assert "4,5" in progress and "4.5" not in progress

"""Reminders without a worker: timing (quiet hours, time zones, clock changes), planning, deciding,
opting out, and the record people can see. The real-worker guarantees are in test_reminders_worker."""

import logging
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliance.services.checkins import checkin_submit
from sessions import services
from sessions.models import NudgeFrequency, Reminder, ReminderKind, ReminderPreference, ReminderStatus
from sessions.services import reminders as r
from tests.care_sessions.helpers import plan_for
from tests.factories import CareSessionFactory
from tests.helpers import field_errors, page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
GOOD_ANSWERS = {"relationship": 9, "goals": 9, "approach": 9, "overall": 9}


def prefs(**kwargs) -> ReminderPreference:
    return ReminderPreference(**kwargs)


def no_quiet_hours(user):
    ReminderPreference.objects.update_or_create(user=user, defaults={"quiet_start": time(0), "quiet_end": time(0)})


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


# --- timing --------------------------------------------------------------------------------------


def test_checkin_reminder_is_the_day_before_at_the_same_time_by_default():
    starts = local(LONDON, 2026, 12, 8, 14, 0)
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=LONDON, now=local(LONDON, 2026, 12, 1, 9, 0))
    assert due == local(LONDON, 2026, 12, 7, 14, 0)


def test_a_reminder_that_would_fall_in_quiet_hours_comes_earlier_not_after_the_appointment():
    starts = local(LONDON, 2026, 12, 9, 7, 30)
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=LONDON, now=local(LONDON, 2026, 12, 1, 9, 0))
    assert due == local(LONDON, 2026, 12, 7, 20, 45), "just before quiet hours began the evening before"


def test_spring_forward_keeps_the_same_clock_time_the_day_before():
    # The clocks go forward at 01:00 GMT on Sunday 29 March 2026.
    starts = local(LONDON, 2026, 3, 29, 14, 0)  # 13:00 UTC, British Summer Time
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=LONDON, now=local(LONDON, 2026, 3, 20, 9, 0))
    assert due.astimezone(LONDON).hour == 14
    assert due == datetime(2026, 3, 28, 14, 0, tzinfo=UTC), "23 real hours before, 14:00 on the clock"


def test_fall_back_keeps_the_same_clock_time_the_day_before():
    # The clocks go back at 02:00 BST on Sunday 25 October 2026.
    starts = local(LONDON, 2026, 10, 25, 14, 0)  # 14:00 UTC, GMT again
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=LONDON, now=local(LONDON, 2026, 10, 20, 9, 0))
    assert due == datetime(2026, 10, 24, 13, 0, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 14


def test_a_nudge_at_a_time_the_clocks_skip_still_happens():
    # 01:30 on 29 March 2026 does not exist in London; with no quiet hours it goes out just after the jump.
    due = r.daily_due_at(
        day=date(2026, 3, 29), at=time(1, 30), preference=prefs(quiet_start=time(0), quiet_end=time(0)), tz=LONDON
    )
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 2


def test_quiet_hours_and_time_are_the_patients_own_time_zone():
    starts = local(TOKYO, 2026, 12, 8, 23, 30)  # an evening video call, in Tokyo
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=TOKYO, now=local(TOKYO, 2026, 12, 1, 9, 0))
    assert due.astimezone(TOKYO) == local(TOKYO, 2026, 12, 7, 20, 45)
    starts = local(NEW_YORK, 2026, 12, 8, 10, 0)
    due = r.checkin_due_at(starts_at=starts, preference=prefs(), tz=NEW_YORK, now=local(NEW_YORK, 2026, 12, 1, 9))
    assert due == local(NEW_YORK, 2026, 12, 7, 10, 0)


def test_a_daily_nudge_in_quiet_hours_waits_for_the_morning():
    due = r.daily_due_at(day=date(2026, 12, 7), at=time(22, 30), preference=prefs(), tz=LONDON)
    assert due == local(LONDON, 2026, 12, 8, 8, 0)


def test_booked_late_means_remind_now_or_not_at_all():
    now = local(LONDON, 2026, 12, 7, 12, 0)
    soon = r.checkin_due_at(starts_at=now + timedelta(hours=3), preference=prefs(), tz=LONDON, now=now)
    assert soon == now
    assert r.checkin_due_at(starts_at=now + timedelta(minutes=40), preference=prefs(), tz=LONDON, now=now) is None


# --- planning ------------------------------------------------------------------------------------


def test_planning_twice_creates_nothing_new(cast):
    now = cast.alice_session.starts_at - timedelta(hours=25)
    first = r.reminders_plan(now=now)
    assert first == Reminder.objects.count()
    checkins = Reminder.objects.filter(kind=ReminderKind.CHECKIN).values_list("recipient__email", flat=True)
    assert sorted(checkins) == ["alice@example.org", "frank@example.org", "grace@example.org"]
    assert r.reminders_plan(now=now) == 0
    reminder = Reminder.objects.get(recipient=cast.alice.user, kind=ReminderKind.CHECKIN)
    assert reminder.care_session == cast.alice_session and reminder.status == ReminderStatus.PENDING


def test_no_checkin_reminder_for_someone_who_turned_them_off_or_already_checked_in(cast):
    services.reminder_preference_save(user=cast.alice.user, checkin_enabled=False)
    checkin_submit(patient=cast.frank, care_session=cast.frank_session, alliance_answers=GOOD_ANSWERS, pain_answers={})
    r.reminders_plan(now=cast.alice_session.starts_at - timedelta(hours=25))
    recipients = set(Reminder.objects.filter(kind=ReminderKind.CHECKIN).values_list("recipient__email", flat=True))
    assert recipients == {"grace@example.org"}


@pytest.mark.parametrize(
    ("frequency", "days"),
    [(NudgeFrequency.DAILY, 7), (NudgeFrequency.FEW_A_WEEK, 3), (NudgeFrequency.WEEKLY, 1), (NudgeFrequency.OFF, 0)],
)
def test_home_plan_nudges_follow_the_chosen_frequency(cast, frequency, days):
    plan_for(cast)
    services.reminder_preference_save(user=cast.alice.user, nudge_frequency=frequency)
    start = local(LONDON, 2026, 12, 7, 0, 30)  # a Monday
    for hour in range(0, 7 * 24, 6):
        r.reminders_plan(now=start + timedelta(hours=hour))
    nudges = Reminder.objects.filter(recipient=cast.alice.user, kind=ReminderKind.HOME_PLAN)
    assert nudges.filter(due_at__lt=start + timedelta(days=7)).count() == days
    assert all(n.due_at.astimezone(LONDON).time() == time(18, 0) for n in nudges)
    assert not Reminder.objects.filter(recipient=cast.frank.user, kind=ReminderKind.HOME_PLAN).exists(), "no plan"


# --- deciding and sending -----------------------------------------------------------------------


def _due_checkin(cast, patient=None, care_session=None):
    patient = patient or cast.alice
    care_session = care_session or cast.alice_session
    no_quiet_hours(patient.user)
    return Reminder.objects.create(
        recipient=patient.user,
        kind=ReminderKind.CHECKIN,
        dedupe_key=r.checkin_dedupe_key(care_session),
        due_at=timezone.now() - timedelta(minutes=1),
        care_session=care_session,
    )


def _send_due():
    """What a beat run and a worker do, here in the test: claim what is due, then deliver it.

    The claim's hand-over to the workers waits for a commit, which never comes inside a test's
    transaction, so nothing is published.
    """
    ids = r.reminders_dispatch()
    return r.reminders_deliver_batch(reminder_ids=ids) if ids else {}


def test_a_due_reminder_is_sent_once_with_a_warm_plain_email_and_an_opt_out(cast):
    reminder = _due_checkin(cast)
    assert _send_due() == {"sent": 1}
    assert r.reminders_dispatch() == [], "a second beat run finds nothing"
    assert r.reminder_deliver(reminder_id=reminder.pk) == "not-ours", "delivering again sends nothing"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "check-in" in message.subject and "Hello Alice" in message.body
    assert "even something that feels small or silly" in message.body
    assert message.extra_headers["Message-ID"] == f"<reminder-{reminder.pk}@alliance.invalid>"
    token_url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert token_url in message.body
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.sent_at and reminder.body == message.body


def test_the_database_will_not_hold_the_same_reminder_twice(cast):
    from django.db import IntegrityError, transaction

    reminder = _due_checkin(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            recipient=reminder.recipient, kind=reminder.kind, dedupe_key=reminder.dedupe_key, due_at=reminder.due_at
        )


def test_checked_in_since_planning_means_not_sent(cast):
    reminder = _due_checkin(cast)
    checkin_submit(patient=cast.alice, care_session=cast.alice_session, alliance_answers=GOOD_ANSWERS, pain_answers={})
    assert _send_due() == {"skipped": 1}
    reminder.refresh_from_db()
    assert reminder.skipped_reason == "Already checked in." and not mail.outbox


def test_opted_out_since_planning_means_not_sent(cast):
    reminder = _due_checkin(cast)
    ReminderPreference.objects.filter(user=cast.alice.user).update(checkin_enabled=False)
    assert _send_due() == {"skipped": 1}
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SKIPPED and not mail.outbox


def test_a_reminder_held_up_into_quiet_hours_waits_for_the_morning(cast):
    reminder = _due_checkin(cast)
    now_local = timezone.now().astimezone(LONDON)
    start = (now_local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now_local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    ReminderPreference.objects.filter(user=cast.alice.user).update(quiet_start=start, quiet_end=end)
    cast.alice_session.starts_at = timezone.now() + timedelta(hours=20)
    cast.alice_session.save()
    reminder.dedupe_key = r.checkin_dedupe_key(cast.alice_session)
    reminder.save()
    assert _send_due() == {"deferred": 1}
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING and reminder.due_at > timezone.now() and not mail.outbox


def test_a_moved_appointment_gets_a_new_reminder_and_the_old_one_stands_down(cast):
    reminder = _due_checkin(cast)
    cast.alice_session.starts_at += timedelta(hours=2)
    cast.alice_session.save()
    assert _send_due() == {"skipped": 1}
    assert "moved" in Reminder.objects.get(pk=reminder.pk).skipped_reason
    assert r.checkin_dedupe_key(cast.alice_session) != reminder.dedupe_key


def test_a_broker_outage_delays_but_loses_nothing(cast, unreachable_broker, django_capture_on_commit_callbacks, caplog):
    reminder = _due_checkin(cast)
    with django_capture_on_commit_callbacks(execute=True) as handed_over, caplog.at_level(logging.WARNING):
        assert r.reminders_dispatch() == [reminder.pk]
    assert len(handed_over) == 1, "the reminders are handed to the broker once the claim has committed"
    assert "Could not hand 1 reminders to the workers; they will be retried" in caplog.messages
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.QUEUED
    assert r.reminders_dispatch() == [], "not handed out again before the lease ends"
    later = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    assert r.reminders_dispatch(now=later) == [reminder.pk]
    assert r.reminders_deliver_batch(reminder_ids=[reminder.pk]) == {"sent": 1}
    assert len(mail.outbox) == 1


def test_a_home_plan_nudge_lists_the_plan_and_skips_a_day_already_logged(cast):
    plan = plan_for(cast, titles=("Morning walk", "Stretches"))
    no_quiet_hours(cast.alice.user)
    today = timezone.now().astimezone(LONDON).date()
    nudge = Reminder.objects.create(
        recipient=cast.alice.user, kind=ReminderKind.HOME_PLAN, dedupe_key=f"home_plan:{today}", due_at=timezone.now()
    )
    assert _send_due() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Morning walk (Most days)" in body and "Even a few minutes counts" in body
    for word in ("missed", "failed", "streak", "should have"):
        assert word not in body.lower()
    services.practice_log_record(by=cast.alice.user, item=plan.items.first(), outcome="done")
    Reminder.objects.create(
        recipient=cast.alice.user, kind=ReminderKind.HOME_PLAN, dedupe_key="home_plan:again", due_at=timezone.now()
    )
    assert _send_due() == {"skipped": 1}
    assert Reminder.objects.get(pk=nudge.pk).status == ReminderStatus.SENT, "the first nudge stays sent"


# --- the daily digest ---------------------------------------------------------------------------


def _digest(cast, key="digest:today"):
    no_quiet_hours(cast.bob.user)
    return Reminder.objects.create(
        recipient=cast.bob.user, kind=ReminderKind.DIGEST, dedupe_key=key, due_at=timezone.now() - timedelta(minutes=1)
    )


def test_digest_is_not_sent_when_nothing_is_new(cast):
    cast.alice_session.starts_at = timezone.now() + timedelta(days=5)
    cast.alice_session.save()
    reminder = _digest(cast)
    assert _send_due() == {"skipped": 1}
    assert Reminder.objects.get(pk=reminder.pk).skipped_reason == "Nothing new since the last digest."


def test_digest_lists_open_alerts_and_tomorrows_sessions_with_checkin_status(cast):
    tz = cast.bob.user.tzinfo
    tomorrow = timezone.now().astimezone(tz).date() + timedelta(days=1)
    cast.alice_session.starts_at = datetime.combine(tomorrow, time(11, 0), tzinfo=tz)
    cast.alice_session.save()
    CareSessionFactory(
        patient=cast.alice, clinician=cast.bob, starts_at=datetime.combine(tomorrow, time(15, 0), tzinfo=tz)
    )
    low = {"relationship": 2, "goals": 2, "approach": 2, "overall": 2}
    checkin_submit(patient=cast.alice, care_session=cast.alice_session, alliance_answers=low, pain_answers={})
    _digest(cast)
    assert _send_due() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Conversations to open" in body and "Alice Archer: 2 open" in body
    assert "11:00 Alice Archer — checked in" in body and "15:00 Alice Archer — not checked in yet" in body
    assert "Frank" not in body, "only the clinician's own caseload"


def test_a_digest_section_that_breaks_does_not_stop_the_digest(cast):
    from sessions import registry

    def broken(**kwargs):
        raise RuntimeError("a bug in someone's section")

    registry.digest_section_register("test.broken", broken)
    try:
        tz = cast.bob.user.tzinfo
        tomorrow = timezone.now().astimezone(tz).date() + timedelta(days=1)
        cast.alice_session.starts_at = datetime.combine(tomorrow, time(11, 0), tzinfo=tz)
        cast.alice_session.save()
        _digest(cast)
        assert _send_due() == {"sent": 1}
    finally:
        registry._digest_providers.pop("test.broken")


# --- opting out, preferences, and the record -----------------------------------------------------


def test_one_click_opt_out_needs_no_login_and_a_link_preview_changes_nothing(client, cast):
    token = r.unsubscribe_token(user=cast.alice.user, kind=ReminderKind.HOME_PLAN)
    url = reverse("care_sessions:unsubscribe", kwargs={"token": token})
    body = page_text(client.get(url))
    assert "Turn off home-plan nudge emails?" in body
    assert r.reminder_preference_for(user=cast.alice.user).nudge_frequency != NudgeFrequency.OFF
    response = client.post(url)
    assert response.status_code == 200 and "no more home-plan nudge emails" in page_text(response)
    assert r.reminder_preference_for(user=cast.alice.user).nudge_frequency == NudgeFrequency.OFF


def test_a_tampered_opt_out_link_is_not_recognised(client, cast):
    token = r.unsubscribe_token(user=cast.alice.user, kind=ReminderKind.CHECKIN)
    response = client.post(reverse("care_sessions:unsubscribe", kwargs={"token": token[:-2] + "xx"}))
    assert response.status_code == 404
    assert r.reminder_preference_for(user=cast.alice.user).checkin_enabled


def test_preferences_page_shows_each_role_its_own_kinds(client, cast):
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:reminder-preferences")))
    assert "Remind me to check in" in body and "Nudges about my home plan" in body and "daily digest" not in body
    client.force_login(cast.bob.user)
    body = page_text(client.get(reverse("care_sessions:reminder-preferences")))
    assert "daily digest" in body and "Remind me to check in" not in body
    client.force_login(cast.dave.user)
    assert "doesn't send reminders to clinic admins" in page_text(
        client.get(reverse("care_sessions:reminder-preferences"))
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("25:99", "Please enter a time such as 18:00."),
        ("", "Please choose a time."),
        ("<script>", "Please enter a time such as 18:00."),
        ("🕐", "Please enter a time such as 18:00."),
        ("x" * 10_000, "Please enter a time such as 18:00."),
    ],
    ids=["25:99", "empty", "script", "emoji", "10000"],
)
def test_preferences_bad_time_is_explained_and_nothing_saved(client, cast, bad, message):
    client.force_login(cast.alice.user)
    response = client.post(
        reverse("care_sessions:reminder-preferences"),
        {
            "checkin_enabled": "on",
            "checkin_hours_before": "24",
            "nudge_frequency": "daily",
            "nudge_time": bad,
            "quiet_start": "21:00",
            "quiet_end": "08:00",
        },
    )
    assert response.status_code == 400
    assert field_errors(response, "nudge_time") == [message]
    assert not ReminderPreference.objects.filter(user=cast.alice.user).exists()


def test_saving_preferences_retimes_waiting_reminders(client, cast):
    r.reminders_plan(now=cast.alice_session.starts_at - timedelta(hours=25))
    assert Reminder.objects.filter(recipient=cast.alice.user).exists()
    client.force_login(cast.alice.user)
    response = client.post(
        reverse("care_sessions:reminder-preferences"),
        {
            "checkin_enabled": "on",
            "checkin_hours_before": "2",
            "nudge_frequency": "off",
            "nudge_time": "18:00",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert response.status_code == 302
    saved = ReminderPreference.objects.get(user=cast.alice.user)
    assert (saved.checkin_hours_before, saved.nudge_frequency, saved.quiet_end) == (2, "off", time(7, 0))
    assert not Reminder.objects.filter(recipient=cast.alice.user, status=ReminderStatus.PENDING).exists()


def test_recipient_and_their_clinic_admins_see_what_was_sent(client, cast):
    _due_checkin(cast)
    _due_checkin(cast, patient=cast.grace, care_session=cast.grace_session)
    assert _send_due() == {"sent": 2}
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("care_sessions:reminders")))
    assert "Check-in reminder before an appointment" in body and "Hello Alice" in body
    client.force_login(cast.dave.user)
    body = page_text(client.get(reverse("care_sessions:reminders-clinic")))
    assert "Alice Archer" in body and "Grace Green" not in body
    assert "Hello Alice" not in body, "admins see that it was sent, not what it said"
    body = page_text(client.get(reverse("care_sessions:reminders-person", kwargs={"pk": cast.alice.user.pk})))
    assert "Reminders for Alice Archer" in body and "Sent" in body
    client.force_login(cast.erin.user)
    body = page_text(client.get(reverse("care_sessions:reminders-clinic")))
    assert "Grace Green" in body and "Alice Archer" not in body


def test_reminder_record_pages_query_count_is_the_same_for_1_and_50_reminders(cast):
    def add(n):
        made = Reminder.objects.count()
        Reminder.objects.bulk_create(
            Reminder(
                recipient=cast.alice.user,
                kind=ReminderKind.HOME_PLAN,
                dedupe_key=f"k{made + i}",
                due_at=timezone.now(),
                status=ReminderStatus.SENT,
                sent_at=timezone.now(),
                subject="Nudge",
                body="Hello",
            )
            for i in range(n)
        )

    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.dave.user, reverse("care_sessions:reminders-clinic"), 10),
            (cast.alice.user, reverse("care_sessions:reminders"), 10),
        ],
    )


def test_digest_carries_the_records_sections_as_names_and_counts_never_contents(cast):
    from tests.alliance.record import helpers as rh

    rh.ask(cast, text="Is it silly to worry about my knee clicking?", silly=True)
    rh.doesnt_fit(cast, words="It feels like damage to me")
    rh.win(cast, text="I walked to the post box")
    cast.alice_session.starts_at = timezone.now() + timedelta(days=5)
    cast.alice_session.save()
    _digest(cast)
    assert _send_due() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Questions waiting for you\n  • Alice Archer: 1 open question (1 new)" in body
    assert "Explanations to talk through\n  • Alice Archer: 1 explanation that doesn't fully fit (1 new)" in body
    assert "Wins to acknowledge\n  • Alice Archer: 1 win waiting for your reply (1 new)" in body
    for private in ("knee clicking", "silly", "damage to me", "post box"):
        assert private not in body
    # The next day, with nothing new, the same open items do not make a digest on their own.
    _digest(cast, key="digest:tomorrow")
    assert _send_due() == {"skipped": 1}


def test_digest_counts_read_naturally():
    from alliance.selectors.digest import _per_patient

    now = timezone.now()
    lines, new = _per_patient(
        [("Ann", now), ("Ann", now - timedelta(days=3)), ("Bo", now - timedelta(days=3))],
        now - timedelta(days=1),
        ("win waiting for your reply", "wins waiting for your reply"),
    )
    assert lines == ["Ann: 2 wins waiting for your reply (1 new)", "Bo: 1 win waiting for your reply"]
    assert new == 1

"""Reminders with real Redis and real worker processes: sent once, never lost.

Each test starts its own ``celery -A config worker`` processes on a private queue against the test
database (tests/workers.py), and counts what really left through a mailbox in Redis that outlives
any worker. Nothing waits a fixed time: each step waits until what it needs holds. Time
arithmetic across clock changes is checked in test_reminders (it is the same code the planner runs);
here the workers apply quiet hours, time zones and opt-outs at the moment of sending.
"""

from __future__ import annotations

import math
import os
import uuid
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from sessions.models import CareSession, Reminder, ReminderKind, ReminderPreference, ReminderStatus
from sessions.services import reminders as r
from sessions.tasks import reminders_send
from tests.care_sessions.workers import mailbox_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _need(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI runs every test; this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture
def broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        _need("These tests need Redis: set REDIS_URL (for example redis://127.0.0.1:6379/4).")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        _need(f"Redis at {url} is not answering.")
    return url


class Mailbox:
    def __init__(self, client: redis.Redis, key: str):
        self.client, self.key = client, key

    def ids(self) -> list[int]:
        return [int(value) for value in self.client.lrange(self.key, 0, -1) if value.isdigit()]

    def stalled_on(self) -> int | None:
        value = self.client.get(f"{self.key}:stalled")
        return int(value) if value else None


@pytest.fixture
def mailbox(broker_url):
    client = redis.Redis.from_url(broker_url)
    box = Mailbox(client, f"test-mailbox-{uuid.uuid4().hex[:12]}")
    yield box
    client.delete(box.key, f"{box.key}:stalled")


@pytest.fixture
def workers(broker_url, mailbox, celery_workers):
    # Asked for after the mailbox, so the workers are stopped before it is emptied.
    celery_workers.env.update(mailbox_env(broker_url=broker_url, mailbox=mailbox.key))
    return celery_workers


def no_quiet_hours(user):
    ReminderPreference.objects.update_or_create(user=user, defaults={"quiet_start": clock(0), "quiet_end": clock(0)})


def due_checkins(cast, count: int, patient=None) -> list[int]:
    """``count`` check-in reminders due now, for appointments a few hours away."""
    patient = patient or cast.alice
    no_quiet_hours(patient.user)
    start = timezone.now() + timedelta(hours=3)
    clinician = patient.clinicians.get()  # the one clinician on each cast patient's care team
    sessions = CareSession.objects.bulk_create(
        CareSession(patient=patient, clinician=clinician, starts_at=start + timedelta(minutes=n)) for n in range(count)
    )
    reminders = Reminder.objects.bulk_create(
        Reminder(
            recipient=patient.user,
            kind=ReminderKind.CHECKIN,
            dedupe_key=r.checkin_dedupe_key(s),
            due_at=timezone.now() - timedelta(minutes=1),
            care_session=s,
        )
        for s in sessions
    )
    return [reminder.pk for reminder in reminders]


def sent(ids) -> int:
    return Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SENT).count()


def beat_run(queue: str) -> list[int]:
    """What one beat tick does: plan, then dispatch."""
    r.reminders_plan()
    return r.reminders_dispatch(queue=queue)


def test_due_reminders_are_sent_once_and_a_second_beat_run_sends_nothing_new(cast, workers, mailbox):
    ids = due_checkins(cast, 20)
    workers.start_worker()
    handed_out = beat_run(workers.queue)
    assert set(ids) <= set(handed_out)
    workers.wait_until(lambda: sent(ids) == 20, "20 reminders to be sent")
    # The run also handed out reminders the planner made for the cast; let those finish too, so
    # a slow one is not taken for something the second run sent.
    workers.wait_until_settled()
    assert not Reminder.objects.filter(pk__in=handed_out, status=ReminderStatus.QUEUED).exists()
    before = mailbox.ids()
    assert set(ids) <= set(before)
    assert not set(ids) & set(beat_run(workers.queue)), "nothing of ours is handed out again"
    workers.wait_until_settled()  # whatever the second run handed out has been dealt with
    after = mailbox.ids()
    assert Counter(after) == Counter(before), "the second run sent nothing new"
    assert len(after) == len(set(after)), "and nothing was sent twice"


def test_a_real_worker_applies_time_zones_quiet_hours_and_opt_outs_when_sending(cast, workers, mailbox):
    # Alice lives in New York and is inside her quiet hours right now.
    cast.alice.user.timezone = "America/New_York"
    cast.alice.user.save()
    ny_now = timezone.now().astimezone(zoneinfo.ZoneInfo("America/New_York"))
    quiet_start = (ny_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    quiet_end = (ny_now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    [quiet] = due_checkins(cast, 1)
    CareSession.objects.filter(reminders__pk=quiet).update(starts_at=timezone.now() + timedelta(hours=30))
    Reminder.objects.filter(pk=quiet).update(
        dedupe_key=r.checkin_dedupe_key(CareSession.objects.get(reminders__pk=quiet))
    )
    ReminderPreference.objects.filter(user=cast.alice.user).update(quiet_start=quiet_start, quiet_end=quiet_end)
    # Grace lives in Tokyo with no quiet hours; Frank has turned check-in reminders off.
    cast.grace.user.timezone = "Asia/Tokyo"
    cast.grace.user.save()
    [wanted] = due_checkins(cast, 1, patient=cast.grace)
    [opted_out] = due_checkins(cast, 1, patient=cast.frank)
    ReminderPreference.objects.filter(user=cast.frank.user).update(checkin_enabled=False)

    workers.start_worker()
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until(
        lambda: not Reminder.objects.filter(pk__in=[quiet, wanted, opted_out], status=ReminderStatus.QUEUED).exists(),
        "the worker to decide all three",
    )
    assert mailbox.ids().count(wanted) == 1
    assert quiet not in mailbox.ids() and opted_out not in mailbox.ids()
    deferred = Reminder.objects.get(pk=quiet)
    assert deferred.status == ReminderStatus.PENDING
    assert deferred.due_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).time() == quiet_end
    assert Reminder.objects.get(pk=opted_out).skipped_reason == "Turned off by the recipient."


def test_two_workers_racing_over_1000_due_reminders_send_each_exactly_once(cast, workers, mailbox):
    ids = due_checkins(cast, 1000)
    first, second = workers.start_worker("a", wait=False), workers.start_worker("b", wait=False)
    workers.wait_ready(first, second)
    dispatched = r.reminders_dispatch(queue=workers.queue, batch_size=25)
    assert set(ids) <= set(dispatched)
    # Every id is handed out a second time in other batches, as after a lease ran out.
    shuffled = list(reversed(ids))
    for start in range(0, len(shuffled), 40):
        reminders_send.apply_async(args=[shuffled[start : start + 40]], queue=workers.queue)
    assert len(workers.sent) == math.ceil(len(dispatched) / 25) + 25, "batches of 25, then 25 batches of 40"
    workers.wait_until(lambda: sent(ids) == 1000, "1,000 reminders to be sent")
    workers.wait_until_settled()  # the duplicate batches have found nothing to do
    counts = Counter(mailbox.ids())
    assert {pk for pk in ids if counts[pk] != 1} == set(), "each sent exactly once"
    assert all(n == 1 for n in counts.values())
    for worker in (first, second):
        assert "succeeded" in worker.log() and worker.running, f"worker {worker.name} took part"


def test_a_worker_killed_mid_send_leaves_no_duplicates_and_no_losses(cast, workers, mailbox):
    ids = due_checkins(cast, 200)
    doomed = workers.start_worker("doomed", ALLIANCE_MAILBOX_STALL_AFTER="30")
    r.reminders_dispatch(queue=workers.queue, batch_size=25)
    stalled = workers.wait_until(mailbox.stalled_on, "the worker to stall mid-send")
    doomed.kill()

    # The killed worker's open transaction is rolled back: the one it was sending is still to send.
    workers.wait_until(
        lambda: Reminder.objects.filter(pk=stalled, status=ReminderStatus.QUEUED).exists() and sent(ids) == 30,
        "the database to show 30 sent and the interrupted one still queued",
    )
    assert len(mailbox.ids()) == 30

    workers.start_worker("rescuer")
    # Beat, after the lease has run out, hands out again everything still queued.
    later = timezone.now() + timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    r.reminders_dispatch(now=later, queue=workers.queue, batch_size=25)
    workers.wait_until(lambda: sent(ids) == 200, "all 200 reminders to be sent")
    workers.wait_until_settled()  # every batch but the one the killed worker held has been dealt with
    counts = Counter(mailbox.ids())
    assert sorted(counts) == sorted(ids), "none lost"
    assert set(counts.values()) == {1}, "none sent twice"
    assert Reminder.objects.get(pk=stalled).attempts == 2


# --- every email in its recipient's own time zone, subject and body alike -----------------------------

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _checkin_reminder(patient, clinician, starts_at) -> Reminder:
    ReminderPreference.objects.update_or_create(
        user=patient.user, defaults={"quiet_start": datetime.min.time(), "quiet_end": datetime.min.time()}
    )
    care_session = CareSession.objects.create(patient=patient, clinician=clinician, starts_at=starts_at)
    return Reminder.objects.create(
        recipient=patient.user,
        kind=ReminderKind.CHECKIN,
        dedupe_key=r.checkin_dedupe_key(care_session),
        due_at=timezone.now() - timedelta(minutes=1),
        care_session=care_session,
        status=ReminderStatus.QUEUED,
        queued_at=timezone.now(),
    )


def test_a_real_worker_writes_check_in_reminders_in_each_patients_own_time_zone(cast, workers):
    # A summer Wednesday at 14:00 in London is 13:00 UTC.
    london = _checkin_reminder(cast.alice, cast.bob, datetime(2027, 7, 7, 14, 0, tzinfo=LONDON))
    # Thursday 03:30 in London is Wednesday 22:30 for a patient who lives in New York.
    cast.frank.user.timezone = "America/New_York"
    cast.frank.user.save(update_fields=["timezone"])
    new_york = _checkin_reminder(cast.frank, cast.carol, datetime(2027, 7, 8, 3, 30, tzinfo=LONDON))
    workers.start_worker()
    reminders_send.apply_async(args=[[london.pk, new_york.pk]], queue=workers.queue)
    done = Reminder.objects.filter(pk__in=[london.pk, new_york.pk], status=ReminderStatus.SENT)
    workers.wait_until(lambda: done.count() == 2, "both reminders to be sent")
    london.refresh_from_db()
    new_york.refresh_from_db()
    assert london.subject == "Your appointment on Wednesday at 14:00: a two-minute check-in"
    assert "on Wednesday 7 July at 14:00." in london.body
    assert new_york.subject == "Your appointment on Wednesday at 22:30 (New York time): a two-minute check-in"
    assert "on Wednesday 7 July at 22:30 (New York time)." in new_york.body


def test_a_real_worker_dates_each_clinicians_digest_by_their_own_day(cast, workers):
    """UTC+14 and UTC-11: at any moment at least one of the two is on another day than the server."""
    from alliance.services.record import question_ask

    zones = {cast.bob: "Pacific/Kiritimati", cast.carol: "Pacific/Pago_Pago"}
    digests = {}
    for clinician, zone in zones.items():
        clinician.user.timezone = zone
        clinician.user.save(update_fields=["timezone"])
        patient = cast.alice if clinician == cast.bob else cast.frank
        question_ask(patient=patient, by=patient.user, text="Is it silly to ask?", worried_silly=True, route="ask_now")
        ReminderPreference.objects.update_or_create(
            user=clinician.user, defaults={"quiet_start": datetime.min.time(), "quiet_end": datetime.min.time()}
        )
        digests[clinician] = Reminder.objects.create(
            recipient=clinician.user,
            kind=ReminderKind.DIGEST,
            dedupe_key="digest:test",
            due_at=timezone.now() - timedelta(minutes=1),
            status=ReminderStatus.QUEUED,
            queued_at=timezone.now(),
        )
    workers.start_worker()
    reminders_send.apply_async(args=[[d.pk for d in digests.values()]], queue=workers.queue)
    sent_digests = Reminder.objects.filter(pk__in=[d.pk for d in digests.values()], status=ReminderStatus.SENT)
    workers.wait_until(lambda: sent_digests.count() == 2, "both digests to be sent")
    for clinician, digest in digests.items():
        digest.refresh_from_db()
        day = digest.sent_at.astimezone(zoneinfo.ZoneInfo(zones[clinician]))
        assert digest.subject == f"Your Alliance digest for {day:%A} {day.day} {day:%B}"
        assert f"what's new on your caseload for {day:%A} {day.day} {day:%B}." in digest.body

"""The "something new is waiting" email, through real Redis and a real worker: the patient's choice
(off by default), once per batch until they visit, in their own time zone and never in their quiet
hours, saying nothing of what is new."""

from __future__ import annotations

import zoneinfo
from datetime import time as clock
from datetime import timedelta

import pytest
from django.utils import timezone

from alliance.services import record as svc
from alliance.services.news import news_visit_mark
from sessions.models import Reminder, ReminderKind, ReminderPreference, ReminderStatus
from sessions.services import reminders as r
from tests.care_sessions.test_reminders_worker import broker_url, mailbox, workers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _answer(patient, clinician, text):
    question = svc.question_ask(patient=patient, by=patient.user, text=text, worried_silly=False, route="ask_now")
    svc.question_answer(question=question, by=clinician.user, body=f"About {text}: yes, gently.")


def _news(user) -> list[Reminder]:
    return list(Reminder.objects.filter(recipient=user, kind=ReminderKind.NEWS).order_by("pk"))


def test_one_email_per_batch_in_each_patients_zone_and_never_in_quiet_hours(cast, workers, mailbox):  # noqa: F811
    # Alice, in London, asked for these emails and has no quiet hours.
    cast.alice.user.timezone = "Europe/London"
    cast.alice.user.save()
    ReminderPreference.objects.create(user=cast.alice.user, news_enabled=True, quiet_start=clock(0), quiet_end=clock(0))
    # Grace, in Tokyo, asked for them too, and it is her quiet hours there now.
    cast.grace.user.timezone = "Asia/Tokyo"
    cast.grace.user.save()
    tokyo_now = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    quiet_end = (tokyo_now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    ReminderPreference.objects.create(
        user=cast.grace.user,
        news_enabled=True,
        quiet_start=(tokyo_now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_end=quiet_end,
    )
    # Frank has never changed his choices: the email is off by default.
    _answer(cast.frank, cast.carol, "Frank's worry")
    _answer(cast.alice, cast.bob, "Can I swim?")
    _answer(cast.alice, cast.bob, "Can I cycle?")
    _answer(cast.grace, cast.heidi, "Can I garden?")

    r.reminders_plan()
    [alice_first] = _news(cast.alice.user)
    [grace_email] = _news(cast.grace.user)
    assert _news(cast.frank.user) == []
    assert alice_first.due_at <= timezone.now()
    # Grace's waits for the end of her quiet hours, in Tokyo time.
    assert grace_email.due_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).time() == quiet_end

    workers.start_worker()
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until(
        lambda: Reminder.objects.filter(pk=alice_first.pk, status=ReminderStatus.SENT).exists(),
        "alice's email to be sent",
    )
    workers.wait_until_settled()
    assert mailbox.ids().count(alice_first.pk) == 1 and grace_email.pk not in mailbox.ids()
    alice_first.refresh_from_db()
    # It says only that something is waiting, and how to stop these emails.
    assert alice_first.subject == "Something new is waiting for you in Alliance"
    assert "/whats-new/" in alice_first.body and "/reminders/unsubscribe/" in alice_first.body
    for secret in ("swim", "cycle", "gently", "question", "answer"):
        assert secret not in alice_first.body.lower()

    # More news before she visits: the same batch, no second email.
    _answer(cast.alice, cast.bob, "Can I run?")
    r.reminders_plan()
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until_settled()
    assert [n.pk for n in _news(cast.alice.user)] == [alice_first.pk]
    assert mailbox.ids().count(alice_first.pk) == 1

    # She visits; something new after that starts a new batch, and one more email.
    news_visit_mark(user=cast.alice.user)
    r.reminders_plan()
    assert len(_news(cast.alice.user)) == 1, "what she saw at her visit is not news to email about"
    _answer(cast.alice, cast.bob, "Can I dance?")
    r.reminders_plan()
    alice_second = _news(cast.alice.user)[-1]
    assert alice_second.pk != alice_first.pk
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until(
        lambda: Reminder.objects.filter(pk=alice_second.pk, status=ReminderStatus.SENT).exists(),
        "alice's second email to be sent",
    )

    # Morning in Tokyo: Grace's quiet hours are over and her one email goes.
    ReminderPreference.objects.filter(user=cast.grace.user).update(quiet_start=clock(0), quiet_end=clock(0))
    Reminder.objects.filter(pk=grace_email.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until(
        lambda: Reminder.objects.filter(pk=grace_email.pk, status=ReminderStatus.SENT).exists(),
        "grace's email to be sent after her quiet hours",
    )
    workers.wait_until_settled()
    ids = mailbox.ids()
    assert ids.count(alice_first.pk) == 1 and ids.count(alice_second.pk) == 1 and ids.count(grace_email.pk) == 1
    assert not Reminder.objects.filter(recipient=cast.frank.user, kind=ReminderKind.NEWS).exists()


def test_a_patient_who_visited_before_the_email_went_is_not_sent_it(cast, workers, mailbox):  # noqa: F811
    ReminderPreference.objects.create(user=cast.alice.user, news_enabled=True, quiet_start=clock(0), quiet_end=clock(0))
    _answer(cast.alice, cast.bob, "Can I swim?")
    r.reminders_plan()
    [planned] = _news(cast.alice.user)
    news_visit_mark(user=cast.alice.user)
    workers.start_worker()
    r.reminders_dispatch(queue=workers.queue)
    workers.wait_until(
        lambda: Reminder.objects.filter(pk=planned.pk, status=ReminderStatus.SKIPPED).exists(),
        "the worker to skip it",
    )
    assert planned.pk not in mailbox.ids()
    assert Reminder.objects.get(pk=planned.pk).skipped_reason == "Visited since, or nothing new is waiting now."

"""Celery with real worker processes, not eager mode.

Eager mode would hide the two things that go wrong in production: a task published to a broker
nobody consumes, and a worker that cannot see rows the sender has not committed. So these tests start
``celery -A config worker`` (and beat) as separate processes against the test database, and watch for
the task's effect there. Each test uses its own queue, so a worker left over from an interrupted run,
or another worker on the same broker, never takes its messages (tests/workers.py starts them).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from patients.models import LoginSession
from patients.tasks import login_sessions_clear_expired
from tests.factories import UserFactory

TASK = "patients.tasks.login_sessions_clear_expired"


def expired_and_current_login_sessions() -> tuple[str, str]:
    """One login session that ended an hour ago and one still running, each tracked for its user."""
    user = UserFactory()
    keys = []
    for expire_date in (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(minutes=20)):
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store.create()
        Session.objects.filter(session_key=store.session_key).update(expire_date=expire_date)
        LoginSession.objects.create(user=user, session_key=store.session_key)
        keys.append(store.session_key)
    return keys[0], keys[1]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_the_configured_broker_runs_on_a_real_worker(celery_workers):
    expired, current = expired_and_current_login_sessions()
    # Whatever the settings say (Redis on CI, the filesystem broker on a laptop), the worker gets the
    # same broker; only the database and the queue are the test's own.
    worker = celery_workers.start_worker(wait=False)

    login_sessions_clear_expired.apply_async(queue=celery_workers.queue)

    celery_workers.wait_until(
        lambda: not Session.objects.filter(session_key=expired).exists(), "the expired session to be deleted"
    )
    assert Session.objects.filter(session_key=current).exists()
    assert list(LoginSession.objects.values_list("session_key", flat=True)) == [current]
    celery_workers.wait_until(lambda: "succeeded" in worker.log(), "the worker to log success")
    log = worker.log()
    assert f"{settings.CELERY_BROKER_URL.split('://')[0]}://" in log
    assert f"Task {TASK}[" in log


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_embedded_filesystem_broker_runs_a_beat_schedule_on_a_real_worker(celery_workers, tmp_path):
    expired, current = expired_and_current_login_sessions()
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=f"clear expired login sessions ({celery_workers.queue})",
        task=TASK,
        interval=every_second,
        queue=celery_workers.queue,
    )
    var_dir = tmp_path / "var"
    # No broker configured at all: the settings fall back to folders under ALLIANCE_VAR_DIR.
    celery_workers.env.update(CELERY_BROKER_URL=None, REDIS_URL=None, ALLIANCE_VAR_DIR=str(var_dir))
    worker = celery_workers.start_worker(wait=False)
    beat = celery_workers.start_beat()

    celery_workers.wait_until(
        lambda: not Session.objects.filter(session_key=expired).exists(), "beat's task to delete the expired session"
    )
    assert Session.objects.filter(session_key=current).exists()
    celery_workers.wait_until(lambda: "succeeded" in worker.log(), "the worker to log success")
    assert "transport:   filesystem://" in worker.log()
    assert f"Sending due task clear expired login sessions ({celery_workers.queue})" in beat.log()
    assert (var_dir / "celery" / "queue").is_dir()

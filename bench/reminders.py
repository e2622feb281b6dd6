#!/usr/bin/env python
"""Reminder throughput with real workers: make N due reminders, drain them with W workers via Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/reminders.py [--count 10000] [--workers 2] [--batch 50]

It makes a throw-away clinic with 100 patients and N check-in reminders that are due now, starts W
``celery -A config worker --pool=solo`` processes, runs the dispatcher once (as beat would), and
waits until every reminder is sent. Each email goes to a Redis list, which outlives the workers, so
the count of what really left is independent of the database. Prints throughput and the duplicate
and lost counts; exits non-zero unless both are 0. Everything it made is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The workers' settings: the app's own, with an email backend that records to Redis.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.care_sessions.worker_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients.models import CareTeamMembership, Clinic, Clinician, Patient, User  # noqa: E402
from sessions.models import CareSession, Reminder, ReminderKind, ReminderPreference, ReminderStatus  # noqa: E402
from sessions.services.reminders import checkin_dedupe_key, reminders_dispatch  # noqa: E402
from tests.care_sessions.mailbox import mailbox_client  # noqa: E402
from tests.care_sessions.workers import Workers, database_url  # noqa: E402

PATIENTS = 100


def make_reminders(clinic: Clinic, count: int) -> list[int]:
    tag = clinic.name.split()[-1]
    clinician_user = User.objects.create_user(
        f"bench-clinician-{tag}@bench.invalid", full_name=f"Bench Clinician {tag}"
    )
    clinician = Clinician.objects.create(user=clinician_user, clinic=clinic)
    users = User.objects.bulk_create(
        User(email=f"bench-{tag}-{n}@bench.invalid", full_name=f"Bench Patient {tag} {n}", password=make_password(None))
        for n in range(PATIENTS)
    )
    patients = Patient.objects.bulk_create(Patient(user=user, clinic=clinic) for user in users)
    CareTeamMembership.objects.bulk_create(CareTeamMembership(patient=p, clinician=clinician) for p in patients)
    # No quiet hours, so the figures do not depend on the time of day the benchmark runs.
    ReminderPreference.objects.bulk_create(
        ReminderPreference(user=user, quiet_start="00:00", quiet_end="00:00") for user in users
    )
    start = timezone.now() + timedelta(hours=3)
    sessions = CareSession.objects.bulk_create(
        (
            CareSession(
                patient=patients[n % PATIENTS],
                clinician=clinician,
                starts_at=start + timedelta(minutes=n // PATIENTS),
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    due = timezone.now() - timedelta(minutes=1)
    reminders = Reminder.objects.bulk_create(
        (
            Reminder(
                recipient_id=s.patient.user_id,
                kind=ReminderKind.CHECKIN,
                dedupe_key=checkin_dedupe_key(s),
                due_at=due,
                care_session=s,
            )
            for s in sessions
        ),
        batch_size=2000,
    )
    return [r.pk for r in reminders]


def clean_up(clinic: Clinic) -> None:
    Reminder.objects.filter(recipient__patient__clinic=clinic).delete()
    CareSession.objects.filter(patient__clinic=clinic).delete()
    users = list(
        User.objects.filter(email__endswith="@bench.invalid", patient__clinic=clinic).values_list("pk", flat=True)
    )
    clinician_users = list(Clinician.objects.filter(clinic=clinic).values_list("user_id", flat=True))
    CareTeamMembership.objects.filter(patient__clinic=clinic).delete()
    Patient.objects.filter(clinic=clinic).delete()
    Clinician.objects.filter(clinic=clinic).delete()
    ReminderPreference.objects.filter(user_id__in=users).delete()
    User.objects.filter(pk__in=users + clinician_users).delete()
    clinic.delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis"):
        print("bench/reminders.py needs Redis: set REDIS_URL (or CELERY_BROKER_URL).", file=sys.stderr)
        return 2
    if connection.vendor != "postgresql":
        print("bench/reminders.py needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2

    clinic = Clinic.objects.create(name=f"Reminder bench {uuid.uuid4().hex[:8]}")
    mailbox = f"bench-mailbox-{uuid.uuid4().hex[:8]}"
    os.environ["ALLIANCE_MAILBOX_REDIS"] = broker
    redis = mailbox_client()
    with tempfile.TemporaryDirectory() as tmp:
        workers = Workers(Path(tmp), broker_url=broker, mailbox=mailbox, db_url=database_url())
        try:
            print(f"Making {args.count:,} due reminders …", flush=True)
            ids = make_reminders(clinic, args.count)
            print(f"Starting {args.workers} workers on {broker} …", flush=True)
            for n in range(args.workers):
                workers.start(f"bench{n}")
            started = time.perf_counter()
            dispatched = reminders_dispatch(limit=args.count, batch_size=args.batch, queue=workers.queue)
            dispatch_seconds = time.perf_counter() - started
            pending = Reminder.objects.filter(pk__in=ids).exclude(status=ReminderStatus.SENT)
            deadline = time.monotonic() + args.timeout
            while pending.exists():
                if time.monotonic() > deadline:
                    print(f"Timed out.\n{workers.logs()}", file=sys.stderr)
                    break
                time.sleep(0.25)
            elapsed = time.perf_counter() - started
            time.sleep(2)  # anything still in flight would show up as a duplicate
            sent_emails = Counter(int(v) for v in redis.lrange(mailbox, 0, -1) if v.isdigit())
            sent_rows = Reminder.objects.filter(pk__in=ids, status=ReminderStatus.SENT).count()
            duplicates = sum(n - 1 for n in sent_emails.values() if n > 1)
            lost = len(set(ids) - set(sent_emails))
            print()
            print(f"reminders          {args.count:,} due, {len(dispatched):,} dispatched in {dispatch_seconds:.2f} s")
            print(f"workers            {args.workers} × celery --pool=solo, batches of {args.batch}")
            print(f"drained in         {elapsed:.2f} s")
            print(f"throughput         {sent_rows / elapsed:,.0f} reminders/s")
            print(f"emails sent        {sum(sent_emails.values()):,} ({len(sent_emails):,} distinct)")
            print(f"rows marked sent   {sent_rows:,}")
            print(f"duplicates         {duplicates}")
            print(f"lost               {lost}")
            return 0 if duplicates == 0 and lost == 0 and sent_rows == args.count else 1
        finally:
            workers.stop_all()
            redis.delete(mailbox, f"{mailbox}:stalled", workers.queue)
            clean_up(clinic)


if __name__ == "__main__":
    sys.exit(main())

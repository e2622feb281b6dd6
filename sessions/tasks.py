"""Reminder tasks: thin, idempotent, and acknowledged only after they finish (``acks_late``).

Beat runs ``reminders_plan`` and ``reminders_dispatch``; the dispatcher hands ids to
``reminders_send`` after its claim has committed. No task carries a long countdown: what is due
lives in PostgreSQL, so Redis's visibility timeout can never redeliver a reminder into a duplicate.
"""

from celery import shared_task

from sessions.services import reminders as service


@shared_task(acks_late=True, ignore_result=True)
def reminders_plan() -> int:
    return service.reminders_plan()


@shared_task(acks_late=True, ignore_result=True)
def reminders_dispatch() -> int:
    return len(service.reminders_dispatch())


# The dispatcher publishes batches to ``reminders_send``, which lives beside it in the service
# (a service never imports a task); importing it here registers it with the worker.
reminders_send = service.reminders_send

"""Celery tasks for reports and exports. Thin: they take ids and call a service."""

from celery import shared_task

from alliance.services import exports as services

# A crashed worker's export is taken over once its progress has gone quiet for STALE_AFTER.
RETRY_BUSY_AFTER = int(services.STALE_AFTER.total_seconds()) + 60


@shared_task(bind=True, ignore_result=True, max_retries=3)
def export_run(self, export_id: int) -> None:
    """Prepare an export's file. If another worker is on it (a redelivered message), look again later."""
    outcome = services.export_run(export_id=export_id)
    if outcome.busy:
        raise self.retry(countdown=RETRY_BUSY_AFTER)


@shared_task(ignore_result=True)
def exports_housekeeping() -> dict[str, int]:
    """Every half hour (beat): delete expired export files, give up on stuck ones, requeue lost ones."""
    return services.exports_housekeeping()

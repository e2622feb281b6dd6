"""Celery tasks for exports. Thin: they take ids and call a service.

``export_run`` lives beside the service that sends it (``alliance.services.exports``), because a
service never imports a task; importing it here registers it with the worker under this name.
"""

from celery import shared_task

from alliance.services import access_requests
from alliance.services import exports as services

export_run = services.export_run_task
access_request_build = access_requests.access_request_build_task
access_copy_released_notify = access_requests.access_copy_released_notify


@shared_task(ignore_result=True)
def exports_housekeeping() -> dict[str, int]:
    """Every half hour (beat): delete expired export files, give up on stuck ones, requeue lost ones
    (subject access requests' copies included)."""
    counts = services.exports_housekeeping()
    counts["access_requests_requeued"] = access_requests.access_requests_requeue()
    return counts


@shared_task(ignore_result=True)
def exports_dispatch_unsent() -> int:
    """Every minute (beat): send the exports, subject access copies to build and patients' "your copy is
    waiting" emails that were asked for while the broker was down, now that it answers. How many were sent."""
    return services.exports_dispatch_unsent() + access_requests.access_requests_dispatch_unsent()

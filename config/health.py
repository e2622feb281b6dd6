"""``GET /healthz``: whether the database and the broker answer, for load balancers and monitoring.

It needs no sign-in and shows nothing but "ok" or "error" for each part.
"""

import logging

from celery import current_app
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: says which part is down, and nothing else."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure at all means "not ok"; the log has the detail
        logger.exception("healthz: database check failed")
        checks["database"] = "error"
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:
        logger.exception("healthz: broker check failed")
        checks["broker"] = "error"
    status = 200 if all(value == "ok" for value in checks.values()) else 503
    return JsonResponse(checks, status=status)

"""django-axes with a second limit: failures from one address across any emails (password spraying)."""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AddressLimitedHandler(AxesDatabaseHandler):
    """Axes' database handler, also pausing an address once ``AXES_ADDRESS_FAILURE_LIMIT`` sign-ins from it
    failed within the cool-off time, whichever emails they were for. The per-(email, address) limit
    (``AXES_FAILURE_LIMIT``) stays as it is."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # Axes flags the request (so its middleware answers with the pause page) only for its own
        # limit; the address limit flags it here.
        if request is not None and not getattr(request, "axes_locked_out", False):
            request.axes_locked_out = self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT

    @staticmethod
    def address_failures(request) -> int:
        address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        recent = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request))
        return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0

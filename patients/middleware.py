import zoneinfo

from django.conf import settings
from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the person's own time zone (or their clinic's) while storing UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.default = zoneinfo.ZoneInfo(settings.ALLIANCE_DEFAULT_TIMEZONE)

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz = user.tzinfo if user is not None and user.is_authenticated else self.default
        timezone.activate(tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

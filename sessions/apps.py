from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareSessionsConfig(AppConfig):
    """Appointments. Django's contrib app already owns the label "sessions"."""

    name = "sessions"
    label = "care_sessions"
    verbose_name = _("Care sessions")

    def ready(self):
        from sessions.registry import digest_section_register
        from sessions.services.reminders import digest_tomorrow_section

        digest_section_register("care_sessions.tomorrow", digest_tomorrow_section, order=90)

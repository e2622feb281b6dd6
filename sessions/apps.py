from django.apps import AppConfig


class CareSessionsConfig(AppConfig):
    """Appointments. Django's contrib app already owns the label "sessions"."""

    name = "sessions"
    label = "care_sessions"
    verbose_name = "Care sessions"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("People and care teams")

    def ready(self):
        from patients import signals  # noqa: F401  (connects the login-session receivers)

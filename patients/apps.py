from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "People and care teams"

    def ready(self):
        from patients import signals  # noqa: F401  (connects the login-session receivers)

from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = "Alliance"

    def ready(self):
        from django.db.backends.signals import connection_created

        from alliance import reminders
        from alliance.dbfunctions import register_sqlite

        reminders.register()
        connection_created.connect(register_sqlite, dispatch_uid="alliance-sqlite-percentile")

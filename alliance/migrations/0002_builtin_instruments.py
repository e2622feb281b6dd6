from django.db import migrations


def load(apps, schema_editor):
    from alliance.instruments import builtin_sync

    builtin_sync(apps.get_model("alliance", "Instrument"), apps.get_model("alliance", "InstrumentVersion"))


class Migration(migrations.Migration):
    dependencies = [("alliance", "0001_measures_and_alerts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

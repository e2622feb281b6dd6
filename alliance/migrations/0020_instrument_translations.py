from django.db import migrations


def sync(apps, schema_editor):
    from alliance.instruments import builtin_sync

    builtin_sync(apps.get_model("alliance", "Instrument"), apps.get_model("alliance", "InstrumentVersion"))


class Migration(migrations.Migration):
    """The built-in instruments' Spanish texts, written into every version with the same wording."""

    dependencies = [("alliance", "0019_whats_new_advice_and_reviews")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

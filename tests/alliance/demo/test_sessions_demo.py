import io

import pytest
from django.core.management import call_command

from sessions.models import AgendaItem, HomePlan, PracticeLog, Reminder, ReminderPreference, SessionRecord, WorthRating

pytestmark = pytest.mark.django_db

MODELS = (AgendaItem, SessionRecord, HomePlan, WorthRating, PracticeLog, Reminder, ReminderPreference)


def _counts():
    return [model.objects.count() for model in MODELS]


def test_seed_demo_gives_every_patient_an_agenda_records_a_plan_and_reminders_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    assert all(first), dict(zip([m.__name__ for m in MODELS], first, strict=True))
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    patient1 = HomePlan.objects.filter(patient__user__email="patient1@demo.test").order_by("-version").first()
    assert patient1.version == 2 and patient1.items.count() == 3
    assert AgendaItem.objects.filter(patient__user__email="patient1@demo.test", status="parked").exists()
    assert SessionRecord.objects.filter(care_session__patient__user__email="patient1@demo.test").exists()

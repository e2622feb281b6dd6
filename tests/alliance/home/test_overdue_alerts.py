"""An alert nobody has acknowledged within the clinic's ``alert_overdue_days`` is overdue: it puts the
patient at the very top of the clinician's caseload, marked "Overdue", and leads the daily digest."""

import html
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, AlertKind
from alliance.selectors.alerts import alerts_overdue_cutoff
from alliance.views.home import caseload_cache_key
from tests.alliance.home.test_caseload import _names, _patient, _rows
from tests.care_sessions.test_reminders import _digest, _send_due
from tests.helpers import query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

HOME = reverse("alliance:home")


def _alert(patient, *, days_ago: float = 0, acknowledged=False, by=None):
    raised = timezone.now() - timedelta(days=days_ago)
    return Alert.objects.create(
        patient=patient,
        kind=AlertKind.LOW_TOTAL,
        detail="Total 12 of 40",
        raised_at=raised,
        acknowledged_at=raised + timedelta(hours=1) if acknowledged else None,
        acknowledged_by=by if acknowledged else None,
    )


def test_an_overdue_alert_puts_the_patient_first_marked_overdue(client, cast):
    _alert(_patient(cast, "Aaron Able"))  # raised today: waiting, not overdue
    _alert(_patient(cast, "Zoe Zed"), days_ago=3)
    _alert(_patient(cast, "Yusuf Young"), days_ago=3, acknowledged=True, by=cast.bob.user)
    client.force_login(cast.bob.user)
    response = client.get(HOME)
    assert _names(response)[:3] == ["Zoe Zed", "Aaron Able", "Yusuf Young"]
    rows = _rows(response)
    assert rows[0].startswith("Overdue not acknowledged within 2 days")
    assert not any("Overdue" in row for row in rows[1:])


def test_the_clinics_setting_decides_when_an_alert_is_overdue(client, cast):
    _alert(_patient(cast, "Zoe Zed"), days_ago=3)
    cast.riverside.alert_overdue_days = 5
    cast.riverside.save()
    client.force_login(cast.bob.user)
    assert not any("Overdue" in row for row in _rows(client.get(HOME)))
    cast.riverside.alert_overdue_days = 3
    cast.riverside.save()
    assert _rows(client.get(HOME))[0].startswith("Overdue not acknowledged within 3 days")


def test_overdue_counts_whole_days_in_the_clinicians_zone(cast):
    zone = zoneinfo.ZoneInfo("Pacific/Auckland")
    raised = datetime(2026, 3, 2, 23, 30, tzinfo=zone)  # a Monday, late in the evening there
    tuesday_night = datetime(2026, 3, 3, 23, 59, tzinfo=zone)
    wednesday_morning = datetime(2026, 3, 4, 0, 0, tzinfo=zone)
    cast.riverside.alert_overdue_days = 2
    assert not raised < alerts_overdue_cutoff(clinic=cast.riverside, zone=zone, now=tuesday_night)
    assert raised < alerts_overdue_cutoff(clinic=cast.riverside, zone=zone, now=wednesday_morning)


def test_the_caseload_cache_key_changes_at_the_clinicians_midnight_when_alerts_turn_overdue(client, cast):
    user = cast.bob.user
    user.timezone = "Pacific/Auckland"
    user.save()
    zone = zoneinfo.ZoneInfo("Pacific/Auckland")
    late = datetime(2026, 3, 3, 23, 59, tzinfo=zone)
    key = caseload_cache_key(user=user, query="", page_number="", now=late)
    assert key == caseload_cache_key(user=user, query="", page_number="", now=late - timedelta(hours=12))
    # One minute later it is the next day in Auckland, though not yet in UTC: a new day, a new key.
    assert key != caseload_cache_key(user=user, query="", page_number="", now=late + timedelta(minutes=1))
    cast.riverside.alert_overdue_days = 4
    assert key != caseload_cache_key(user=user, query="", page_number="", now=late)


def test_an_alert_turning_overdue_is_never_hidden_by_a_warm_cache(client, cast):
    cache.clear()
    alert = _alert(_patient(cast, "Zoe Zed"), days_ago=0.5)
    client.force_login(cast.bob.user)
    assert not any("Overdue" in row for row in _rows(client.get(HOME)))
    # The days pass: the alert was raised long enough ago. The next local day has its own key.
    Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - timedelta(days=3))
    tomorrow = timezone.now() + timedelta(days=1)
    assert cache.get(caseload_cache_key(user=cast.bob.user, query="", page_number="", now=tomorrow)) is None


def test_the_caseload_with_overdue_alerts_costs_the_same_queries_at_1_and_50_patients(cast):
    made = []

    def add(n):
        for _ in range(n):
            _alert(_patient(cast, f"Patient {len(made):03d}"), days_ago=3 + len(made) % 2)
            made.append(1)

    query_counts_at_1_and_50(add, lambda: [(cast.bob.user, HOME, 13), (cast.bob.user, HOME + "?page=2", 13)])


def test_the_digest_leads_with_overdue_alerts_by_name_and_count(cast):
    _alert(cast.alice, days_ago=2)  # turned overdue at the start of today
    _digest(cast)
    assert _send_due() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Overdue: alerts not acknowledged within 2 days\n  • Alice Archer: 1 overdue alert" in body
    assert body.index("Overdue: alerts") < body.index("Conversations to open")
    assert "Total 12 of 40" not in body, "names and counts only"


def test_an_alert_overdue_for_days_does_not_make_a_digest_on_its_own_again(cast):
    _alert(cast.alice, days_ago=4)
    cast.alice_session.starts_at = timezone.now() + timedelta(days=5)
    cast.alice_session.save()
    _digest(cast)
    assert _send_due() == {"skipped": 1}


def _talk_through(response) -> list[str]:
    """Each line of "Things to talk through" on the clinician's home, in order, as text."""
    body = response.content.decode()
    section = body.split('id="alerts-heading"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def test_things_to_talk_through_puts_overdue_alerts_first_oldest_first_marked_in_words(client, cast):
    cache.clear()
    _alert(_patient(cast, "Aaron Able"))  # raised today: new, not overdue
    _alert(_patient(cast, "Yusuf Young"), days_ago=3)
    _alert(_patient(cast, "Zoe Zed"), days_ago=5)
    _alert(_patient(cast, "Bea Bright"), days_ago=4, acknowledged=True, by=cast.bob.user)
    client.force_login(cast.bob.user)
    lines = _talk_through(client.get(HOME))
    names = [line.split(":", 1)[0].strip() for line in lines]
    assert names[:2] == ["Zoe Zed", "Yusuf Young"]
    assert set(names[2:]) == {"Aaron Able", "Bea Bright"}
    assert "Overdue" in lines[0] and "not acknowledged within 2 days" in lines[0]
    assert "Overdue" in lines[1]
    assert not any("Overdue" in line for line in lines[2:])

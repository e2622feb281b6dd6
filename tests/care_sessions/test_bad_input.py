"""Bad input on the remaining forms: a clear message by the field, every word kept, nothing half-saved."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import HomePlan, SessionRecord
from tests.care_sessions.helpers import BAD_TEXT, ODD_BUT_FINE, past_session, plan_for
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

ALL = {**BAD_TEXT, **ODD_BUT_FINE}


@pytest.mark.parametrize("case", sorted(ALL))
def test_takeaway(client, cast, case):
    held = past_session(cast)
    services.session_record_save(by=cast.bob.user, care_session=held, summary="We talked.", next_steps="", entries=[])
    client.force_login(cast.alice.user)
    text = ALL[case] if case != "too long" else "y" * 10_000
    response = client.post(reverse("care_sessions:takeaway", kwargs={"pk": held.pk}), {"text": text})
    record = SessionRecord.objects.get()
    if case in BAD_TEXT:
        assert response.status_code == 200
        body = page_text(response)
        assert "Please write a few words" in body or "Please keep this under 2,000 characters" in body
        if text.strip():
            assert text in body
        assert record.patient_takeaway == ""
    else:
        assert response.status_code == 302
        assert record.patient_takeaway == text
        raw = client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})).content.decode()
        assert "<script>alert" not in raw


@pytest.mark.parametrize("case", sorted(ALL))
def test_record_summary(client, cast, case):
    held = past_session(cast)
    client.force_login(cast.bob.user)
    text = ALL[case]
    response = client.post(
        reverse("care_sessions:record", kwargs={"pk": held.pk}), {"summary": text, "next_steps": "🌱"}
    )
    if case in BAD_TEXT:
        assert response.status_code == 400
        body = page_text(response)
        assert "Please write a short summary" in body or "Please keep this under 4,000 characters" in body
        assert "🌱" in body
        assert not SessionRecord.objects.exists()
    else:
        assert response.status_code == 302
        assert SessionRecord.objects.get().summary == text


@pytest.mark.parametrize("case", sorted(ALL))
def test_plan_item_edit(client, cast, case):
    item = plan_for(cast).items.get()
    client.force_login(cast.bob.user)
    text = ALL[case]
    response = client.post(
        reverse("care_sessions:plan-item-edit", kwargs={"pk": item.pk}),
        {"title": "Walk", "description": text, "how_often": "Daily 🚶"},
    )
    if case in BAD_TEXT:
        assert response.status_code == 400
        body = page_text(response)
        assert "Please describe what to do" in body or "Please keep this under 2,000 characters" in body
        assert "Daily 🚶" in body
        assert HomePlan.objects.count() == 1
    else:
        assert response.status_code == 302
        assert HomePlan.objects.count() == 2


def test_a_page_posted_from_an_old_version_says_so_kindly(client, cast):
    old = plan_for(cast).items.get()
    plan_for(cast, titles=("Swimming",))
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:practice-log", kwargs={"pk": old.pk}), {"outcome": "done"})
    assert response.status_code == 400
    assert "This item has changed since the page was loaded" in page_text(response)

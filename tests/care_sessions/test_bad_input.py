"""Bad input on the remaining forms: a clear message by the field, every word kept, nothing half-saved."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import HomePlan, SessionRecord
from tests.care_sessions.helpers import BAD_TEXT, ODD_BUT_FINE, past_session, plan_for
from tests.helpers import field_errors, page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_TEXT["empty"], "Please write a few words, or come back to this another time."),
        ("y" * 10_000, "Please keep this under 2,000 characters."),
    ],
    ids=["empty", "too long"],
)
def test_takeaway_bad_input_gets_its_message_by_the_field_and_keeps_the_words(client, cast, text, message):
    held = past_session(cast)
    services.session_record_save(by=cast.bob.user, care_session=held, summary="We talked.", next_steps="", entries=[])
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:takeaway", kwargs={"pk": held.pk}), {"text": text})
    assert response.status_code == 400
    assert field_errors(response, "text") == [message]
    if text.strip():
        assert text in page_text(response)
    assert SessionRecord.objects.get().patient_takeaway == ""


@pytest.mark.parametrize("case", sorted(ODD_BUT_FINE))
def test_takeaway_keeps_html_and_emoji_as_written_and_shows_them_escaped(client, cast, case):
    held = past_session(cast)
    services.session_record_save(by=cast.bob.user, care_session=held, summary="We talked.", next_steps="", entries=[])
    client.force_login(cast.alice.user)
    text = ODD_BUT_FINE[case]
    response = client.post(reverse("care_sessions:takeaway", kwargs={"pk": held.pk}), {"text": text})
    assert response.status_code == 302
    assert SessionRecord.objects.get().patient_takeaway == text
    raw = client.get(reverse("care_sessions:agenda", kwargs={"pk": held.pk})).content.decode()
    assert "<script>alert" not in raw


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_TEXT["empty"], "Please write a short summary. A few plain sentences are enough."),
        (BAD_TEXT["too long"], "Please keep this under 4,000 characters."),
    ],
    ids=["empty", "too long"],
)
def test_record_summary_bad_input_gets_its_message_by_the_field_and_keeps_the_words(client, cast, text, message):
    held = past_session(cast)
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:record", kwargs={"pk": held.pk}), {"summary": text, "next_steps": "🌱"}
    )
    assert response.status_code == 400
    assert field_errors(response, "summary") == [message]
    assert field_errors(response, "next_steps") == []
    assert "🌱" in page_text(response)
    assert not SessionRecord.objects.exists()


@pytest.mark.parametrize("case", sorted(ODD_BUT_FINE))
def test_record_summary_keeps_html_and_emoji_as_written(client, cast, case):
    held = past_session(cast)
    client.force_login(cast.bob.user)
    text = ODD_BUT_FINE[case]
    response = client.post(
        reverse("care_sessions:record", kwargs={"pk": held.pk}), {"summary": text, "next_steps": "🌱"}
    )
    assert response.status_code == 302
    assert SessionRecord.objects.get().summary == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BAD_TEXT["empty"], "Please describe what to do, in plain words."),
        (BAD_TEXT["too long"], "Please keep this under 2,000 characters."),
    ],
    ids=["empty", "too long"],
)
def test_plan_item_edit_bad_input_gets_its_message_by_the_field_and_keeps_the_words(client, cast, text, message):
    item = plan_for(cast).items.get()
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:plan-item-edit", kwargs={"pk": item.pk}),
        {"title": "Walk", "description": text, "how_often": "Daily 🚶"},
    )
    assert response.status_code == 400
    assert field_errors(response, "description") == [message]
    assert "Daily 🚶" in page_text(response)
    assert HomePlan.objects.count() == 1


@pytest.mark.parametrize("case", sorted(ODD_BUT_FINE))
def test_plan_item_edit_keeps_html_and_emoji_as_a_new_version(client, cast, case):
    item = plan_for(cast).items.get()
    client.force_login(cast.bob.user)
    response = client.post(
        reverse("care_sessions:plan-item-edit", kwargs={"pk": item.pk}),
        {"title": "Walk", "description": ODD_BUT_FINE[case], "how_often": "Daily 🚶"},
    )
    assert response.status_code == 302
    assert HomePlan.objects.count() == 2


def test_a_page_posted_from_an_old_version_says_so_kindly(client, cast):
    old = plan_for(cast).items.get()
    plan_for(cast, titles=("Swimming",))
    client.force_login(cast.alice.user)
    response = client.post(reverse("care_sessions:practice-log", kwargs={"pk": old.pk}), {"outcome": "done"})
    assert response.status_code == 400
    assert "This item has changed since the page was loaded" in page_text(response)

"""Quick replies: a win acknowledged in one tap, a question marked talked through in a session in one
tap, and a story passage picked by selecting its words (or, without a script, choosing a sentence)."""

import re
import zoneinfo

import pytest
from django.urls import reverse

from alliance.models import QuestionStatus, ReplyKind, StoryPassage
from alliance.selectors import record as sel
from sessions.models import AgendaItem, AgendaSource, AgendaStatus
from tests.alliance.record import helpers as h
from tests.factories import CareTeamFactory
from tests.helpers import field_errors, page_text, visible_text

pytestmark = pytest.mark.django_db

BODY = "I was a nurse for twenty years.\nLifting patients was my life!   Then my back went. Was it my fault?"


def test_a_win_is_acknowledged_in_one_tap_and_the_patient_sees_it(client, cast):
    win = h.win(cast, text="I walked to the post box")
    client.force_login(cast.bob.user)
    url = reverse("alliance:record-win-acknowledge", args=[cast.alice.pk, win.pk])
    response = client.post(url, {f"win{win.pk}-reply": ""})
    assert response.status_code == 302
    win.refresh_from_db()
    assert (win.acknowledged_by, win.acknowledgement) == (cast.bob.user, "")
    client.force_login(cast.alice.user)
    body = page_text(client.get(reverse("alliance:record-journal", args=[cast.alice.pk])))
    assert "Bob Baker saw this and acknowledged it." in body


def test_a_win_can_still_carry_a_few_words(client, cast):
    win = h.win(cast)
    client.force_login(cast.bob.user)
    client.post(
        reverse("alliance:record-win-acknowledge", args=[cast.alice.pk, win.pk]), {f"win{win.pk}-reply": "Brilliant!"}
    )
    win.refresh_from_db()
    assert win.acknowledgement == "Brilliant!"


def test_a_question_is_marked_talked_through_in_a_session_in_one_tap(client, cast):
    question = h.ask(cast, route="next_session")
    client.force_login(cast.bob.user)
    page = client.get(reverse("alliance:record-question", args=[cast.alice.pk, question.pk])).content.decode()
    assert "We talked it through in a session" in page and 'name="in_session" value="on"' in page
    response = client.post(
        reverse("alliance:record-question-answer", args=[cast.alice.pk, question.pk]), {"in_session": "on"}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert list(question.replies.values_list("kind", "body")) == [(ReplyKind.TALKED_IN_SESSION, "")]
    item = AgendaItem.objects.get(source=AgendaSource.QUESTION)
    assert item.status == AgendaStatus.DISCUSSED


def test_a_question_talked_through_says_so_with_who_and_when_and_no_longer_offers_the_button(client, cast):
    cast.bob.user.timezone = "Australia/Sydney"
    cast.bob.user.save()
    question = h.ask(cast, route="next_session")
    client.force_login(cast.bob.user)
    client.post(reverse("alliance:record-question-answer", args=[cast.alice.pk, question.pk]), {"in_session": "on"})
    reply = question.replies.get()
    local = reply.created_at.astimezone(zoneinfo.ZoneInfo("Australia/Sydney"))
    url = reverse("alliance:record-question", args=[cast.alice.pk, question.pk])
    response = client.get(url)
    page = visible_text(response)
    assert "We talked it through in a session" not in page and 'value="on"' not in response.content.decode()
    said = rf'Talked through in a session, noted by you on <time datetime="[^"]+">{local:%-d %b %Y, %H:%M}</time>\.'
    assert re.search(said, response.content.decode()), "who and when, in bob's own zone"
    # Another clinician on the care team sees who noted it.
    CareTeamFactory(patient=cast.alice, clinician=cast.carol)
    client.force_login(cast.carol.user)
    other = visible_text(client.get(url))
    assert "Talked through in a session, noted by Bob Baker on" in other
    assert "We talked it through in a session" not in other


def test_the_server_splits_a_story_into_sentences_as_written(cast):
    entry = h.story(cast, body=BODY)
    assert sel.story_sentences(entry) == [
        "I was a nurse for twenty years.",
        "Lifting patients was my life!",
        "Then my back went.",
        "Was it my fault?",
    ]


def test_a_passage_selected_on_the_page_is_marked_as_written_in_the_story(client, cast):
    entry = h.story(cast, body=BODY)
    client.force_login(cast.bob.user)
    url = reverse("alliance:record-story-passage", args=[cast.alice.pk, entry.pk])
    # A browser's selection shows the line break and the run of spaces as single spaces.
    response = client.post(url, {"quote": "twenty years. Lifting patients was my life! Then", "note": ""})
    assert response.status_code == 302
    passage = StoryPassage.objects.get()
    assert passage.quote == "twenty years.\nLifting patients was my life!   Then"
    assert "Lifting patients" in AgendaItem.objects.get(source=AgendaSource.STORY).text


def test_without_a_script_a_sentence_is_chosen_from_a_list(client, cast):
    entry = h.story(cast, body=BODY)
    client.force_login(cast.bob.user)
    page = page_text(client.get(reverse("alliance:record-story-entry", args=[cast.alice.pk, entry.pk])))
    assert '<option value="3">Was it my fault?</option>' in page
    url = reverse("alliance:record-story-passage", args=[cast.alice.pk, entry.pk])
    assert client.post(url, {"quote": "", "sentence": "3", "note": "Worth gently exploring"}).status_code == 302
    assert StoryPassage.objects.get().quote == "Was it my fault?"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"quote": "", "sentence": ""},
            "sentence",
            "Please select the words in the entry above, or choose a sentence here.",
        ),
        (
            {"quote": "words she never wrote", "sentence": ""},
            "quote",
            "Those words aren't in this entry. Please select them in the entry, or choose a sentence.",
        ),
        (
            {"quote": "", "sentence": "99"},
            "sentence",
            "That sentence isn't in this entry. Please choose one from the list.",
        ),
    ],
    ids=["nothing chosen", "not in the entry", "no such sentence"],
)
def test_a_passage_that_cannot_be_marked_says_why_and_keeps_the_note(client, cast, data, field, message):
    entry = h.story(cast, body=BODY)
    client.force_login(cast.bob.user)
    url = reverse("alliance:record-story-passage", args=[cast.alice.pk, entry.pk])
    response = client.post(url, {**data, "note": "Keep these words 🌿"})
    assert response.status_code == 400
    if field == "quote":
        assert message in page_text(response)
    else:
        assert field_errors(response, field) == [message]
    assert "Keep these words 🌿" in page_text(response)
    assert not StoryPassage.objects.exists()


def test_the_passage_form_asks_for_a_selection_never_for_retyping(client, cast):
    entry = h.story(cast, body=BODY)
    client.force_login(cast.bob.user)
    page = page_text(client.get(reverse("alliance:record-story-entry", args=[cast.alice.pk, entry.pk])))
    assert '<input type="hidden" name="quote"' in page and "story-passage.js" in page
    assert "Copy them exactly" not in page and "copy the words" not in page.lower()

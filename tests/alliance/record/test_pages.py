"""The shared record's pages: what each side sees, what bad input gets, and how many queries a page costs."""

import re

import pytest
from django.urls import reverse

from alliance.models import Alert, Question, StoryEntry
from alliance.models.record import BALANCE_RULE
from alliance.services import record as svc
from tests.alliance.record import helpers as h
from tests.factories import CareTeamFactory, PatientFactory
from tests.helpers import field_errors, page_text, query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
EMOJI = "Swimming 🏊 helped 💙"


def url(name, cast, *args):
    return reverse(f"alliance:{name}", args=[cast.alice.pk, *args])


def visible_text(response) -> str:
    """What a person reads: the page without tags, attribute values or the CSRF token."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return page_text(type("R", (), {"content": re.sub(r"<[^>]+>", " ", body).encode()})())


def patient_pages(cast, question):
    return [
        reverse("alliance:home"),
        url("record", cast),
        url("record-questions", cast),
        url("record-question", cast, question.pk),
        url("record-item-history", cast, "question", question.pk),
        url("record-item-edit", cast, "question", question.pk),
    ]


# --- "I worry this is a silly question" ----------------------------------------------------------


def test_the_silly_worry_is_never_shown_to_the_patient(client, cast):
    question = h.ask(cast, text="Can weather really change my pain?", silly=True)
    svc.question_answer(question=question, by=cast.bob.user, body="Yes, many people notice that.")
    client.force_login(cast.alice.user)
    for page in patient_pages(cast, question):
        response = client.get(page)
        assert response.status_code == 200, page
        text = page_text(response).lower()
        assert "silly" not in text and "be gentle" not in text and "worried" not in text, page
    # The tick itself is offered only on the form where a question is asked, with reassurance.
    ask_page = page_text(client.get(url("record-question-new", cast)))
    assert "I worry this might be a silly question" in ask_page and "There are no silly questions here" in ask_page


def test_the_clinician_is_reminded_to_be_gentle(client, cast):
    question = h.ask(cast, silly=True)
    client.force_login(cast.bob.user)
    assert "Be gentle" in page_text(client.get(url("record-question", cast, question.pk)))
    assert "Be gentle" in page_text(client.get(url("record-questions", cast)))
    assert "Be gentle" in page_text(client.get(reverse("alliance:home")))


def test_a_journey_through_a_question_on_the_pages(client, cast):
    client.force_login(cast.alice.user)
    response = client.post(
        url("record-question-new", cast), {"text": "Is it OK to rest?", "worried_silly": "on", "route": "ask_now"}
    )
    question = Question.objects.get()
    assert response.status_code == 302 and question.worried_silly
    client.force_login(cast.bob.user)
    client.post(url("record-question-answer", cast, question.pk), {"body": "Some rest, some gentle movement."})
    client.force_login(cast.alice.user)
    page = client.get(url("record-question", cast, question.pk))
    assert "Some rest, some gentle movement." in page_text(page) and "Did that help?" in page_text(page)
    response = client.post(
        url("record-question-feedback", cast, question.pk),
        {"outcome": "still_unclear", "words": "How much?"},
        follow=True,
    )
    assert "The question stays open" in page_text(response)
    question.refresh_from_db()
    assert question.is_open


# --- Who sees what ---------------------------------------------------------------------------------


def test_private_notes_are_marked_for_the_team_and_absent_for_the_patient(client, cast):
    client.force_login(cast.bob.user)
    client.post(url("record-note-new", cast), {"body": "Her mum died in March", "section": "story"})
    team_page = page_text(client.get(url("record-story", cast)))
    assert "Her mum died in March" in team_page and "Care team only" in team_page
    client.force_login(cast.alice.user)
    for page in (url("record", cast), url("record-story", cast), url("record-questions", cast)):
        text = page_text(client.get(page))
        assert "Her mum died in March" not in text and "Private notes" not in text


def test_another_patients_item_is_not_found_through_your_own_record(client, cast):
    question = h.ask(cast)
    client.force_login(cast.frank.user)
    mine_url = reverse("alliance:record-question", args=[cast.frank.pk, question.pk])
    assert client.get(mine_url).status_code == 404
    assert client.get(url("record-question", cast, question.pk)).status_code == 404


def test_a_clinic_admin_sees_counts_and_never_contents(client, cast):
    h.ask(cast, text="A very private worry about my marriage")
    h.story(cast, body="The story of my accident, in detail")
    client.force_login(cast.dave.user)
    for page in (url("record", cast), reverse("alliance:record-overview")):
        response = client.get(page)
        text = page_text(response)
        assert response.status_code == 200
        assert "private worry" not in text and "my accident" not in text
        assert "Open questions" in text and "Story entries" in text
    for page in (url("record-questions", cast), url("record-story", cast)):
        assert client.get(page).status_code == 403
    client.force_login(cast.erin.user)
    assert "Alice Archer" not in page_text(client.get(reverse("alliance:record-overview")))


def test_a_withdrawn_item_leaves_the_patients_view_and_stays_marked_for_the_team(client, cast):
    question = h.ask(cast, text="Withdraw me please")
    client.force_login(cast.alice.user)
    confirm = client.get(url("record-item-withdraw", cast, "question", question.pk))
    assert "Your care team keeps a copy" in page_text(confirm)
    client.post(url("record-item-withdraw", cast, "question", question.pk))
    assert "Withdraw me please" not in page_text(client.get(url("record-questions", cast)))
    assert client.get(url("record-question", cast, question.pk)).status_code == 404
    client.force_login(cast.bob.user)
    team = page_text(client.get(url("record-questions", cast)))
    assert "Withdraw me please" in team and "Withdrawn" in team


def test_edits_show_as_edited_with_the_earlier_wording_a_click_away(client, cast):
    question = h.ask(cast, text="Before")
    client.force_login(cast.alice.user)
    client.post(url("record-item-edit", cast, "question", question.pk), {"text": "After"})
    page = page_text(client.get(url("record-question", cast, question.pk)))
    assert "After" in page and "edited" in page and "earlier wording" in page
    history = page_text(client.get(url("record-item-history", cast, "question", question.pk)))
    assert "Before" in history


def test_new_since_your_last_visit_shows_on_both_sides(client, cast):
    question = h.ask(cast)
    client.force_login(cast.bob.user)
    assert "since your last visit" in page_text(client.get(url("record-questions", cast)))
    assert "since your last visit" not in page_text(client.get(url("record-questions", cast)))
    client.force_login(cast.alice.user)
    client.get(url("record-questions", cast))
    Question.objects.filter(pk=question.pk).update(last_activity_at="2000-01-01T00:00Z")
    svc.question_answer(question=question, by=cast.bob.user, body="An answer")
    assert "1 new" in page_text(client.get(url("record", cast)))
    assert "since your last visit" in page_text(client.get(url("record-questions", cast)))


# --- Bad input -------------------------------------------------------------------------------------

FORMS = [
    ("alice", "record-question-new", {"route": "ask_now"}, "text"),
    ("alice", "record-win-new", {}, "text"),
    ("alice", "record-setback-new", {}, "what_happened"),
    ("alice", "record-goal-new", {"scale": "zero_ten"}, "text"),
    ("alice", "record-story-new", {"topic": "life"}, "body"),
    ("bob", "record-explanation-new", {"title": "Why it hurts"}, "body"),
    ("bob", "record-decision-new", {}, "title"),
]
# What each form says when its main field is left empty, and how long that field may be.
REQUIRED = {
    "record-question-new": ("Please write your question. Any question is welcome.", 2000),
    "record-win-new": ("Please write what went well. Small things count.", 1000),
    "record-setback-new": ("Please say a little about what happened.", 2000),
    "record-goal-new": ("Please write the goal, in a few words.", 300),
    "record-story-new": ("Please write something. It can be as short or as long as you like.", 6000),
    "record-explanation-new": ("Please write the explanation in plain language.", 6000),
    "record-decision-new": ("Please say what the decision is about.", 200),
}


@pytest.mark.parametrize(("who", "name", "extra", "field"), FORMS, ids=[f[1] for f in FORMS])
@pytest.mark.parametrize("typed", ["", " \n ", "y" * 10_000], ids=["empty", "blank", "10000"])
def test_bad_input_gets_a_clear_message_next_to_the_field_and_keeps_the_words(
    client, cast, who, name, extra, field, typed
):
    required, limit = REQUIRED[name]
    message = (
        f"Please keep this to {limit:,} characters or fewer. It's 10,000 at the moment." if typed.strip() else required
    )
    client.force_login(cast.user(who))
    response = client.post(url(name, cast), {**extra, field: typed})
    assert response.status_code == 400
    assert field_errors(response, field) == [message]
    if typed.strip():
        assert typed in response.content.decode(), "what was typed is still there"


@pytest.mark.parametrize(("who", "name", "extra", "field"), FORMS, ids=[f[1] for f in FORMS])
def test_html_and_emoji_are_kept_and_shown_escaped(client, cast, who, name, extra, field):
    client.force_login(cast.user(who))
    typed = f"{SCRIPT} {EMOJI}"
    response = client.post(url(name, cast), {"title": "T", **extra, field: typed}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert SCRIPT not in body, "never rendered as markup"
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body, "shown as the words that were typed"
    assert EMOJI in body


def test_a_story_with_a_marked_passage_is_highlighted_and_escaped(client, cast):
    entry = h.story(cast, body=f"Before {SCRIPT} the part that matters. After.")
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="the part that matters")
    client.force_login(cast.alice.user)
    body = client.get(url("record-story-entry", cast, entry.pk)).content.decode()
    assert "<mark>the part that matters</mark>" in body
    assert SCRIPT not in body and "&lt;script&gt;" in body


def test_an_unbalanced_option_is_explained_on_the_page(client, cast):
    decision = h.decision(cast, balanced=False)
    client.force_login(cast.bob.user)
    form = page_text(client.get(url("record-option-new", cast, decision.pk)))
    assert BALANCE_RULE in form
    refused = page_text(client.post(url("record-decision-share", cast, decision.pk)))
    assert "These options can't be shared yet" in refused and "“A rehab programme” needs a downside." in refused
    client.force_login(cast.alice.user)
    assert client.get(url("record-decision", cast, decision.pk)).status_code == 404


def test_a_low_decision_check_is_gentle_to_the_patient_and_an_alert_for_the_clinician(client, cast):
    decision = h.decided(cast)
    client.force_login(cast.alice.user)
    response = client.post(
        url("record-decision-check", cast, decision.pk),
        {"had_a_say": "0", "understood_options": "1", "told_downsides": "4"},
        follow=True,
    )
    text = page_text(response)
    assert "Your clinician will talk this through with you" in text and "alert" not in visible_text(response).lower()
    assert Alert.objects.filter(decision=decision).exists()
    client.force_login(cast.bob.user)
    assert "a low answer after a decision" in page_text(client.get(reverse("alliance:home"))).lower()
    assert "See the decision" in page_text(client.get(reverse("alliance:patient", args=[cast.alice.pk])))


def test_goal_pages_never_talk_of_failure(client, cast):
    goal = h.goal(cast)
    svc.goal_status_set(goal=goal, by=cast.alice.user, status="let_go")
    client.force_login(cast.alice.user)
    for page in (url("record-goals", cast), url("record-goal", cast, goal.pk)):
        text = page_text(client.get(page)).lower()
        assert "fail" not in text and "let go" in text


def test_an_explanation_that_doesnt_fit_shows_on_the_clinicians_home_until_talked_through(client, cast):
    explanation, response = h.doesnt_fit(cast)
    client.force_login(cast.bob.user)
    home = page_text(client.get(reverse("alliance:home")))
    assert "Explanations that don't fit yet" in home and "Why my back still hurts" in home
    client.post(url("record-explanation-talked", cast, explanation.pk, response.pk), {"note": ""})
    assert "Why my back still hurts" not in page_text(client.get(reverse("alliance:home")))
    client.force_login(cast.alice.user)
    assert "did you feel heard?" in page_text(client.get(url("record-explanation", cast, explanation.pk)))


# --- Query counts ----------------------------------------------------------------------------------


def _fill(cast, n: int):
    entries = []
    for i in range(n):
        question = h.ask(cast, text=f"Question {i}", silly=i % 2 == 0)
        svc.question_answer(question=question, by=cast.bob.user, body="An answer")
        goal = h.goal(cast, text=f"Goal {i}")
        svc.goal_rate(goal=goal, by=cast.alice.user, value=i % 11)
        h.win(cast, text=f"Win {i}")
        h.setback(cast, text=f"Setback {i}")
        exp = h.explanation(cast, title=f"Explanation {i}")
        svc.explanation_respond(version=exp.versions.get(), by=cast.alice.user, fit="partly", words="Some of it")
        d = h.decision(cast, title=f"Decision {i}", share=True)
        entry = h.story(cast, body=f"Story {i}: the part that matters.")
        svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="the part that matters")
        svc.story_reflect(entry=entry, by=cast.bob.user, summary="I heard you")
        svc.private_note_add(patient=cast.alice, by=cast.bob.user, body=f"Note {i}", section="questions")
        entries.append((question, goal, exp, d, entry))
    # Other patients on bob's caseload, each with something waiting.
    for _ in range(n):
        other = PatientFactory(clinic=cast.riverside)
        CareTeamFactory(patient=other, clinician=cast.bob)
        svc.win_log(patient=other, by=other.user, text="A win")
    return entries[0]


def test_record_pages_and_the_homes_cost_the_same_queries_at_1_and_50_items(cast):
    first = []

    def add(n):
        entries = _fill(cast, n)
        first[:] = first or [entries]

    def visits():
        [(question, goal, exp, decision, entry)] = first
        pages = [
            ("record", ()),
            ("record-questions", ()),
            ("record-question", (question.pk,)),
            ("record-goals", ()),
            ("record-goal", (goal.pk,)),
            ("record-journal", ()),
            ("record-explanations", ()),
            ("record-explanation", (exp.pk,)),
            ("record-decisions", ()),
            ("record-decision", (decision.pk,)),
            ("record-story", ()),
            ("record-story-entry", (entry.pk,)),
        ]
        for who in (cast.alice.user, cast.bob.user):
            yield from ((who, url(name, cast, *args), 14) for name, args in pages)
        yield cast.alice.user, reverse("alliance:home"), 14
        yield cast.bob.user, reverse("alliance:home"), 13
        yield cast.dave.user, reverse("alliance:record-overview"), 14

    query_counts_at_1_and_50(add, visits)
    assert StoryEntry.objects.count() == 50


def test_an_empty_private_note_keeps_its_page_and_says_why(client, cast):
    client.force_login(cast.bob.user)
    response = client.post(url("record-note-new", cast), {"body": "  ", "section": "goals"})
    assert response.status_code == 400 and "Please write the note." in page_text(response)
    too_long = client.post(url("record-note-new", cast), {"body": "n" * 10_000, "section": "goals"})
    assert "It's 10,000 at the moment." in page_text(too_long) and "n" * 10_000 in too_long.content.decode()


def test_a_goal_says_who_changed_where_it_is(client, cast):
    goal = h.goal(cast)
    svc.goal_status_set(goal=goal, by=cast.bob.user, status="achieved")
    client.force_login(cast.alice.user)
    assert "(Bob Baker)" in page_text(client.get(url("record-goal", cast, goal.pk)))

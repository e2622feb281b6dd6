"""The patient's home: what is waiting for them in their record, today's home plan, and what it costs."""

import html
import re

import pytest
from django.urls import reverse

from alliance.models import Fit
from alliance.selectors.record import PatientPrompts, record_prompts_for_patient
from alliance.services import record as svc
from sessions import services as session_services
from tests.alliance.record import helpers as h
from tests.care_sessions.helpers import plan_for
from tests.helpers import query_counts_at_1_and_50

pytestmark = pytest.mark.django_db

HOME = reverse("alliance:home")


def visible_text(response) -> str:
    """The words of the page as read, inline tags dropped: "1 answer to your questions: did it help?"."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


def _everything_waiting(cast):
    """One of each prompt, and next to each something that must not count."""
    h.answered(cast, text="Can I swim?")
    withdrawn = h.answered(cast, text="Can I run?")
    svc.record_item_withdraw(item=withdrawn, by=cast.alice.user)
    h.ask(cast, text="Not answered yet")

    h.explanation(cast, title="Not answered yet")
    revised = h.explanation(cast, title="Answered, then revised")
    svc.explanation_respond(version=revised.versions.get(), by=cast.alice.user, fit=Fit.FITS)
    svc.explanation_revise(explanation=revised, by=cast.bob.user, body="A clearer way to put it.")
    talked = h.explanation(cast, title="Talked through")
    response = svc.explanation_respond(
        version=talked.versions.get(), by=cast.alice.user, fit=Fit.DOESNT_FIT, words="Not for me"
    )
    svc.explanation_talked_through(response=response, by=cast.bob.user)
    gone = h.explanation(cast, title="Withdrawn")
    svc.record_item_withdraw(item=gone, by=cast.bob.user)

    h.goal(cast, text="Suggested by Bob", by=cast.bob.user)
    h.goal(cast, text="Alice's own")
    h.reflection(cast)
    h.decision(cast, title="Shared", share=True)
    h.decision(cast, title="Still a draft")
    h.decided(cast)


def test_every_prompt_is_counted_and_nothing_else(cast):
    _everything_waiting(cast)
    prompts = record_prompts_for_patient(user=cast.alice.user)
    assert prompts == PatientPrompts(
        answers_to_read=1,
        explanations_to_answer=2,  # the unanswered one, and the new version of the revised one
        felt_heard_to_say=1,
        goals_suggested=1,
        reflections_to_check=1,
        decisions_waiting=1,
        checks_waiting=1,
    )
    assert prompts.total == 8


def test_answering_one_explanation_leaves_only_the_other_to_answer(cast):
    # The prompt once matched each answer's id against explanation ids, so which explanation was
    # answered decided the count.
    h.explanation(cast, title="First")
    second = h.explanation(cast, title="Second")
    svc.explanation_respond(version=second.versions.get(), by=cast.alice.user, fit=Fit.FITS)
    assert record_prompts_for_patient(user=cast.alice.user).explanations_to_answer == 1


def test_an_empty_record_has_nothing_waiting(cast):
    assert record_prompts_for_patient(user=cast.alice.user) == PatientPrompts()


def test_the_home_shows_every_prompt(client, cast):
    _everything_waiting(cast)
    client.force_login(cast.alice.user)
    text = visible_text(client.get(HOME))
    for prompt in (
        "1 answer to your questions: did it help?",
        "2 explanations to read: does it fit your experience?",
        "After talking an explanation through: did you feel heard?",
        "1 suggested goal to take on, reword or let go",
        "Your clinician said what they heard in your story: is it right?",
        "Options to look at for a decision",
        "Three short questions about a decision you made",
    ):
        assert prompt in text


def test_the_prompts_are_one_query(cast, django_assert_num_queries):
    _everything_waiting(cast)
    user = type(cast.alice.user).objects.select_related("patient").get(pk=cast.alice.user.pk)
    with django_assert_num_queries(1):
        record_prompts_for_patient(user=user)


def test_todays_home_plan_shows_each_item_and_how_today_went(client, cast):
    plan = plan_for(cast, titles=("Morning walk", "Stretches"))
    session_services.practice_log_record(by=cast.alice.user, item=plan.items.get(title="Stretches"), outcome="partly")
    client.force_login(cast.alice.user)
    text = visible_text(client.get(HOME))
    assert "How did “Morning walk” go today?" in text and "How did “Stretches” go today?" in text
    assert "Today so far: Partly. You can change it." in text
    assert text.count("Today so far") == 1


def test_only_the_current_plans_items_are_on_the_home(client, cast):
    plan_for(cast, titles=("Old exercise",))
    plan_for(cast, titles=("New exercise",))
    client.force_login(cast.alice.user)
    text = visible_text(client.get(HOME))
    assert "New exercise" in text and "Old exercise" not in text


def test_the_patient_home_costs_the_same_queries_with_a_long_history(cast):
    def add(n):
        for _ in range(n):
            _everything_waiting(cast)
            plan_for(cast, titles=("Morning walk", "Stretches", "Breathing"))

    # 13: "What's new" adds its one list query and one upsert of the visit.
    query_counts_at_1_and_50(add, lambda: [(cast.alice.user, HOME, 13)])

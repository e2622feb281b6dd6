"""A patient's "What's new since you last visited": what their care team did for them, each linked to
where it is, new until they have seen it, and never their own words back to them."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.demo.news import seed_news
from alliance.models import NewsKind, NewsSeen, PreferenceKind, RecordSection
from alliance.selectors.news import news_batches_waiting, whats_new_for
from alliance.services import record as svc
from alliance.services.news import news_visit_mark
from alliance.services.record.items import record_visit_mark
from sessions.models import SessionRecord
from sessions.services import session_record_save
from tests.alliance.record import helpers as h
from tests.care_sessions.helpers import past_session, plan_for
from tests.helpers import Client, query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db

HOME = reverse("alliance:home")
PAGE = reverse("alliance:whats-new")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _one_of_each(cast):
    """One new thing of every kind for alice, from bob."""
    h.answered(cast, text="Can I swim?")
    win = h.win(cast, text="I walked to the post box")
    svc.win_acknowledge(win=win, by=cast.bob.user, reply="That's a real step.")
    h.reflection(cast)
    knee = h.decision(cast, title="What to do about my knee", share=True)
    svc.decision_advice_give(
        decision=knee,
        by=cast.bob.user,
        advice="I would try the exercise programme for three months first.",
        reasons="It helps most people and keeps surgery open.",
        would_change="If walking got much worse.",
    )
    h.review(cast)
    explanation = h.explanation(cast, title="Why my back still hurts")
    svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="Your nerves are on high alert.")
    plan_for(cast, titles=("Morning walk",))
    session = past_session(cast)
    session_record_save(by=cast.bob.user, care_session=session, summary="We agreed to pace.", next_steps="", entries=[])
    return session


def test_every_kind_of_new_thing_is_listed_with_a_link_to_where_it_is(cast):
    session = _one_of_each(cast)
    news = whats_new_for(user=cast.alice.user, limit=50)
    by_kind = {}
    for thing in news.new:
        by_kind.setdefault(thing.kind, []).append(thing)
    assert set(by_kind) == set(NewsKind.values)
    assert len(by_kind[NewsKind.EXPLANATION]) == 2  # written, then revised
    assert {t.headline for t in by_kind[NewsKind.EXPLANATION]} == {
        "Bob Baker wrote an explanation",
        "Bob Baker revised an explanation",
    }
    [record] = by_kind[NewsKind.SESSION_RECORD]
    assert record.url == reverse("care_sessions:detail", args=[session.pk])
    [answer] = by_kind[NewsKind.ANSWER]
    assert answer.title == "Can I swim?"
    assert answer.url == reverse("alliance:record-question", args=[cast.alice.pk, answer.link_id])
    [advice] = by_kind[NewsKind.ADVICE]
    assert advice.headline == "Bob Baker added their own view to the options"
    assert advice.url == reverse("alliance:record-decision", args=[cast.alice.pk, advice.link_id]) + "#advice-heading"
    [review] = by_kind[NewsKind.REVIEW]
    assert review.headline == "Bob Baker wrote a step-back review with you"
    assert review.url == reverse("alliance:review", args=[cast.alice.pk, review.link_id])
    [plan_item] = by_kind[NewsKind.PLAN_ITEM]
    assert plan_item.url == reverse("care_sessions:plan", args=[cast.alice.pk]) + f"#item-{plan_item.link_id}"
    # Each link on the page answers for alice: the list never points somewhere she cannot go.
    client = _signed_in(cast.alice.user)
    for thing in news.new:
        assert client.get(thing.url.split("#")[0]).status_code == 200, thing


def test_the_patients_own_words_and_what_is_not_hers_to_see_are_not_news(cast):
    h.ask(cast)  # her own question, not answered yet
    h.win(cast)  # her own win, not yet replied to
    h.story(cast)
    h.decision(cast, title="Still a draft")  # not shared yet
    answered = h.answered(cast, text="Can I swim?")
    svc.question_feedback(question=answered, by=cast.alice.user, helped=True)  # her own reply to the answer
    withdrawn = h.answered(cast, text="Never mind")
    svc.record_item_withdraw(item=withdrawn, by=cast.alice.user)
    # Frank's care team answering Frank is not alice's news.
    frank_q = svc.question_ask(
        patient=cast.frank, by=cast.frank.user, text="Frank's question", worried_silly=False, route="ask_now"
    )
    svc.question_answer(question=frank_q, by=cast.carol.user, body="An answer for Frank.")
    things = whats_new_for(user=cast.alice.user, limit=50).new
    assert [(t.kind, t.title) for t in things] == [(NewsKind.ANSWER, "Can I swim?")]


def test_opening_one_thing_from_the_list_marks_only_that_one_seen_and_goes_to_it(cast):
    h.answered(cast, text="Can I swim?")
    h.answered(cast, text="Can I cycle?")
    client = _signed_in(cast.alice.user)
    home = client.get(HOME)
    assert "What's new since you last visited" in visible_text(home)
    first = whats_new_for(user=cast.alice.user, limit=5).new[0]
    assert first.open_url in home.content.decode()
    response = client.get(first.open_url)
    assert response.status_code == 302 and response["Location"] == first.url
    left = whats_new_for(user=cast.alice.user, limit=5).new
    assert [t.title for t in left] == ["Can I swim?"]
    # Opening it again is harmless.
    assert client.get(first.open_url).status_code == 302
    assert NewsSeen.objects.filter(user=cast.alice.user).count() == 1


def test_the_home_page_shows_new_things_but_does_not_mark_them_seen(cast):
    h.answered(cast, text="Can I swim?")
    client = _signed_in(cast.alice.user)
    client.get(HOME)
    client.get(HOME)
    assert "Can I swim?" in visible_text(client.get(HOME))


def test_the_whats_new_page_lists_everything_then_keeps_it_under_already_seen(cast):
    h.answered(cast, text="Can I swim?")
    h.reflection(cast)
    client = _signed_in(cast.alice.user)
    first = visible_text(client.get(PAGE))
    assert "New for you (2)" in first and "Can I swim?" in first and "Already seen" not in first
    second = visible_text(client.get(PAGE))
    assert "You're up to date" in second
    assert "Already seen" in second and "Can I swim?" in second
    home = visible_text(client.get(HOME))
    assert "Nothing new from your care team since your last visit" in home and "Can I swim?" not in home


def test_reading_that_part_of_the_record_counts_as_seeing_it(cast):
    h.answered(cast, text="Can I swim?")
    record_visit_mark(user=cast.alice.user, patient=cast.alice, section=RecordSection.QUESTIONS)
    assert whats_new_for(user=cast.alice.user, limit=5).new == []
    # A later answer is new again.
    h.answered(cast, text="Can I cycle?")
    assert [t.title for t in whats_new_for(user=cast.alice.user, limit=5).new] == ["Can I cycle?"]


def test_someone_elses_thing_or_an_unknown_kind_is_not_found(cast):
    frank_q = svc.question_ask(
        patient=cast.frank, by=cast.frank.user, text="Frank's question", worried_silly=False, route="ask_now"
    )
    reply = svc.question_answer(question=frank_q, by=cast.carol.user, body="An answer for Frank.")
    client = _signed_in(cast.alice.user)
    assert client.get(reverse("alliance:whats-new-open", args=["answer", reply.pk])).status_code == 404
    assert client.get(reverse("alliance:whats-new-open", args=["nonsense", reply.pk])).status_code == 404
    assert not NewsSeen.objects.exists()


def test_times_are_shown_in_the_patients_own_zone(cast):
    cast.alice.user.timezone = "Australia/Sydney"
    cast.alice.user.save()
    h.answered(cast, text="Can I swim?")
    thing = whats_new_for(user=cast.alice.user, limit=5).new[0]
    local = thing.at.astimezone(zoneinfo.ZoneInfo("Australia/Sydney"))
    text = visible_text(_signed_in(cast.alice.user).get(PAGE))
    assert f"{local:%H:%M}" in text and "Australia/Sydney" in text


def test_a_batch_is_named_by_the_last_visit_and_only_counts_what_came_after_it(cast):
    assert news_batches_waiting(user_ids=[cast.alice.user.pk, cast.bob.user.pk]) == {}
    h.answered(cast, text="Can I swim?")
    assert news_batches_waiting(user_ids=[cast.alice.user.pk, cast.bob.user.pk]) == {cast.alice.user.pk: "since:never"}
    news_visit_mark(user=cast.alice.user)
    # Shown on her home at that visit: not new since it, so no batch, though she has not opened it.
    assert news_batches_waiting(user_ids=[cast.alice.user.pk]) == {}
    reply = h.answered(cast, text="Can I cycle?")
    [batch] = news_batches_waiting(user_ids=[cast.alice.user.pk]).values()
    assert batch.startswith("since:2")
    # Opened already: nothing is waiting.
    thing = whats_new_for(user=cast.alice.user, limit=5).new[0]
    assert thing.link_id == reply.pk
    _signed_in(cast.alice.user).get(thing.open_url)
    assert news_batches_waiting(user_ids=[cast.alice.user.pk]) == {}


def test_the_home_and_the_page_cost_the_same_queries_with_1_or_50_new_things(cast):
    def add(n):
        for _ in range(n):
            h.answered(cast, text="Can I swim?")
            win = h.win(cast)
            svc.win_acknowledge(win=win, by=cast.bob.user, reply="Well done.")
            NewsSeen.objects.filter(user=cast.alice.user).delete()  # each visit below sees all of them anew

    counts = query_counts_at_1_and_50(add, lambda: [(cast.alice.user, HOME, 16), (cast.alice.user, PAGE, 12)])
    assert counts


def test_a_decision_chosen_later_is_still_one_thing_shared(cast):
    decision = h.decision(cast, share=True)
    svc.decision_preference_record(
        decision=decision,
        by=cast.alice.user,
        what_matters="Lifting my grandson",
        kind=PreferenceKind.CHOSEN,
        option=decision.options.first(),
    )
    things = whats_new_for(user=cast.alice.user, limit=5).new
    assert [t.kind for t in things] == [NewsKind.OPTIONS]
    assert things[0].at <= timezone.now() + timedelta(seconds=1)


def test_the_demo_patient_came_to_look_days_ago_and_sees_only_what_came_since(cast):
    session = past_session(cast, hours=24 * 10)
    record = session_record_save(
        by=cast.bob.user, care_session=session, summary="We agreed.", next_steps="", entries=[]
    )
    SessionRecord.objects.filter(pk=record.pk).update(written_at=timezone.now() - timedelta(days=9))
    h.answered(cast, text="Can I swim?")
    ctx = SimpleNamespace(now=timezone.now(), all_patients=[cast.alice])
    seed_news(ctx)
    seed_news(ctx)  # again: nothing changes
    assert [t.title for t in whats_new_for(user=cast.alice.user, limit=50).new] == ["Can I swim?"]
    assert NewsSeen.objects.filter(user=cast.alice.user, kind=NewsKind.SESSION_RECORD).count() == 1


def test_opening_her_review_or_the_decision_page_directly_counts_as_seeing_the_review_and_the_advice(cast):
    review = h.review(cast)
    knee = h.decision(cast, title="What to do about my knee", share=True)
    svc.decision_advice_give(
        decision=knee,
        by=cast.bob.user,
        advice="I would try the exercise programme for three months first.",
        reasons="It helps most people and keeps surgery open.",
        would_change="If walking got much worse.",
    )
    client = _signed_in(cast.alice.user)
    kinds = {t.kind for t in whats_new_for(user=cast.alice.user, limit=50).new}
    assert {NewsKind.REVIEW, NewsKind.ADVICE} <= kinds
    assert client.get(reverse("alliance:review", args=[cast.alice.pk, review.pk])).status_code == 200
    assert client.get(reverse("alliance:record-decision", args=[cast.alice.pk, knee.pk])).status_code == 200
    kinds = {t.kind for t in whats_new_for(user=cast.alice.user, limit=50).new}
    assert NewsKind.REVIEW not in kinds and NewsKind.ADVICE not in kinds and NewsKind.OPTIONS not in kinds
    # The clinician reading it marks nothing for her.
    assert not NewsSeen.objects.exclude(user=cast.alice.user).exists()


def test_a_win_acknowledged_in_one_tap_is_acknowledged_and_one_with_words_is_replied_to(cast):
    tapped = h.win(cast, text="I walked to the post box")
    svc.win_acknowledge(win=tapped, by=cast.bob.user)
    worded = h.win(cast, text="I slept through")
    svc.win_acknowledge(win=worded, by=cast.bob.user, reply="That's a real step.")
    headlines = {t.title: t.headline for t in whats_new_for(user=cast.alice.user, limit=50).new}
    assert headlines == {
        "I walked to the post box": "Bob Baker acknowledged your win",
        "I slept through": "Bob Baker replied to your win",
    }
    page = visible_text(_signed_in(cast.alice.user).get(PAGE))
    assert "Bob Baker acknowledged your win" in page and "Bob Baker replied to your win" in page

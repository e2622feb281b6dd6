"""The shared record's rules, tested through its services (and the database, where it holds the rule)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from alliance.models import (
    Alert,
    AlertKind,
    DecisionStatus,
    Fit,
    FitResponse,
    GoalRating,
    GoalScale,
    GoalStatus,
    Option,
    PreferenceKind,
    QuestionRoute,
    QuestionStatus,
    RecordRevision,
    RecordSection,
    Setback,
    StoryTopic,
    Win,
)
from alliance.models.record import BALANCE_RULE
from alliance.selectors import record as sel
from alliance.services import record as svc
from sessions.models import AgendaItem, AgendaSource, AgendaStatus
from tests.alliance.record import helpers as h

pytestmark = pytest.mark.django_db


def agenda(cast, source):
    return list(AgendaItem.objects.filter(patient=cast.alice, source=source))


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- Questions -------------------------------------------------------------------------------------


def test_a_question_for_the_next_session_lands_on_that_sessions_agenda(cast):
    question = h.ask(cast, route=QuestionRoute.NEXT_SESSION, silly=True)
    [item] = agenda(cast, AgendaSource.QUESTION)
    assert item.care_session == cast.alice_session
    assert item.text == question.text and item.raised_by == cast.alice.user
    assert item.source_ref == f"question:{question.pk}"
    assert "silly" not in item.text.lower(), "the worry is for the care team, not the shared agenda"


def test_a_question_asked_now_waits_for_a_written_answer_and_stays_off_the_agenda(cast):
    question = h.ask(cast, route=QuestionRoute.ASK_NOW)
    assert question.status == QuestionStatus.WAITING and question.is_open
    assert agenda(cast, AgendaSource.QUESTION) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please write your question"),
        ("   \n ", "Please write your question"),
        ("x" * 10_000, "Please keep this to 2,000 characters or fewer. It's 10,000 at the moment."),
        ("null \x00 byte", "a character we can't store"),
    ],
)
def test_a_question_that_cannot_be_stored_says_why_next_to_the_field(cast, text, message):
    with pytest.raises(ValidationError) as excinfo:
        h.ask(cast, text=text)
    assert message in errors_of(excinfo)["text"][0]


def test_html_and_emoji_are_stored_exactly_as_typed(cast):
    text = "<script>alert('hi')</script> Is 🏊 swimming OK? 💙"
    assert h.ask(cast, text=text).text == text


def test_only_the_patient_asks_their_own_questions(cast):
    for someone in (cast.bob.user, cast.frank.user, cast.dave.user):
        with pytest.raises(PermissionDenied):
            svc.question_ask(patient=cast.alice, by=someone, text="Hi", worried_silly=False, route="ask_now")


def test_only_the_care_team_answers(cast):
    question = h.ask(cast)
    for someone in (cast.carol.user, cast.alice.user, cast.dave.user, cast.heidi.user):
        with pytest.raises(PermissionDenied):
            svc.question_answer(question=question, by=someone, body="An answer")
    with pytest.raises(ValidationError) as excinfo:
        svc.question_answer(question=question, by=cast.bob.user, body="  ")
    assert "body" in errors_of(excinfo)


def test_still_unclear_keeps_the_question_open_and_can_go_on_the_agenda(cast):
    question = h.answered(cast)
    assert question.status == QuestionStatus.ANSWERED and not question.is_open
    svc.question_feedback(
        question=question, by=cast.alice.user, helped=False, words="I still don't get it", raise_next_session=True
    )
    question.refresh_from_db()
    assert question.status == QuestionStatus.STILL_UNCLEAR and question.is_open
    [item] = agenda(cast, AgendaSource.QUESTION)
    assert item.text.startswith("Still unclear:")
    attention = sel.record_attention_for_clinician(user=cast.bob.user)
    assert [(p.pk, p.open_questions) for p in attention.with_open_questions] == [(cast.alice.pk, 1)]


def test_that_helps_closes_the_question(cast):
    question = h.answered(cast)
    svc.question_feedback(question=question, by=cast.alice.user, helped=True)
    question.refresh_from_db()
    assert question.status == QuestionStatus.HELPED and not question.is_open
    assert [r.kind for r in question.replies.all()] == ["answer", "helped"]


def test_feedback_waits_for_an_answer(cast):
    with pytest.raises(ValidationError, match="once your clinician has answered"):
        svc.question_feedback(question=h.ask(cast), by=cast.alice.user, helped=True)


def test_talking_about_a_question_in_session_settles_its_agenda_item(cast):
    question = h.ask(cast, route=QuestionRoute.NEXT_SESSION)
    svc.question_answer(question=question, by=cast.bob.user, body="", in_session=True)
    assert agenda(cast, AgendaSource.QUESTION)[0].status == AgendaStatus.DISCUSSED


def test_the_silly_worry_only_reaches_the_care_team(cast):
    h.ask(cast, silly=True)
    h.ask(cast, text="Another one")
    attention = sel.record_attention_for_clinician(user=cast.bob.user)
    assert attention.with_open_questions[0].worried_questions == 1
    assert sel.record_counts_for_admin(user=cast.dave.user).get(pk=cast.alice.pk).open_questions == 2
    assert not hasattr(sel.record_counts_for_admin(user=cast.dave.user).get(pk=cast.alice.pk), "worried_questions")


# --- Goals -----------------------------------------------------------------------------------------


def test_a_patients_goal_is_agreed_as_written_and_a_clinicians_is_a_suggestion(cast):
    mine = h.goal(cast)
    suggested = h.goal(cast, text="Sit through a film", by=cast.bob.user)
    assert (mine.status, suggested.status) == (GoalStatus.ACTIVE, GoalStatus.PROPOSED)
    assert mine.agreed_at is not None and suggested.agreed_at is None


def test_the_patient_rewords_a_suggested_goal_and_the_suggestion_stays_in_history(cast):
    goal = h.goal(cast, text="Sit through a film", by=cast.bob.user)
    with pytest.raises(PermissionDenied):
        svc.goal_accept(goal=goal, by=cast.bob.user)
    svc.goal_accept(goal=goal, by=cast.alice.user, text="Watch a whole film with my kids")
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE and goal.text == "Watch a whole film with my kids"
    [revision] = RecordRevision.objects.filter(item_kind="goal", item_id=goal.pk)
    assert revision.previous == {"text": "Sit through a film"} and revision.edited_by == cast.alice.user


def test_a_suggested_goal_is_the_patients_to_let_go(cast):
    goal = h.goal(cast, by=cast.bob.user)
    with pytest.raises(ValidationError):
        svc.goal_status_set(goal=goal, by=cast.bob.user, status=GoalStatus.LET_GO)
    svc.goal_status_set(goal=goal, by=cast.alice.user, status=GoalStatus.LET_GO)
    assert goal.status == GoalStatus.LET_GO


@pytest.mark.parametrize(
    ("scale", "good", "bad"), [(GoalScale.ZERO_TEN, [0, 10], [-1, 11]), (GoalScale.GAS, [-2, 2], [-3, 3])]
)
def test_ratings_stay_in_the_goals_scale(cast, scale, good, bad):
    goal = h.goal(cast, scale=scale)
    for value in good:
        svc.goal_rate(goal=goal, by=cast.alice.user, value=value)
    for value in [*bad, "many", None]:
        with pytest.raises(ValidationError) as excinfo:
            svc.goal_rate(goal=goal, by=cast.bob.user, value=value)
        assert "Please choose a number" in errors_of(excinfo)["value"][0]


def test_the_database_refuses_a_rating_outside_its_scale(cast):
    goal = h.goal(cast, scale=GoalScale.GAS)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalRating.objects.create(goal=goal, scale=GoalScale.GAS, value=5, rated_by=cast.alice.user)


def test_a_goal_shows_a_small_trend_in_words(cast):
    goal = h.goal(cast)
    for value in (3, 4, 6):
        svc.goal_rate(goal=goal, by=cast.alice.user, value=value)
    goal = sel.goal_get(user=cast.alice.user, patient=cast.alice, pk=goal.pk)
    trend = sel.goal_trend(goal)
    assert trend.summary.startswith("From 3 on") and "to 6 on" in trend.summary and "3 ratings" in trend.summary
    assert len(trend.points.split()) == 3


def test_letting_go_is_never_called_failure(cast):
    assert not [label for _, label in GoalStatus.choices if "fail" in label.lower()]
    goal = h.goal(cast)
    for status in (GoalStatus.PAUSED, GoalStatus.ACTIVE, GoalStatus.ACHIEVED, GoalStatus.ACTIVE, GoalStatus.LET_GO):
        svc.goal_status_set(goal=goal, by=cast.alice.user, status=status)
    assert goal.get_status_display() == "Let go"


# --- Wins and setbacks -----------------------------------------------------------------------------


def test_an_unacknowledged_win_waits_on_the_clinicians_home_until_acknowledged(cast):
    win = h.win(cast)
    h.win(cast, text="Bob noticed I walked further", by=cast.bob.user)
    attention = sel.record_attention_for_clinician(user=cast.bob.user)
    assert [w.pk for w in attention.unacknowledged_wins] == [win.pk], "only the patient's own wins wait for a reply"
    with pytest.raises(ValidationError):
        svc.win_acknowledge(win=win, by=cast.bob.user, reply="x" * 501)
    with pytest.raises(PermissionDenied):
        svc.win_acknowledge(win=win, by=cast.carol.user, reply="Great")
    svc.win_acknowledge(win=win, by=cast.bob.user, reply="That's a real step, well done!")
    assert sel.record_attention_for_clinician(user=cast.bob.user).unacknowledged_wins == []
    with pytest.raises(ValidationError, match="already been acknowledged"):
        svc.win_acknowledge(win=win, by=cast.bob.user, reply="Again")


def test_a_win_is_acknowledged_in_one_tap_without_words(cast):
    win = h.win(cast)
    svc.win_acknowledge(win=win, by=cast.bob.user)
    win.refresh_from_db()
    assert (win.acknowledged_by, win.acknowledgement) == (cast.bob.user, "")
    assert sel.record_attention_for_clinician(user=cast.bob.user).unacknowledged_wins == []


def test_the_database_refuses_an_acknowledgement_by_nobody(cast):
    win = h.win(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Win.objects.filter(pk=win.pk).update(acknowledged_at=timezone.now(), acknowledgement="Well done")


def test_a_setback_has_no_score_and_can_go_on_the_agenda(cast):
    numbers = [f for f in Setback._meta.get_fields() if isinstance(f, models.IntegerField | models.DecimalField)]
    assert numbers == [Setback._meta.pk], "a setback is never scored"
    setback = svc.setback_log(
        patient=cast.alice,
        by=cast.alice.user,
        what_happened="A flare after the wedding",
        what_helped="Heat and a quiet day",
        add_to_agenda=True,
    )
    assert setback.on_agenda_at is not None
    [item] = agenda(cast, AgendaSource.SETBACK)
    assert "flare after the wedding" in item.text
    svc.setback_add_to_agenda(setback=setback, by=cast.bob.user)
    assert len(agenda(cast, AgendaSource.SETBACK)) == 1, "adding it twice keeps one agenda item"


# --- Explanations ----------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_ones_with_their_dates(cast):
    explanation = h.explanation(cast)
    svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="Second thoughts")
    numbers = list(explanation.versions.order_by("number").values_list("number", "body"))
    assert numbers == [(1, "Your nervous system has become protective."), (2, "Second thoughts")]
    with pytest.raises(ValidationError, match="same as the current version"):
        svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="Second thoughts")
    with pytest.raises(PermissionDenied):
        svc.explanation_revise(explanation=explanation, by=cast.alice.user, body="Mine")


def test_doesnt_fit_needs_the_patients_own_words(cast):
    explanation = h.explanation(cast)
    with pytest.raises(ValidationError) as excinfo:
        svc.explanation_respond(version=explanation.versions.get(), by=cast.alice.user, fit=Fit.DOESNT_FIT)
    assert "in your own words" in errors_of(excinfo)["words"][0]


def test_doesnt_fit_stays_open_on_home_and_agenda_until_talked_through(cast):
    explanation, response = h.doesnt_fit(cast)
    [item] = agenda(cast, AgendaSource.EXPLANATION)
    assert item.care_session == cast.alice_session and "doesn't fit" in item.text
    assert [r.pk for r in sel.record_attention_for_clinician(user=cast.bob.user).open_fits] == [response.pk]
    assert sel.record_counts_for_admin(user=cast.dave.user).get(pk=cast.alice.pk).open_fits == 1

    # A later visit, another version: still open until someone records the conversation.
    svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="A new way of putting it")
    assert [r.pk for r in sel.record_attention_for_clinician(user=cast.bob.user).open_fits] == [response.pk]

    with pytest.raises(ValidationError, match="once you've talked it through"):
        svc.explanation_felt_heard(response=response, by=cast.alice.user, felt_heard="yes")
    with pytest.raises(PermissionDenied):
        svc.explanation_talked_through(response=response, by=cast.carol.user)
    svc.explanation_talked_through(response=response, by=cast.bob.user, note="We looked at the scan together")
    assert sel.record_attention_for_clinician(user=cast.bob.user).open_fits == []
    assert agenda(cast, AgendaSource.EXPLANATION)[0].status == AgendaStatus.DISCUSSED

    svc.explanation_felt_heard(response=response, by=cast.alice.user, felt_heard="partly", words="Mostly")
    response.refresh_from_db()
    assert (response.felt_heard, response.felt_heard_words) == ("partly", "Mostly")
    with pytest.raises(ValidationError):
        svc.explanation_felt_heard(response=response, by=cast.alice.user, felt_heard="yes")


def test_fits_is_not_something_to_talk_through(cast):
    explanation = h.explanation(cast)
    response = svc.explanation_respond(version=explanation.versions.get(), by=cast.alice.user, fit=Fit.FITS)
    assert not response.is_open and agenda(cast, AgendaSource.EXPLANATION) == []
    with pytest.raises(ValidationError):
        svc.explanation_talked_through(response=response, by=cast.bob.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        FitResponse.objects.filter(pk=response.pk).update(
            talked_through_at=timezone.now(), talked_through_by=cast.bob.user
        )


def test_only_the_latest_version_is_answered_and_only_once(cast):
    explanation = h.explanation(cast)
    first = explanation.versions.get()
    svc.explanation_revise(explanation=explanation, by=cast.bob.user, body="v2")
    with pytest.raises(ValidationError, match="newer version"):
        svc.explanation_respond(version=first, by=cast.alice.user, fit=Fit.FITS)
    latest = explanation.versions.get(number=2)
    svc.explanation_respond(version=latest, by=cast.alice.user, fit=Fit.FITS)
    with pytest.raises(ValidationError, match="already answered"):
        svc.explanation_respond(version=latest, by=cast.alice.user, fit=Fit.PARTLY, words="Hmm")


# --- Options and decisions -------------------------------------------------------------------------


def test_a_one_sided_option_cannot_be_shared_and_the_refusal_says_why(cast):
    decision = h.decision(cast, balanced=False)
    with pytest.raises(ValidationError) as excinfo:
        svc.decision_share(decision=decision, by=cast.bob.user)
    messages = excinfo.value.messages
    assert "“A rehab programme” needs a downside." in messages
    assert BALANCE_RULE in messages
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.DRAFT
    assert not Option.objects.filter(decision=decision, shared_at__isnull=False).exists()


def test_sharing_needs_at_least_two_options(cast):
    decision = svc.decision_start(patient=cast.alice, by=cast.bob.user, title="Injections?")
    svc.option_add(decision=decision, by=cast.bob.user, title="Injection", benefits="Quick", downsides="Can wear off")
    with pytest.raises(ValidationError, match="at least two options"):
        svc.decision_share(decision=decision, by=cast.bob.user)


def test_the_database_refuses_a_shared_option_without_both_sides(cast):
    decision = h.decision(cast, balanced=False)
    lopsided = decision.options.get(title="A rehab programme")
    for downsides in ("", "   \n"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Option.objects.filter(pk=lopsided.pk).update(downsides=downsides, shared_at=timezone.now())


def test_a_shared_decisions_options_stay_balanced(cast):
    decision = h.decision(cast, share=True)
    with pytest.raises(ValidationError) as excinfo:
        svc.option_add(decision=decision, by=cast.bob.user, title="Waiting", benefits="No risk now")
    assert "downsides" in errors_of(excinfo)
    option = decision.options.first()
    with pytest.raises(ValidationError) as excinfo:
        svc.record_item_edit(item=option, by=cast.bob.user, changes={"downsides": ""})
    assert "Add at least one downside" in errors_of(excinfo)["downsides"][0]
    added = svc.option_add(
        decision=decision, by=cast.bob.user, title="Waiting", benefits="No risk now", downsides="Pain may continue"
    )
    assert added.shared_at is not None


def test_the_patient_never_sees_a_draft_or_a_withdrawn_option(cast):
    draft = h.decision(cast, title="Draft")
    assert list(sel.decisions_for(user=cast.alice.user, patient=cast.alice)) == []
    extra = svc.option_add(decision=draft, by=cast.bob.user, title="Extra", benefits="b", downsides="d")
    svc.record_item_withdraw(item=extra, by=cast.bob.user)
    svc.decision_share(decision=draft, by=cast.bob.user)
    [shown] = sel.decisions_for(user=cast.alice.user, patient=cast.alice)
    assert [o.title for o in shown.options.all()] == ["Surgery", "A rehab programme"]


def test_unsure_puts_the_decision_on_the_agenda_and_choosing_decides_it(cast):
    decision = h.decision(cast, share=True)
    svc.decision_preference_record(
        decision=decision, by=cast.alice.user, what_matters="Work", kind=PreferenceKind.UNSURE
    )
    assert len(agenda(cast, AgendaSource.DECISION)) == 1
    with pytest.raises(ValidationError):
        svc.decision_preference_record(
            decision=decision, by=cast.alice.user, what_matters="", kind=PreferenceKind.CHOSEN, option=None
        )
    rehab = decision.options.get(title="A rehab programme")
    svc.decision_preference_record(
        decision=decision, by=cast.alice.user, what_matters="Not missing work", kind=PreferenceKind.CHOSEN, option=rehab
    )
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.DECIDED and decision.preferred_option == rehab
    with pytest.raises(PermissionDenied):
        svc.decision_preference_record(decision=decision, by=cast.bob.user, what_matters="", kind="unsure")


def test_a_low_decision_check_raises_one_alert_on_the_caseload(cast):
    decision = h.decided(cast)
    with pytest.raises(ValidationError) as excinfo:
        svc.decision_check_submit(
            decision=decision, by=cast.alice.user, had_a_say=5, understood_options=None, told_downsides=2
        )
    assert set(errors_of(excinfo)) == {"had_a_say", "understood_options"}
    svc.decision_check_submit(
        decision=decision, by=cast.alice.user, had_a_say=1, understood_options=3, told_downsides=4
    )
    [alert] = Alert.objects.filter(patient=cast.alice)
    assert alert.kind == AlertKind.DECISION_CHECK and alert.decision == decision
    assert "a little (1/4)" in alert.detail
    with pytest.raises(ValidationError, match="already answered"):
        svc.decision_check_submit(
            decision=decision, by=cast.alice.user, had_a_say=0, understood_options=0, told_downsides=0
        )
    assert Alert.objects.filter(patient=cast.alice).count() == 1


def test_a_good_decision_check_raises_nothing(cast):
    decision = h.decided(cast)
    check = svc.decision_check_submit(
        decision=decision, by=cast.alice.user, had_a_say=2, understood_options=3, told_downsides=4
    )
    assert not check.is_low and not Alert.objects.exists()


# --- Story -----------------------------------------------------------------------------------------


def test_a_marked_passage_must_be_in_the_entry_and_goes_on_the_agenda(cast):
    entry = h.story(cast)
    with pytest.raises(ValidationError) as excinfo:
        svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="words she never wrote")
    assert "aren't in this entry" in errors_of(excinfo)["quote"][0]
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="Lifting patients was my life.")
    [item] = agenda(cast, AgendaSource.STORY)
    assert "Alice's story" in item.text and "Lifting patients" in item.text
    with pytest.raises(ValidationError, match="already marked"):
        svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="Lifting patients was my life.")
    with pytest.raises(PermissionDenied):
        svc.story_add(patient=cast.alice, by=cast.bob.user, topic=StoryTopic.LIFE, title="", body="Not yours")


def test_story_segments_highlight_marked_passages(cast):
    entry = h.story(cast, body="one two three four")
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="two")
    svc.story_passage_mark(entry=entry, by=cast.bob.user, quote="two three")
    entry = sel.story_entry_get(user=cast.bob.user, patient=cast.alice, pk=entry.pk)
    assert sel.story_segments(entry) == [("one ", False), ("two three", True), (" four", False)]


def test_what_i_heard_is_confirmed_or_corrected_in_the_patients_words(cast):
    reflection = h.reflection(cast)
    with pytest.raises(ValidationError) as excinfo:
        svc.story_reflection_respond(reflection=reflection, by=cast.alice.user, confirmed=False)
    assert "correction" in errors_of(excinfo)
    svc.story_reflection_respond(
        reflection=reflection, by=cast.alice.user, confirmed=False, correction="It was the people, not the lifting."
    )
    assert reflection.response == "corrected"
    with pytest.raises(ValidationError):
        svc.story_reflection_respond(reflection=reflection, by=cast.alice.user, confirmed=True)


# --- Private notes, withdrawing, history, "new" ----------------------------------------------------


def test_private_notes_never_reach_the_patient(cast):
    svc.private_note_add(patient=cast.alice, by=cast.bob.user, body="Ask about her mum", section="story")
    assert [n.body for n in sel.private_notes_for(user=cast.bob.user, patient=cast.alice)] == ["Ask about her mum"]
    assert list(sel.private_notes_for(user=cast.alice.user, patient=cast.alice)) == []
    with pytest.raises(PermissionDenied):
        svc.private_note_add(patient=cast.alice, by=cast.alice.user, body="Sneaky")


def test_withdrawing_hides_from_the_patient_keeps_for_the_team_and_leaves_the_agenda(cast):
    question = h.ask(cast, route=QuestionRoute.NEXT_SESSION)
    with pytest.raises(PermissionDenied):
        svc.record_item_withdraw(item=question, by=cast.bob.user)
    svc.record_item_withdraw(item=question, by=cast.alice.user)
    assert list(sel.questions_for(user=cast.alice.user, patient=cast.alice)) == []
    [kept] = sel.questions_for(user=cast.bob.user, patient=cast.alice)
    assert kept.withdrawn_by == cast.alice.user and kept.is_withdrawn
    assert agenda(cast, AgendaSource.QUESTION) == []
    with pytest.raises(ValidationError, match="withdrawn"):
        svc.question_answer(question=kept, by=cast.bob.user, body="Too late")


def test_edits_keep_the_earlier_wording(cast):
    question = h.ask(cast, text="First wording")
    svc.record_item_edit(item=question, by=cast.alice.user, changes={"text": "Second wording"})
    svc.record_item_edit(item=question, by=cast.alice.user, changes={"text": "Third wording"})
    assert svc.record_item_edit(item=question, by=cast.alice.user, changes={"text": "Third wording"}) is None
    history = sel.record_history(item=question)
    assert [r.previous["text"] for r in history] == ["First wording", "Second wording"]
    question.refresh_from_db()
    assert question.text == "Third wording" and question.edited_at is not None
    with pytest.raises(PermissionDenied):
        svc.record_item_edit(item=question, by=cast.bob.user, changes={"text": "Bob's words"})


def test_new_since_your_last_visit_counts_what_someone_else_did(cast):
    question = h.ask(cast)
    assert svc.record_visit_mark(user=cast.alice.user, patient=cast.alice, section=RecordSection.QUESTIONS) is None
    assert sel.record_new_counts(user=cast.alice.user, patient=cast.alice)[RecordSection.QUESTIONS] == 0
    assert sel.record_new_counts(user=cast.bob.user, patient=cast.alice)[RecordSection.QUESTIONS] == 1
    later = timezone.now() + timedelta(seconds=1)
    svc.question_answer(question=question, by=cast.bob.user, body="Here's what I think")
    type(question).objects.filter(pk=question.pk).update(last_activity_at=later)
    assert sel.record_new_counts(user=cast.alice.user, patient=cast.alice)[RecordSection.QUESTIONS] == 1
    assert sel.record_prompts_for_patient(user=cast.alice.user).answers_to_read == 1
    seen = svc.record_visit_mark(user=cast.alice.user, patient=cast.alice, section=RecordSection.QUESTIONS)
    assert seen is not None
    type(question).objects.filter(pk=question.pk).update(last_activity_at=timezone.now() - timedelta(seconds=1))
    assert sel.record_new_counts(user=cast.alice.user, patient=cast.alice)[RecordSection.QUESTIONS] == 0

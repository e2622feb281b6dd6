"""Small builders for shared-record tests: each makes one thing through the real services."""

from alliance.models import Fit, GoalScale, PreferenceKind, QuestionRoute, StoryTopic
from alliance.services import record as svc


def ask(cast, text="Why does my back hurt more in the evening?", silly=False, route=QuestionRoute.ASK_NOW):
    return svc.question_ask(patient=cast.alice, by=cast.alice.user, text=text, worried_silly=silly, route=route)


def answered(cast, **kwargs):
    question = ask(cast, **kwargs)
    svc.question_answer(question=question, by=cast.bob.user, body="Tiredness lowers the pain threshold.")
    question.refresh_from_db()
    return question


def goal(cast, text="Walk to the shops and back without stopping", by=None, scale=GoalScale.ZERO_TEN):
    return svc.goal_add(patient=cast.alice, by=by or cast.alice.user, text=text, scale=scale)


def win(cast, text="I walked to the post box", by=None):
    return svc.win_log(patient=cast.alice, by=by or cast.alice.user, text=text)


def setback(cast, text="A bad flare after gardening"):
    return svc.setback_log(patient=cast.alice, by=cast.alice.user, what_happened=text)


def explanation(cast, title="Why my back still hurts", body="Your nervous system has become protective."):
    return svc.explanation_write(patient=cast.alice, by=cast.bob.user, title=title, body=body)


def doesnt_fit(cast, words="It feels like something is damaged, not protective."):
    exp = explanation(cast)
    response = svc.explanation_respond(version=exp.versions.get(), by=cast.alice.user, fit=Fit.DOESNT_FIT, words=words)
    return exp, response


def decision(cast, title="What to do about my knee", balanced=True, share=False):
    d = svc.decision_start(patient=cast.alice, by=cast.bob.user, title=title)
    svc.option_add(
        decision=d, by=cast.bob.user, title="Surgery", benefits="May fix the joint", downsides="Recovery takes months"
    )
    svc.option_add(
        decision=d,
        by=cast.bob.user,
        title="A rehab programme",
        benefits="No operation",
        downsides="Hard work most days" if balanced else "",
    )
    if share:
        svc.decision_share(decision=d, by=cast.bob.user)
    d.refresh_from_db()
    return d


def decided(cast):
    d = decision(cast, share=True)
    option = d.options.first()
    svc.decision_preference_record(
        decision=d, by=cast.alice.user, what_matters="Lifting my grandson", kind=PreferenceKind.CHOSEN, option=option
    )
    d.refresh_from_db()
    return d


def story(cast, body="I was a nurse for twenty years. Lifting patients was my life. Then my back went."):
    return svc.story_add(patient=cast.alice, by=cast.alice.user, topic=StoryTopic.HISTORY, title="", body=body)


def reflection(cast):
    entry = story(cast)
    return svc.story_reflect(entry=entry, by=cast.bob.user, summary="Work was a big part of who you are.")


def review(cast, **words):
    """A step-back review bob wrote for alice."""
    from alliance.services.reviews import review_write

    parts = {
        "what_changed": "You're walking further than in the spring.",
        "what_hasnt": "The evenings are still hard.",
        "going_on": "Your nervous system is still on high alert after a long day.",
        "try_next": "Pacing the afternoons, and a short wind-down routine.",
    }
    return review_write(patient=cast.alice, by=cast.bob.user, **{**parts, **words})

"""Demo step: the shared record, written through the real services so every rule holds.

patient1 (with clinician1) has the full picture: a "silly" question answered and one still
unclear, goals with a trend, wins (some acknowledged) and setbacks, an explanation answered
"doesn't fit", an options decision with the clinician's own view and the check, a step-back
review with patient1's answer, and story entries with a marked passage.
patient2 (with clinician2) has things waiting for their clinician; everyone else has a goal and a
win or two. A patient whose record already has anything in it is left alone, so the step is
idempotent.
"""

from __future__ import annotations

from alliance.models import (
    Fit,
    GoalScale,
    GoalStatus,
    PreferenceKind,
    Question,
    QuestionRoute,
    Setback,
    StepBackReview,
    StoryTopic,
    Win,
)
from alliance.models.record import RecordItem
from alliance.services import record as svc
from alliance.services.reviews import review_reflect, review_write
from patients.models import Patient


def _ago(ctx, item: RecordItem, days: float) -> None:
    """Move an item back in time, so the record reads like weeks of history."""
    staff = item.created_by_id != item.patient.user_id
    when = ctx.at(days, staff=staff, key=(type(item).__name__, item.pk))
    type(item).objects.filter(pk=item.pk).update(created_at=when, last_activity_at=when)


def _full_record(ctx, patient: Patient, clinician) -> None:
    me, them = patient.user, clinician.user

    silly = svc.question_ask(
        patient=patient,
        by=me,
        text="Is it silly to ask whether the weather really changes my pain? It always seems worse when it's damp.",
        worried_silly=True,
        route=QuestionRoute.ASK_NOW,
    )
    svc.question_answer(
        question=silly,
        by=them,
        body=(
            "Not silly at all, and you're far from the only one who notices it. Cold and damp can make joints and "
            "muscles feel stiffer, and a stiff body tends to send more warning signals. It doesn't mean anything is "
            "being damaged. Keeping warm and moving gently on damp days often helps."
        ),
    )
    svc.question_feedback(question=silly, by=me, helped=True, words="That's reassuring, thank you.")
    _ago(ctx, silly, 30)

    unclear = svc.question_ask(
        patient=patient,
        by=me,
        text="How do I know the difference between pain that means stop and pain that's safe to work through?",
        worried_silly=False,
        route=QuestionRoute.ASK_NOW,
    )
    svc.question_answer(
        question=unclear,
        by=them,
        body="A useful guide is whether the pain settles back to your usual level within a day or so.",
    )
    svc.question_feedback(
        question=unclear,
        by=me,
        helped=False,
        words="I still get scared when it flares. Could we go through some examples?",
        raise_next_session=True,
    )
    _ago(ctx, unclear, 9)
    svc.question_ask(
        patient=patient,
        by=me,
        text="Would a standing desk help, or make things worse?",
        worried_silly=True,
        route=QuestionRoute.NEXT_SESSION,
    )

    walk = svc.goal_add(
        patient=patient,
        by=me,
        text="Walk to the shops and back without stopping",
        why="So I can get my own shopping again instead of relying on my son.",
    )
    for days, value in ((42, 2), (28, 3), (14, 5), (3, 6)):
        rating = svc.goal_rate(goal=walk, by=me, value=value)
        type(rating).objects.filter(pk=rating.pk).update(rated_at=ctx.at(days, staff=False, key=rating.pk))
    _ago(ctx, walk, 45)
    swim = svc.goal_add(patient=patient, by=them, text="Swim for 10 minutes once a week", scale=GoalScale.GAS)
    _ago(ctx, swim, 6)
    sleep = svc.goal_add(patient=patient, by=me, text="Sleep through the night most nights")
    svc.goal_status_set(goal=sleep, by=me, status=GoalStatus.PAUSED, note="Focusing on walking first.")
    _ago(ctx, sleep, 35)

    wins = [
        ("I walked to the post box and back without stopping!", 25, "That's a real milestone. Well done."),
        ("Sat through my granddaughter's school play, all of it.", 16, "What a lovely thing to be there for."),
        ("Did my stretches four days out of seven this week.", 5, None),
        ("Said no to an extra shift and didn't feel guilty.", 1, None),
    ]
    for text, days, reply in wins:
        win = svc.win_log(patient=patient, by=me, text=text)
        if reply:
            svc.win_acknowledge(win=win, by=them, reply=reply)
        _ago(ctx, win, days)
    flare = svc.setback_log(
        patient=patient,
        by=me,
        what_happened="A bad flare after a day of gardening. Two days mostly in bed.",
        what_was_going_on="It was the first sunny weekend and I tried to do everything at once.",
        what_helped="A hot water bottle, and my partner taking over the cooking.",
        add_to_agenda=True,
    )
    _ago(ctx, flare, 12)
    low = svc.setback_log(
        patient=patient,
        by=me,
        what_happened="Felt low all week and skipped my exercises.",
        what_helped="Talking to my sister on the phone, a little.",
    )
    _ago(ctx, low, 20)

    explanation = svc.explanation_write(
        patient=patient,
        by=them,
        title="Why my back still hurts when the scan was clear",
        body=(
            "Your scan shows nothing damaged that would explain how much it hurts. After months of pain, the nervous "
            "system can become more protective, like a car alarm that goes off when someone walks past. The pain is "
            "real, but it's more about protection than damage."
        ),
    )
    svc.explanation_respond(
        version=explanation.versions.get(),
        by=me,
        fit=Fit.DOESNT_FIT,
        words=(
            "It doesn't feel like a false alarm to me. Some days it's sharp in one spot, and it gets worse when I "
            "lift. I'd like to understand why that happens if nothing is damaged."
        ),
    )
    _ago(ctx, explanation, 8)
    sleep_exp = svc.explanation_write(
        patient=patient,
        by=them,
        title="How sleep and pain feed each other",
        body="Poor sleep lowers the threshold for pain, and pain disturbs sleep, so each can make the other worse.",
    )
    svc.explanation_respond(version=sleep_exp.versions.get(), by=me, fit=Fit.FITS, words="Yes, that's exactly it.")
    _ago(ctx, sleep_exp, 27)

    decision = svc.decision_start(
        patient=patient,
        by=them,
        title="What to do about my knee",
        context="The orthopaedic letter offers an arthroscopy. There are other routes too.",
    )
    options = [
        (
            "Keyhole surgery (arthroscopy)",
            "Can trim a torn cartilage flap\nA short day-case procedure",
            "Evidence shows little long-term benefit for knees like yours\nRecovery of 4–6 weeks\nSmall risk of "
            "infection or clots",
            "Whether your pain comes from the tear at all",
        ),
        (
            "A 12-week strengthening programme",
            "Good evidence for pain and function\nNo operation, no time off work",
            "Hard work most days\nCan feel worse before it feels better",
            "How quickly you'd notice a change",
        ),
        (
            "Wait and see for three months",
            "No risk from treatment\nTime to see whether it settles",
            "Pain may carry on as it is\nLonger before you know what helps",
            "",
        ),
    ]
    for title, benefits, downsides, uncertainties in options:
        svc.option_add(
            decision=decision,
            by=them,
            title=title,
            benefits=benefits,
            downsides=downsides,
            uncertainties=uncertainties,
        )
    svc.decision_share(decision=decision, by=them)
    svc.decision_advice_give(
        decision=decision,
        by=them,
        advice="I would try the 12-week strengthening programme first, and keep surgery for later if it's needed.",
        reasons="For knees like yours the programme does as well as surgery for most people, without the recovery "
        "time, and it leaves every other option open.",
        would_change="If your knee locks or gives way, or the programme has done nothing by week 12, I'd think "
        "again about surgery.",
    )
    rehab = decision.options.get(title__startswith="A 12-week")
    svc.decision_preference_record(
        decision=decision,
        by=me,
        what_matters="Being able to play with my grandchildren, and not having weeks off work.",
        kind=PreferenceKind.CHOSEN,
        option=rehab,
    )
    svc.decision_check_submit(
        decision=decision,
        by=me,
        had_a_say=4,
        understood_options=3,
        told_downsides=4,
        comment="I liked seeing the surgery downsides written down.",
    )
    _ago(ctx, decision, 18)

    review = review_write(
        patient=patient,
        by=them,
        what_changed="You're walking to the shops most days now, and you've had more good evenings than in the spring.",
        what_hasnt="Mornings are still stiff and sore, and a long day at work still costs you the evening after.",
        going_on="Your body is getting stronger, but your nervous system still turns the volume up when you're tired.",
        try_next="Pacing the working day, and a short wind-down routine before bed. Let's look again in six weeks.",
    )
    review_reflect(
        review=review,
        by=me,
        reflection="That's fair. It helps to see that the walking has come on.",
        disagree="I think the mornings matter more than the evenings.",
    )
    StepBackReview.objects.filter(pk=review.pk).update(
        written_at=ctx.at(6, staff=True, key=("StepBackReview", review.pk)),
        reflected_at=ctx.at(5, staff=False, key=("StepBackReview reflected", review.pk)),
    )

    history = svc.story_add(
        patient=patient,
        by=me,
        topic=StoryTopic.HISTORY,
        title="How it started",
        body=(
            "It began four years ago when I was lifting my mum out of the bath. I felt something go in my lower back. "
            "The GP said it would settle in six weeks, and it didn't. I stopped going to choir because standing for "
            "two hours was too much, and I think that's when I started to feel like the pain was running my life."
        ),
    )
    svc.story_passage_mark(
        entry=history,
        by=them,
        quote="I stopped going to choir because standing for two hours was too much",
        note="Choir sounds important to you. Could we find a way back to it?",
    )
    reflection = svc.story_reflect(
        entry=history,
        by=them,
        summary="What I heard: losing choir hurt almost as much as the back itself, because it was your time.",
    )
    svc.story_reflection_respond(reflection=reflection, by=me, confirmed=True)
    _ago(ctx, history, 40)
    matters = svc.story_add(
        patient=patient,
        by=me,
        topic=StoryTopic.MATTERS,
        title="What matters to me",
        body="My grandchildren, my garden, and feeling useful. I hate asking for help.",
    )
    svc.story_reflect(
        entry=matters, by=them, summary="Being independent matters a lot to you, and asking for help feels like a cost."
    )
    _ago(ctx, matters, 10)
    svc.private_note_add(
        patient=patient,
        by=them,
        body="Mum died last year; be mindful when lifting and caring come up.",
        section="story",
    )


def _waiting_record(ctx, patient: Patient, clinician) -> None:
    """Things waiting for the clinician: a worried question, an unacknowledged win, an explanation that partly fits."""
    me, them = patient.user, clinician.user
    question = svc.question_ask(
        patient=patient,
        by=me,
        text="Am I making it worse by still going to work?",
        worried_silly=True,
        route=QuestionRoute.ASK_NOW,
    )
    _ago(ctx, question, 2)
    _ago(ctx, svc.win_log(patient=patient, by=me, text="Managed a whole day out without paying for it after."), 4)
    _ago(
        ctx,
        svc.setback_log(patient=patient, by=me, what_happened="Missed two sessions of the home plan.", what_helped=""),
        6,
    )
    explanation = svc.explanation_write(
        patient=patient,
        by=them,
        title="Why worry turns the volume up",
        body="When we're stressed, the body's alarm system is on higher alert, and pain can feel louder.",
    )
    svc.explanation_respond(
        version=explanation.versions.get(),
        by=me,
        fit=Fit.PARTLY,
        words="The stress part fits. But it hurts on calm days too.",
    )
    goal = svc.goal_add(patient=patient, by=me, text="Garden for half an hour without a flare")
    svc.goal_rate(goal=goal, by=me, value=3)


GOALS = ["Walk the dog round the park", "Cook a meal from scratch", "Play a round of golf", "Go to the cinema"]
WINS = ["Slept six hours straight", "Carried the shopping in from the car", "Went to a friend's birthday"]


def _light_record(ctx, index: int, patient: Patient) -> None:
    me = patient.user
    svc.goal_add(patient=patient, by=me, text=GOALS[index % len(GOALS)])
    _ago(ctx, svc.win_log(patient=patient, by=me, text=WINS[index % len(WINS)]), 3 + index % 7)


def seed_record(ctx) -> None:
    for index, patient in enumerate(ctx.all_patients):
        if (
            Question.objects.filter(patient=patient).exists()
            or Win.objects.filter(patient=patient).exists()
            or Setback.objects.filter(patient=patient).exists()
        ):
            continue
        clinician = patient.clinicians.order_by("pk").first()
        if clinician is None:
            continue
        if patient.user.email == "patient1@demo.test":
            _full_record(ctx, patient, clinician)
        elif patient.user.email in ("patient2@demo.test", "patient@second.demo.test"):
            _waiting_record(ctx, patient, clinician)
        else:
            _light_record(ctx, index, patient)

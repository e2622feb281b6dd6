"""Demo data for the shared agenda, session records, home plans and reminders.

A step of ``seed_demo`` (registered in ``alliance.demo.STEPS``). It only reads the context's
``all_patients``, ``now`` and ``rng``, so this app needs nothing from ``alliance``. Idempotent: a
session that already has a record, a patient who already has a plan or preferences, is left alone.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from sessions.models import (
    AgendaEntry,
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    CareSession,
    EntryOutcome,
    HomePlan,
    LedBy,
    NudgeFrequency,
    PracticeLog,
    PracticeOutcome,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
    SessionRecord,
    SessionStatus,
    WorthRating,
)
from sessions.services.plans import home_plan_revise
from sessions.services.reminders import checkin_dedupe_key

PATIENT_ITEMS = [
    "Is it silly to ask whether the weather changes my pain?",
    "My sleep has been worse since the flare-up",
    "I'm worried about going back to work",
    "I managed the supermarket on my own!",
    "The stretches made my back ache the next day. Is that normal?",
    "I'd like to understand why it still hurts when the scan was clear",
    "Feeling low this week and not sure why",
]
CLINICIAN_ITEMS = [
    "How the walking plan is going",
    "Pacing: the boom-and-bust pattern",
    "Looking at your goals again",
    "What helps on the harder days",
    "Sleep routine ideas",
]
AGREED = [
    "Keep a short sleep diary for a week and bring it next time.",
    "Try ten minutes of walking on most days, stopping before the pain builds.",
    "Split the hoovering into two rooms at a time.",
    "Talk to your manager about a phased return; we'll write a letter if it helps.",
    "",
]
SUMMARIES = [
    "We talked about how your pain has been since last time, and about your sleep. You noticed that "
    "the pain is worse after long days at the desk, which is a really useful thing to spot.",
    "You led us through what happened during the flare-up. We agreed it wasn't a sign of damage, and "
    "that easing back into the walking plan makes sense.",
    "We looked at your goals together. Walking to the shops is getting closer, and you've done more "
    "than you gave yourself credit for.",
]
NEXT_STEPS = [
    "Keep going with the walking plan. Note down one thing that helped each day.",
    "Try the pacing plan for the hoovering, and bring any questions next time.",
    "Check in before the next session, and add anything you'd like to talk about to our agenda.",
]
TAKEAWAYS = [
    "That a flare-up doesn't mean I've undone my progress.",
    "Pacing is a skill, not giving in.",
    "",
]
PLAN_ITEMS = [
    {
        "title": "Morning walk",
        "description": "Walk to the end of the road and back at an easy pace. Stop before the pain builds.",
        "how_often": "Most days, about 10 minutes",
        "link": "",
        "notes": "On a bad day, half the distance still counts.",
    },
    {
        "title": "Gentle back stretches",
        "description": "The three stretches we practised: knees to chest, cat-cow, and the side stretch.",
        "how_often": "Once a day, 5 minutes",
        "link": "",
        "notes": "",
    },
    {
        "title": "Pacing the housework",
        "description": "Do one room at a time, with a sit-down break between rooms.",
        "how_often": "When you do housework",
        "link": "",
        "notes": "",
    },
]
FELT = [
    "Stiff at first, easier by the end.",
    "Felt good to get outside.",
    "Tired today, did a shorter version.",
    "Back ached a little afterwards but settled.",
    "",
    "",
    "",
]


def _record_past_sessions(ctx, patient, rng) -> None:
    # The three most recent sessions that happened have records; those already recorded are left as they are.
    recent = CareSession.objects.filter(patient=patient, status=SessionStatus.DONE).order_by("-starts_at")[:3]
    done = list(
        CareSession.objects.filter(pk__in=[s.pk for s in recent], record__isnull=True).select_related("clinician__user")
    )
    for care_session in done:
        clinician_user = care_session.clinician.user
        texts = [(rng.choice(PATIENT_ITEMS), AgendaSource.PATIENT, patient.user)]
        texts.append((rng.choice(CLINICIAN_ITEMS), AgendaSource.CLINICIAN, clinician_user))
        if rng.random() < 0.5:
            texts.append((rng.choice(PATIENT_ITEMS), AgendaSource.PATIENT, patient.user))
        items = AgendaItem.objects.bulk_create(
            AgendaItem(
                patient=patient,
                care_session=care_session,
                text=text,
                source=source,
                raised_by=who,
                status=AgendaStatus.DISCUSSED,
                position=position,
                created_at=care_session.starts_at - timedelta(days=1, hours=position),
            )
            for position, (text, source, who) in enumerate(texts)
        )
        AgendaEntry.objects.bulk_create(
            AgendaEntry(
                care_session=care_session,
                agenda_item=item,
                outcome=EntryOutcome.DISCUSSED,
                led_by=rng.choice(LedBy.values),
                agreed=rng.choice(AGREED),
                recorded_by=clinician_user,
                recorded_at=care_session.ends_at,
            )
            for item in items
        )
        takeaway = rng.choice(TAKEAWAYS)
        SessionRecord.objects.create(
            care_session=care_session,
            summary=rng.choice(SUMMARIES),
            next_steps=rng.choice(NEXT_STEPS),
            written_by=clinician_user,
            written_at=care_session.ends_at,
            patient_takeaway=takeaway,
            takeaway_at=care_session.ends_at + timedelta(hours=3) if takeaway else None,
        )


def _next_agenda(ctx, patient, rng) -> None:
    upcoming = (
        CareSession.objects.filter(patient=patient, status=SessionStatus.SCHEDULED, starts_at__gt=ctx.now)
        .select_related("clinician__user")
        .order_by("starts_at")
        .first()
    )
    raised_by_hand = (AgendaSource.PATIENT, AgendaSource.CLINICIAN)
    if upcoming is None or AgendaItem.objects.filter(care_session=upcoming, source__in=raised_by_hand).exists():
        return  # already seeded; check-in notes pushed by the record don't count
    start = AgendaItem.objects.filter(care_session=upcoming).count()
    last_done = CareSession.objects.filter(patient=patient, status=SessionStatus.DONE).order_by("-starts_at").first()
    rows = [
        AgendaItem(
            patient=patient,
            care_session=upcoming,
            text=rng.choice(PATIENT_ITEMS),
            source=AgendaSource.PATIENT,
            raised_by=patient.user,
            position=start,
        ),
        AgendaItem(
            patient=patient,
            care_session=upcoming,
            text=rng.choice(CLINICIAN_ITEMS),
            source=AgendaSource.CLINICIAN,
            raised_by=upcoming.clinician.user,
            position=start + 1,
            # Not reached last time, so carried over once.
            times_carried=1 if last_done is not None else 0,
        ),
    ]
    if last_done is not None:
        rows.append(
            # Parked by the patient at the last session: in their parked list, ready to bring back.
            AgendaItem(
                patient=patient,
                care_session=None,
                text="Talking to my family about what pain is like for me",
                source=AgendaSource.PATIENT,
                raised_by=patient.user,
                status=AgendaStatus.PARKED,
                parked_from=last_done,
                marked_by=patient.user,
                marked_at=last_done.starts_at,
                position=0,
            )
        )
    created = AgendaItem.objects.bulk_create(rows)
    if last_done is not None:
        AgendaEntry.objects.get_or_create(
            care_session=last_done,
            agenda_item=created[-1],
            defaults={"outcome": EntryOutcome.PARKED, "recorded_by": upcoming.clinician.user},
        )


def _home_plan(ctx, patient, rng) -> None:
    if HomePlan.objects.filter(patient=patient).exists():
        return
    clinician = patient.clinicians.select_related("user").first()
    if clinician is None:
        return
    first_done = CareSession.objects.filter(patient=patient, status=SessionStatus.DONE).order_by("starts_at").first()
    started = first_done.starts_at if first_done else ctx.now - timedelta(days=21)
    v1 = home_plan_revise(by=clinician.user, patient=patient, items=PLAN_ITEMS[:2], care_session=first_done)
    v1_items = {item.title: item for item in v1.items.all()}
    items = [
        {**PLAN_ITEMS[0], "lineage": v1_items["Morning walk"].lineage, "how_often": "Most days, 15 minutes"},
        {**PLAN_ITEMS[1], "lineage": v1_items["Gentle back stretches"].lineage},
        PLAN_ITEMS[2],
    ]
    v2 = home_plan_revise(
        by=clinician.user, patient=patient, items=items, change_note="Longer walks; added pacing the housework"
    )
    HomePlan.objects.filter(pk=v1.pk).update(created_at=started)
    HomePlan.objects.filter(pk=v2.pk).update(created_at=max(started, ctx.at(10, staff=True, key=v2.pk)))
    tz = patient.user.tzinfo
    today = ctx.now.astimezone(tz).date()
    keen = rng.random()
    ratings, logs = [], []
    for item in v2.items.all():
        ratings.append(
            WorthRating(
                patient=patient,
                item=item,
                lineage=item.lineage,
                score=max(0, min(10, round(4 + keen * 6 + rng.uniform(-2, 2)))),
                rated_at=ctx.at(rng.randint(1, 9), staff=False, key=item.pk, tz=tz),
            )
        )
        for back in range(1, 15):
            roll = rng.random()
            if roll > 0.35 + keen * 0.5:
                continue  # not logged that day: nothing is recorded, and nothing is held against anyone
            outcome = (
                PracticeOutcome.DONE
                if roll < 0.45
                else PracticeOutcome.PARTLY
                if roll < 0.7
                else PracticeOutcome.NOT_TODAY
            )
            day = today - timedelta(days=back)
            logs.append(
                PracticeLog(
                    patient=patient,
                    item=item,
                    lineage=item.lineage,
                    day=day,
                    outcome=outcome,
                    note=rng.choice(FELT),
                    logged_at=timezone.make_aware(
                        timezone.datetime.combine(day, time(rng.randint(8, 20), rng.choice([0, 15, 30]))), tz
                    ),
                )
            )
    WorthRating.objects.bulk_create(ratings)
    PracticeLog.objects.bulk_create(logs, ignore_conflicts=True)


def _reminders(ctx, patient, rng) -> None:
    ReminderPreference.objects.get_or_create(
        user=patient.user,
        defaults={
            "nudge_frequency": rng.choice(
                [NudgeFrequency.DAILY, NudgeFrequency.FEW_A_WEEK, NudgeFrequency.WEEKLY, NudgeFrequency.OFF]
            ),
            "nudge_time": time(rng.choice([9, 12, 18, 19]), 0),
            "checkin_enabled": rng.random() > 0.15,
        },
    )
    past = CareSession.objects.filter(patient=patient, status=SessionStatus.DONE).order_by("-starts_at")[:3]
    tz = patient.user.tzinfo
    rows = [
        Reminder(
            recipient=patient.user,
            kind=ReminderKind.CHECKIN,
            dedupe_key=checkin_dedupe_key(s),
            care_session=s,
            due_at=s.starts_at - timedelta(days=1),
            status=ReminderStatus.SENT,
            sent_at=s.starts_at - timedelta(days=1),
            attempts=1,
            subject=f"Your appointment on {s.starts_at.astimezone(tz):%A at %H:%M}: a two-minute check-in",
            body=f"Hello {patient.user.get_short_name()},\n\nYou have an appointment tomorrow. If you'd like to, you "
            "can check in before it. It takes about two minutes.\n",
        )
        for s in past
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def seed_partners(ctx) -> None:
    for patient in ctx.all_patients:
        rng = ctx.rng("partners", patient.user.email)
        _record_past_sessions(ctx, patient, rng)
        _next_agenda(ctx, patient, rng)
        _home_plan(ctx, patient, rng)
        _reminders(ctx, patient, rng)
    clinicians = {c.user_id for p in ctx.all_patients for c in p.clinicians.all()}
    for user_id in clinicians:
        ReminderPreference.objects.get_or_create(user_id=user_id)

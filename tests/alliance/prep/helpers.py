"""A patient with a realistic history before an appointment, made through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alliance.models import Fit, QuestionRoute
from alliance.services import record as svc
from alliance.services.checkins import checkin_submit
from sessions.models import AgendaSource, LedBy
from sessions.services import EntryInput, agenda_item_add, home_plan_revise, session_record_save
from sessions.services.plans import practice_log_record, worth_rating_record
from tests.factories import CareSessionFactory

AGREED = "Try the pacing plan for two weeks"


def last_session(cast):
    """alice's session a week ago, recorded with one item talked about and agreed, and next steps."""
    past = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=timezone.now() - timedelta(days=7))
    item = agenda_item_add(
        patient=cast.alice,
        text="Pacing at work",
        source=AgendaSource.PATIENT,
        raised_by=cast.alice.user,
        care_session=past,
    )
    session_record_save(
        by=cast.bob.user,
        care_session=past,
        summary="We talked about pacing.",
        next_steps="Walk a little every day.",
        entries=[EntryInput(item_id=item.pk, talked=True, led_by=LedBy.PATIENT, agreed=AGREED)],
    )
    return past


def checkins(cast, n: int, *, start_days_ago: float = 6):
    """``n`` check-ins since the last session: alliance totals 36, 28, 20, 12, 4, 36 … (so alerts too)."""
    now = timezone.now()
    for index in range(n):
        value = 9 - 2 * (index % 5)
        checkin_submit(
            patient=cast.alice,
            care_session=None,
            alliance_answers={"relationship": value, "goals": value, "approach": value, "overall": value},
            pain_answers={"intensity": 6, "enjoyment": 5, "activity": 4 + index % 3},
            submitted_at=now - timedelta(days=start_days_ago) + timedelta(minutes=index + 1),
        )


def record_items(cast, n: int, *, label: str = ""):
    """``n`` of each kind of record item the sheet lists."""
    for index in range(n):
        tag = f"{label}{index}"
        svc.question_ask(
            patient=cast.alice,
            by=cast.alice.user,
            text=f"Is it normal that my knee clicks? {tag}",
            worried_silly=True,
            route=QuestionRoute.NEXT_SESSION,
        )
        svc.win_log(patient=cast.alice, by=cast.alice.user, text=f"Walked to the park {tag}")
        svc.setback_log(patient=cast.alice, by=cast.alice.user, what_happened=f"A flare after the shopping {tag}")
        explanation = svc.explanation_write(
            patient=cast.alice, by=cast.bob.user, title=f"Why the pain moves {tag}", body="Sensitised nerves."
        )
        svc.explanation_respond(
            version=explanation.versions.get(),
            by=cast.alice.user,
            fit=Fit.DOESNT_FIT,
            words=f"It feels like damage {tag}",
        )
        goal = svc.goal_add(patient=cast.alice, by=cast.alice.user, text=f"Garden for an hour {tag}")
        svc.goal_rate(goal=goal, by=cast.alice.user, value=4)
        svc.goal_rate(goal=goal, by=cast.alice.user, value=6)
        svc.private_note_add(patient=cast.alice, by=cast.bob.user, body=f"Ask gently about sleep {tag}")
        agenda_item_add(
            patient=cast.alice,
            text=f"Agenda point {tag}",
            source=AgendaSource.CLINICIAN,
            raised_by=cast.bob.user,
            care_session=cast.alice_session,
        )


def home_plan(cast, n: int):
    plan = home_plan_revise(
        by=cast.bob.user,
        patient=cast.alice,
        items=[
            {"title": f"Stretch {index}", "description": "Gentle hamstring stretch", "how_often": "Twice a day"}
            for index in range(n)
        ],
    )
    for item in plan.items.all():
        worth_rating_record(by=cast.alice.user, item=item, score=7)
        practice_log_record(by=cast.alice.user, item=item, outcome="done")
    return plan

"""Demo step: weeks of check-ins, clinician ratings and the alerts they raise.

The first clinic's patients each follow a story, so every screen has something true to show:
- patient1, patient2, patient4 and patient6 improve steadily;
- patient3's sense of the alliance drops over the last few weeks;
- patient4 has one session where they and their clinician saw things very differently;
- patient5 rarely checks in.
"""

from __future__ import annotations

from datetime import timedelta

from alliance.models import Alert, CheckIn
from alliance.services.alerts import alert_acknowledge, alert_resolve
from alliance.services.checkins import checkin_submit, clinician_rating_submit
from sessions.models import CareSession, SessionStatus

STORIES = {
    "patient1@demo.test": "improver",
    "patient2@demo.test": "improver",
    "patient3@demo.test": "drop",
    "patient4@demo.test": "mismatch",
    "patient5@demo.test": "rare",
    "patient@second.demo.test": "improver",
}
NOTES = [
    "Is it silly to ask whether the weather really changes my pain?",
    "I'd like to talk about going back to swimming.",
    "The stretches are hard to fit in on work days.",
    "",
    "",
    "",
]


def _clamp(value: float, low: int = 0, high: int = 10) -> int:
    return max(low, min(high, round(value)))


def seed_checkins(ctx) -> None:
    for patient in ctx.all_patients:
        if CheckIn.objects.filter(patient=patient).exists():
            continue
        story = STORIES.get(patient.user.email, "improver" if patient.pk % 2 else "steady")
        rng = ctx.rng("checkins", patient.user.email)
        sessions = list(
            CareSession.objects.filter(patient=patient, status=SessionStatus.DONE, starts_at__lt=ctx.now)
            .select_related("clinician__user")
            .order_by("starts_at")
        )
        count = len(sessions)
        for index, session in enumerate(sessions):
            progress = index / max(count - 1, 1)  # 0 at the first session, 1 at the latest
            if story == "rare" and index % 4:
                continue
            if story == "drop":
                base = 8.5 - 5 * max(0.0, progress - 0.5) * 2 if progress > 0.5 else 8 + progress
            elif story == "steady":
                base = 7.5
            else:
                base = 7 + 2.5 * progress
            alliance = {
                key: _clamp(base + rng.choice([-1, 0, 0, 1]))
                for key in ("relationship", "goals", "approach", "overall")
            }
            mismatch_here = story == "mismatch" and index == count - 2
            if mismatch_here:
                # The patient was struggling that week; the clinician thought the session went well.
                alliance = dict.fromkeys(alliance, 4)
            pain_base = 7.5 - (3.5 * progress if story in ("improver", "mismatch") else 0.5 * progress)
            pain = {
                "intensity": _clamp(pain_base + rng.choice([-1, 0, 1])),
                "enjoyment": _clamp(pain_base - 0.5 + rng.choice([-1, 0, 1])),
                "activity": _clamp(pain_base + 0.5 + rng.choice([-1, 0, 1])),
            }
            submitted = session.starts_at - timedelta(hours=rng.choice([2, 5, 20]))
            checkin_submit(
                patient=patient,
                care_session=session,
                alliance_answers=alliance,
                pain_answers=pain,
                note=NOTES[index % len(NOTES)] if index == count - 2 else "",
                submitted_at=submitted,
            )
            clinician = {key: _clamp(base + 0.5 + rng.choice([0, 0, 1])) for key in alliance}
            if mismatch_here:
                clinician = dict.fromkeys(alliance, 9)
            clinician_rating_submit(
                clinician=session.clinician,
                care_session=session,
                answers=clinician,
                submitted_at=session.ends_at + timedelta(minutes=30),
            )
        # Older alerts were talked through; the latest stay open for the demo.
        alerts = list(Alert.objects.filter(patient=patient).order_by("-raised_at"))
        for alert in alerts[2:]:
            clinician_user = patient.clinicians.first().user
            alert_acknowledge(alert=alert, by=clinician_user, note="Seen; will ask at the next session.")
            alert_resolve(alert=alert, by=clinician_user, note="We talked it through together.")

"""Reminders that are never lost and never sent twice.

The pipeline has three steps, each safe to run any number of times and at the same time:

1. ``reminders_plan`` (beat, every few minutes) writes a PENDING row for every reminder that will be
   due soon. ``(recipient, kind, dedupe_key)`` is unique, so planning twice creates nothing new.
2. ``reminders_dispatch`` (beat, every minute) claims due rows with ``SELECT … FOR UPDATE SKIP
   LOCKED``, marks them QUEUED and, once that has committed, hands their ids to workers in batches.
   A QUEUED row whose worker vanished (killed, or its message lost while Redis was down) is claimed
   again after ``REMINDER_LEASE_SECONDS``: delayed, never lost.
3. ``reminder_deliver`` (a worker) locks one QUEUED row, decides afresh whether it is still wanted
   (opted out? already checked in? quiet hours now?), and sends the email while holding the lock;
   the row becomes SENT in the same transaction. A second worker holding the same id finds the row
   locked or no longer QUEUED and does nothing, so a message delivered twice by the broker sends once.

The one window no database can close is between the mail server accepting a message and our commit:
a process killed in that instant sends again on retry. Every message carries a Message-ID made from
the reminder's id, so the mail system sees the retry as the same message.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from patients.emails import as_seen_by, zone_note
from patients.models import Clinician, Patient, User
from patients.selectors import on_care_team
from sessions.models import (
    AppointmentChange,
    CareSession,
    HomePlan,
    NudgeFrequency,
    PlanItem,
    PracticeLog,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
    SessionStatus,
)
from sessions.registry import care_sessions_checked_in, checked_in_known, digest_sections_for, news_batches_for

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "care_sessions.reminders.unsubscribe"
MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(hours=2)  # a nudge or digest this late is no longer worth sending
CHECKIN_CLOSEST = timedelta(hours=1)  # a check-in reminder needs at least this much notice
QUIET_MARGIN = timedelta(minutes=15)
NUDGE_DAYS = {
    NudgeFrequency.DAILY: {0, 1, 2, 3, 4, 5, 6},
    NudgeFrequency.FEW_A_WEEK: {0, 2, 4},
    NudgeFrequency.WEEKLY: {0},
}


def lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "REMINDER_LEASE_SECONDS", 300))


# --- Preferences -----------------------------------------------------------------------------


def reminder_preference_for(*, user: User) -> ReminderPreference:
    """The person's choices, or the defaults (unsaved) if they have never changed them."""
    return ReminderPreference.objects.filter(user=user).first() or ReminderPreference(user=user)


def reminder_preference_save(*, user: User, **fields) -> ReminderPreference:
    allowed = {
        "checkin_enabled",
        "checkin_hours_before",
        "nudge_frequency",
        "nudge_time",
        "digest_enabled",
        "digest_time",
        "appointment_enabled",
        "news_enabled",
        "quiet_start",
        "quiet_end",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown preference: {', '.join(sorted(unknown))}")
    if "checkin_hours_before" in fields and not 1 <= int(fields["checkin_hours_before"]) <= 72:
        raise ValidationError({"checkin_hours_before": _("Choose between 1 and 72 hours before.")})
    if "nudge_frequency" in fields and fields["nudge_frequency"] not in NudgeFrequency.values:
        raise ValidationError({"nudge_frequency": _("Choose how often you'd like a nudge.")})
    with transaction.atomic():
        preference = reminder_preference_for(user=user)
        for key, value in fields.items():
            setattr(preference, key, value)
        preference.save()
        # Waiting reminders were timed by the old choices; the planner times them again. A notice of a
        # change to an appointment is not planned but written when it happens, so it stays.
        Reminder.objects.filter(recipient=user, status=ReminderStatus.PENDING).exclude(
            kind=ReminderKind.APPOINTMENT
        ).delete()
    return preference


def unsubscribe_token(*, user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    kind: str

    @property
    def kind_label(self) -> str:
        return ReminderKind(self.kind).label


def unsubscribe_check(*, token: str) -> Unsubscribe | None:
    """The person and kind a one-click opt-out link names, or None if the link is not ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = User.objects.get(pk=data["u"])
        kind = ReminderKind(data["k"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    return Unsubscribe(user=user, kind=kind)


def reminder_kind_turn_off(*, user: User, kind: str) -> ReminderPreference:
    field = {
        ReminderKind.CHECKIN: ("checkin_enabled", False),
        ReminderKind.HOME_PLAN: ("nudge_frequency", NudgeFrequency.OFF),
        ReminderKind.DIGEST: ("digest_enabled", False),
        ReminderKind.APPOINTMENT: ("appointment_enabled", False),
        ReminderKind.NEWS: ("news_enabled", False),
    }[ReminderKind(kind)]
    return reminder_preference_save(user=user, **{field[0]: field[1]})


# --- Time: quiet hours and time zones --------------------------------------------------------


def _localize(wall: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """A wall-clock time in ``tz`` as a real instant. A time skipped when the clocks went forward
    lands just after the jump; an hour that happens twice takes its first occurrence."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def in_quiet_hours(local: datetime, preference: ReminderPreference) -> bool:
    start, end, now = preference.quiet_start, preference.quiet_end, local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_hours_end_after(local: datetime, preference: ReminderPreference) -> datetime:
    tz = local.tzinfo
    candidate = _localize(datetime.combine(local.date(), preference.quiet_end), tz)
    if candidate <= local:
        candidate = _localize(datetime.combine(local.date() + timedelta(days=1), preference.quiet_end), tz)
    return candidate


def quiet_hours_start_before(local: datetime, preference: ReminderPreference) -> datetime:
    tz = local.tzinfo
    candidate = _localize(datetime.combine(local.date(), preference.quiet_start), tz)
    if candidate > local:
        candidate = _localize(datetime.combine(local.date() - timedelta(days=1), preference.quiet_start), tz)
    return candidate


def checkin_due_at(
    *, starts_at: datetime, preference: ReminderPreference, tz: zoneinfo.ZoneInfo, now: datetime
) -> datetime | None:
    """When to remind a patient to check in, or None if it is too late to be useful.

    "24 hours before" is read as a person reads it: the same clock time the day before, in the
    patient's own time zone, even across a change of the clocks. A time inside quiet hours moves
    earlier, to just before they begin: a reminder before an appointment must not come after it.
    """
    local_start = starts_at.astimezone(tz)
    due = _localize(local_start.replace(tzinfo=None) - timedelta(hours=preference.checkin_hours_before), tz)
    if in_quiet_hours(due, preference):
        due = quiet_hours_start_before(due, preference) - QUIET_MARGIN
    if due < now:
        # Booked late, or planning was held up: remind now if it can still help.
        local_now = now.astimezone(tz)
        due = quiet_hours_end_after(local_now, preference) if in_quiet_hours(local_now, preference) else now
        if starts_at - due < CHECKIN_CLOSEST:
            return None
    return due.astimezone(UTC)


def daily_due_at(*, day: date, at: time, preference: ReminderPreference, tz: zoneinfo.ZoneInfo) -> datetime:
    """A daily reminder at the person's chosen local time; inside quiet hours it waits for them to end."""
    due = _localize(datetime.combine(day, at), tz)
    if in_quiet_hours(due, preference):
        due = quiet_hours_end_after(due, preference)
    return due.astimezone(UTC)


def checkin_dedupe_key(care_session: CareSession) -> str:
    # The time is part of the key: a session moved to a new time gets a new reminder.
    return f"session:{care_session.pk}:{care_session.starts_at.astimezone(UTC):%Y%m%dT%H%M%S}"


# --- 1. Planning -----------------------------------------------------------------------------


def _preferences(user_ids: Iterable[int]) -> dict[int, ReminderPreference]:
    return {p.user_id: p for p in ReminderPreference.objects.filter(user_id__in=list(user_ids))}


def _plan_checkins(now: datetime) -> list[Reminder]:
    sessions = list(
        CareSession.objects.filter(
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now + CHECKIN_CLOSEST,
            starts_at__lte=now + timedelta(hours=72 + 24),
            patient__user__is_active=True,
        ).select_related("patient__user", "patient__clinic")
    )
    checked_in = care_sessions_checked_in(care_session_ids=[s.pk for s in sessions])
    preferences = _preferences(s.patient.user_id for s in sessions)
    rows = []
    for care_session in sessions:
        user = care_session.patient.user
        preference = preferences.get(user.pk) or ReminderPreference(user=user)
        if not preference.checkin_enabled or care_session.pk in checked_in:
            continue
        due = checkin_due_at(starts_at=care_session.starts_at, preference=preference, tz=user.tzinfo, now=now)
        if due is None or due > now + timedelta(hours=36):
            continue
        rows.append(
            Reminder(
                recipient=user,
                kind=ReminderKind.CHECKIN,
                dedupe_key=checkin_dedupe_key(care_session),
                due_at=due,
                care_session=care_session,
            )
        )
    return rows


def _daily_rows(*, users: list[User], kind: str, now: datetime, wants) -> list[Reminder]:
    """One reminder per person per local day, today's and tomorrow's, on the days ``wants`` allows."""
    preferences = _preferences(u.pk for u in users)
    rows = []
    for user in users:
        preference = preferences.get(user.pk) or ReminderPreference(user=user)
        at = wants(preference)
        if at is None:
            continue
        tz = user.tzinfo
        today = now.astimezone(tz).date()
        for day in (today, today + timedelta(days=1)):
            if kind == ReminderKind.HOME_PLAN and day.weekday() not in NUDGE_DAYS[preference.nudge_frequency]:
                continue
            due = daily_due_at(day=day, at=at, preference=preference, tz=tz)
            if due < now - STALE_AFTER or due > now + timedelta(hours=36):
                continue
            rows.append(Reminder(recipient=user, kind=kind, dedupe_key=f"{kind}:{day.isoformat()}", due_at=due))
    return rows


def _plan_nudges(now: datetime) -> list[Reminder]:
    has_items = Exists(PlanItem.objects.filter(plan__patient=OuterRef("patient")))
    users = list(
        User.objects.filter(is_active=True, patient__isnull=False)
        .annotate(has_plan=has_items)
        .filter(has_plan=True)
        .select_related("patient__clinic")
    )
    return _daily_rows(
        users=users,
        kind=ReminderKind.HOME_PLAN,
        now=now,
        wants=lambda p: p.nudge_time if p.nudge_frequency != NudgeFrequency.OFF else None,
    )


def _plan_digests(now: datetime) -> list[Reminder]:
    users = list(User.objects.filter(is_active=True, clinician__isnull=False).select_related("clinician__clinic"))
    return _daily_rows(
        users=users, kind=ReminderKind.DIGEST, now=now, wants=lambda p: p.digest_time if p.digest_enabled else None
    )


def news_dedupe_key(batch: str) -> str:
    return f"news:{batch}"[:100]


def _plan_news(now: datetime) -> list[Reminder]:
    """One "something new is waiting" email per batch: for each patient who asked for them and has
    something new since their last visit. Until they visit again the batch's name stays the same,
    so however many new things arrive, the unique (recipient, kind, dedupe_key) allows one email.
    Planned for now, or for the end of the patient's quiet hours in their own time zone."""
    preferences = list(
        ReminderPreference.objects.filter(
            news_enabled=True, user__is_active=True, user__patient__isnull=False
        ).select_related("user")
    )
    batches = news_batches_for(user_ids=[p.user_id for p in preferences])
    rows = []
    for preference in preferences:
        batch = batches.get(preference.user_id)
        if batch is None:
            continue
        local_now = now.astimezone(preference.user.tzinfo)
        due = quiet_hours_end_after(local_now, preference) if in_quiet_hours(local_now, preference) else now
        rows.append(
            Reminder(
                recipient=preference.user,
                kind=ReminderKind.NEWS,
                dedupe_key=news_dedupe_key(batch),
                due_at=due.astimezone(UTC),
            )
        )
    return rows


def reminders_plan(*, now: datetime | None = None) -> int:
    """Write the reminders that will soon be due. Returns how many were new."""
    now = now or timezone.now()
    rows = [*_plan_checkins(now), *_plan_nudges(now), *_plan_digests(now), *_plan_news(now)]
    if not rows:
        return 0
    existing = set(
        Reminder.objects.filter(
            recipient_id__in={row.recipient_id for row in rows}, dedupe_key__in={row.dedupe_key for row in rows}
        ).values_list("recipient_id", "kind", "dedupe_key")
    )
    new = [row for row in rows if (row.recipient_id, row.kind, row.dedupe_key) not in existing]
    # A planner running at the same moment is harmless: the unique constraint keeps one of each.
    Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


# --- Telling a patient that an appointment changed -----------------------------------------


def appointment_notice(*, care_session: CareSession, change: str) -> Reminder | None:
    """Tell the patient, by email within a minute or so, that an appointment was cancelled, moved to
    another time or passed to another clinician. Recorded and sent once like every reminder; the
    patient can turn these off. Call inside the transaction that makes the change.
    """
    recipient = care_session.patient.user
    if not recipient.is_active:
        return None
    detail = {
        AppointmentChange.CANCELLED: "",
        AppointmentChange.MOVED: f":{care_session.starts_at.astimezone(UTC):%Y%m%dT%H%M%S}",
        AppointmentChange.CLINICIAN: f":{care_session.clinician_id}",
    }[change]
    reminder = Reminder.objects.get_or_create(
        recipient=recipient,
        kind=ReminderKind.APPOINTMENT,
        dedupe_key=f"{change}:{care_session.pk}{detail}",
        defaults={"due_at": timezone.now(), "care_session": care_session},
    )[0]
    return reminder


# --- 2. Dispatching --------------------------------------------------------------------------


def _publish(ids: list[int], *, batch_size: int, queue: str | None) -> None:
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        try:
            options = {"queue": queue} if queue else {}
            reminders_send.apply_async(args=[chunk], **options)
        except Exception:  # the broker is down: the rows stay QUEUED and are claimed again after the lease
            logger.warning("Could not hand %d reminders to the workers; they will be retried", len(ids) - start)
            return


def reminders_dispatch(
    *, now: datetime | None = None, limit: int = 5000, batch_size: int = 50, queue: str | None = None
) -> list[int]:
    """Claim due reminders and hand them to workers once the claim has committed. Returns their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        # Reminders that kept failing stop being retried and say so.
        Reminder.objects.filter(
            status=ReminderStatus.QUEUED, attempts__gte=MAX_ATTEMPTS, queued_at__lt=now - lease()
        ).update(
            status=ReminderStatus.FAILED,
            skipped_reason=gettext_noop("The email could not be sent after several tries."),
        )
        due = (
            Reminder.objects.filter(
                Q(status=ReminderStatus.PENDING, due_at__lte=now)
                | Q(status=ReminderStatus.QUEUED, queued_at__lt=now - lease(), attempts__lt=MAX_ATTEMPTS)
            )
            .order_by("due_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        if ids:
            Reminder.objects.filter(pk__in=ids).update(
                status=ReminderStatus.QUEUED, queued_at=now, attempts=F("attempts") + 1
            )
            transaction.on_commit(lambda: _publish(ids, batch_size=batch_size, queue=queue))
    return ids


# --- 3. Delivering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    send: bool = False
    # Why it was not sent, kept in English (marked with gettext_noop) and translated where it is shown.
    skip: str = ""
    defer_to: datetime | None = None
    subject: str = ""
    body: str = ""


def _link(name: str, **kwargs) -> str:
    return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _email_context(reminder: Reminder) -> dict:
    user = reminder.recipient
    return {
        "person": user,
        "home_url": _link("alliance:home"),
        "preferences_url": _link("care_sessions:reminder-preferences"),
        "unsubscribe_url": _link("care_sessions:unsubscribe", token=unsubscribe_token(user=user, kind=reminder.kind)),
        "kind_label": ReminderKind(reminder.kind).label.lower(),
        "zone_note": zone_note(user),
    }


def _decide_checkin(reminder: Reminder, now: datetime) -> Decision:
    care_session = reminder.care_session
    if care_session is None or care_session.status != SessionStatus.SCHEDULED:
        return Decision(skip=gettext_noop("The appointment is no longer going ahead."))
    if checkin_dedupe_key(care_session) != reminder.dedupe_key:
        return Decision(skip=gettext_noop("The appointment moved; a reminder for the new time replaces this one."))
    if care_session.starts_at - now < CHECKIN_CLOSEST:
        return Decision(skip=gettext_noop("Too close to the appointment to be useful."))
    if care_session.pk in care_sessions_checked_in(care_session_ids=[care_session.pk]):
        return Decision(skip=gettext_noop("Already checked in."))
    context = {
        **_email_context(reminder),
        "care_session": care_session,
        "starts_local": timezone.localtime(care_session.starts_at),
        "agenda_url": _link("care_sessions:agenda", pk=care_session.pk),
    }
    when = context["starts_local"]
    return Decision(
        send=True,
        subject=_("Your appointment on %(day)s at %(time)s%(zone_note)s: a two-minute check-in")
        % {
            "day": formats.date_format(when, "l"),
            "time": formats.date_format(when, "CLOCK_FORMAT"),
            "zone_note": context["zone_note"],
        },
        body=render_to_string("care_sessions/email/checkin.txt", context),
    )


def _decide_home_plan(reminder: Reminder, now: datetime) -> Decision:
    patient = Patient.objects.filter(user=reminder.recipient).first()
    plan = HomePlan.objects.filter(patient=patient).order_by("-version").first() if patient else None
    items = list(plan.items.all()) if plan else []
    if not items:
        return Decision(skip=gettext_noop("There is no home plan at the moment."))
    today = now.astimezone(reminder.recipient.tzinfo).date()
    if PracticeLog.objects.filter(patient=patient, day=today).exists():
        return Decision(skip=gettext_noop("Practice was already logged today."))
    context = {**_email_context(reminder), "items": items}
    return Decision(
        send=True,
        subject=_("A gentle nudge for your home plan"),
        body=render_to_string("care_sessions/email/home_plan.txt", context),
    )


def _decide_digest(reminder: Reminder, now: datetime) -> Decision:
    clinician = Clinician.objects.filter(user=reminder.recipient).select_related("user").first()
    if clinician is None:
        return Decision(skip=gettext_noop("No longer a clinician here."))
    last = (
        Reminder.objects.filter(recipient=reminder.recipient, kind=ReminderKind.DIGEST, status=ReminderStatus.SENT)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    since = last or now - timedelta(days=1)
    sections = digest_sections_for(clinician=clinician, since=since, now=now)
    if not any(section.new for section in sections):
        return Decision(skip=gettext_noop("Nothing new since the last digest."))
    local = timezone.localtime(now)
    context = {**_email_context(reminder), "sections": sections, "day": local}
    return Decision(
        send=True,
        subject=_("Your Alliance digest for %(day)s") % {"day": formats.date_format(local, "WEEKDAY_DAY_FORMAT")},
        body=render_to_string("care_sessions/email/digest.txt", context),
    )


def _decide_appointment(reminder: Reminder, now: datetime) -> Decision:
    care_session = reminder.care_session
    if care_session is None:
        return Decision(skip=gettext_noop("The appointment no longer exists."))
    change = reminder.dedupe_key.split(":")[0]
    still_true = {
        AppointmentChange.CANCELLED: care_session.status == SessionStatus.CANCELLED,
        AppointmentChange.MOVED: care_session.status == SessionStatus.SCHEDULED
        and reminder.dedupe_key.endswith(f":{care_session.starts_at.astimezone(UTC):%Y%m%dT%H%M%S}"),
        AppointmentChange.CLINICIAN: care_session.status == SessionStatus.SCHEDULED
        and reminder.dedupe_key.endswith(f":{care_session.clinician_id}"),
    }.get(change, False)
    if not still_true:
        return Decision(skip=gettext_noop("The appointment changed again; a newer message says how it is now."))
    if change != AppointmentChange.CANCELLED and care_session.starts_at <= now:
        return Decision(skip=gettext_noop("The appointment has already started."))
    when = timezone.localtime(care_session.starts_at)
    context = {
        **_email_context(reminder),
        "care_session": care_session,
        "change": change,
        "starts_local": when,
        "detail_url": _link("care_sessions:detail", pk=care_session.pk),
    }
    words = {
        "day": formats.date_format(when, "WEEKDAY_DAY_FORMAT"),
        "time": formats.date_format(when, "CLOCK_FORMAT"),
        "zone_note": context["zone_note"],
        "clinician": care_session.clinician.user.full_name,
    }
    subjects = {
        AppointmentChange.CANCELLED: _("Your appointment on %(day)s at %(time)s%(zone_note)s is cancelled"),
        AppointmentChange.MOVED: _("Your appointment has moved to %(day)s at %(time)s%(zone_note)s"),
        AppointmentChange.CLINICIAN: _(
            "Your appointment on %(day)s at %(time)s%(zone_note)s is now with %(clinician)s"
        ),
    }
    return Decision(
        send=True,
        subject=subjects[change] % words,
        body=render_to_string("care_sessions/email/appointment.txt", context),
    )


def _decide_news(reminder: Reminder, now: datetime) -> Decision:
    """Still something new, and no visit since this batch began? Then say so, and only that: the
    email never holds what is new, so a shared inbox or a glance at a lock screen gives nothing away."""
    batch = news_batches_for(user_ids=[reminder.recipient_id]).get(reminder.recipient_id)
    if batch is None or news_dedupe_key(batch) != reminder.dedupe_key:
        return Decision(skip=gettext_noop("Visited since, or nothing new is waiting now."))
    context = {**_email_context(reminder), "whats_new_url": _link("alliance:whats-new")}
    return Decision(
        send=True,
        subject=_("Something new is waiting for you in Alliance"),
        body=render_to_string("care_sessions/email/news.txt", context),
    )


DECIDERS = {
    ReminderKind.CHECKIN: _decide_checkin,
    ReminderKind.HOME_PLAN: _decide_home_plan,
    ReminderKind.DIGEST: _decide_digest,
    ReminderKind.APPOINTMENT: _decide_appointment,
    ReminderKind.NEWS: _decide_news,
}


def _decide(reminder: Reminder, now: datetime) -> Decision:
    user = reminder.recipient
    if not user.is_active:
        return Decision(skip=gettext_noop("The account is not active."))
    preference = reminder_preference_for(user=user)
    if not preference.allows(reminder.kind):
        return Decision(skip=gettext_noop("Turned off by the recipient."))
    care_session = reminder.care_session
    if (
        reminder.kind == ReminderKind.CHECKIN
        and care_session is not None
        and not (
            care_session.clinician.user.is_active
            and on_care_team(clinician=care_session.clinician, patient=care_session.patient)
        )
    ):
        # Decided before quiet hours: a reminder that will never go is not put off until morning first.
        return Decision(skip=gettext_noop("The clinician is no longer on the patient's care team."))
    local_now = now.astimezone(user.tzinfo)
    if in_quiet_hours(local_now, preference):
        # Held up (a busy queue, a broker outage) into quiet hours: wait for the morning.
        later = quiet_hours_end_after(local_now, preference)
        care_session = reminder.care_session if reminder.kind == ReminderKind.CHECKIN else None
        if care_session is not None and care_session.starts_at - later < CHECKIN_CLOSEST:
            return Decision(skip=gettext_noop("Quiet hours ran until too close to the appointment."))
        return Decision(defer_to=later)
    # Subject and body alike are written as the recipient reads them: in their own time zone.
    with as_seen_by(user):
        return DECIDERS[ReminderKind(reminder.kind)](reminder, now)


def reminder_deliver(*, reminder_id: int, connection=None, now: datetime | None = None) -> str:
    """Send one claimed reminder, or skip or defer it. Safe to call twice, or from two workers at once.

    Returns what happened: "sent", "skipped", "deferred" or "not-ours" (someone else has it or it is done).
    """
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "recipient__patient__clinic",
                "recipient__clinician__clinic",
                "recipient__clinic_admin__clinic",
                "care_session__clinician__user",
            )
            .filter(pk=reminder_id, status=ReminderStatus.QUEUED)
            .first()
        )
        if reminder is None:
            return "not-ours"
        now = now or timezone.now()
        decision = _decide(reminder, now)
        if decision.defer_to is not None:
            reminder.status, reminder.due_at, reminder.queued_at = ReminderStatus.PENDING, decision.defer_to, None
            reminder.save(update_fields=["status", "due_at", "queued_at"])
            return "deferred"
        if not decision.send:
            reminder.status, reminder.skipped_reason = ReminderStatus.SKIPPED, decision.skip[:200]
            reminder.save(update_fields=["status", "skipped_reason"])
            return "skipped"
        context = _email_context(reminder)
        message = EmailMessage(
            subject=decision.subject,
            body=decision.body,
            to=[reminder.recipient.email],
            connection=connection,
            headers={
                "Message-ID": f"<reminder-{reminder.pk}@{settings.REMINDER_MESSAGE_DOMAIN}>",
                "X-Alliance-Reminder": str(reminder.pk),
                "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
        # Sent while the row is locked: if this raises, the transaction rolls back, the row stays
        # QUEUED and is claimed again after the lease.
        message.send()
        reminder.status, reminder.sent_at = ReminderStatus.SENT, timezone.now()
        reminder.subject, reminder.body = decision.subject[:200], decision.body
        reminder.save(update_fields=["status", "sent_at", "subject", "body"])
        return "sent"


@shared_task(name="sessions.tasks.reminders_send", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reminders_send(reminder_ids: list[int]) -> dict[str, int]:
    """The worker's half of dispatching: deliver one batch. Kept beside the service that sends it."""
    return reminders_deliver_batch(reminder_ids=[int(pk) for pk in reminder_ids])


def reminders_deliver_batch(*, reminder_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    connection = get_connection()
    try:
        connection.open()
    except OSError:
        logger.warning("The mail server is not answering; these reminders will be retried")
        raise
    try:
        for reminder_id in reminder_ids:
            outcome = reminder_deliver(reminder_id=reminder_id, connection=connection)
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        connection.close()
    return counts


# --- The digest's own section: tomorrow's sessions -------------------------------------------


def digest_tomorrow_section(*, clinician: Clinician, since: datetime, now: datetime):
    from sessions.registry import DigestSection

    tz = clinician.user.tzinfo
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    start = _localize(datetime.combine(tomorrow, time(0, 0)), tz)
    end = _localize(datetime.combine(tomorrow + timedelta(days=1), time(0, 0)), tz)
    sessions = list(
        CareSession.objects.filter(
            clinician=clinician,
            status=SessionStatus.SCHEDULED,
            starts_at__gte=start,
            starts_at__lt=end,
            # Only patients the clinician still cares for, whose accounts are open.
            patient__care_team__clinician=clinician,
            patient__user__is_active=True,
        )
        .select_related("patient__user")
        .order_by("starts_at")
    )
    if not sessions:
        return None
    known = checked_in_known()
    checked_in = care_sessions_checked_in(care_session_ids=[s.pk for s in sessions]) if known else set()
    lines = []
    for care_session in sessions:
        status = ""
        if known:
            status = " — " + (_("checked in") if care_session.pk in checked_in else _("not checked in yet"))
        lines.append(f"{care_session.starts_at.astimezone(tz):%H:%M} {care_session.patient.user.full_name}{status}")
    title = _("Tomorrow's sessions (%(count)s)") % {"count": len(sessions)}
    return DigestSection(title=title, lines=lines, new=len(sessions))

"""One patient's timeline for their care team: everything that happened, newest first, a page at a time.

Shape: each kind of event has one *source*, a ``values()`` query over one table (joined only to name
the person and the thing), ordered newest first and cut at ``page × per_page + 1`` rows. The sources'
rows are merged in Python with ``heapq.merge`` (each list is already in order), and the page is sliced
from the merged stream. So a page costs one query per source asked for, whatever the patient's
history holds (10 events or 10,000), and no query reads more than the rows up to the page shown;
``MAX_PAGE`` keeps the deepest page bounded.

Sources are grouped into ``TimelineKind``s, which the page filters by. The timeline is for the care
team only: it includes alerts, private notes, withdrawn items and the "worried it sounds silly" cue.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import models
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.models import (
    Alert,
    AlertKind,
    CheckIn,
    Decision,
    ExplanationVersion,
    Fit,
    FitResponse,
    Goal,
    GoalRating,
    PrivateNote,
    Question,
    QuestionReply,
    ReplyKind,
    Setback,
    StoryEntry,
    StoryPassage,
    StoryReflection,
    Win,
)
from alliance.numbers import number
from patients.models import Patient
from sessions.models import (
    AgendaEntry,
    CareSession,
    EntryOutcome,
    HomePlan,
    LedBy,
    PracticeLog,
    PracticeOutcome,
    SessionMode,
    SessionRecord,
    SessionStatus,
    WorthRating,
)

PER_PAGE = 25
MAX_PAGE = 40  # 1,000 events back; older ones are in each part of the record


class TimelineKind(models.TextChoices):
    CHECKINS = "checkins", gettext_lazy("Check-ins")
    ALERTS = "alerts", gettext_lazy("Things to talk through")
    QUESTIONS = "questions", gettext_lazy("Questions and answers")
    JOURNAL = "journal", gettext_lazy("Wins and setbacks")
    STORY = "story", gettext_lazy("Story")
    EXPLANATIONS = "explanations", gettext_lazy("Explanations and responses")
    DECISIONS = "decisions", gettext_lazy("Options and decisions")
    GOALS = "goals", gettext_lazy("Goals")
    SESSIONS = "sessions", gettext_lazy("Sessions")
    PLAN = "plan", gettext_lazy("Home plan and practice")
    NOTES = "notes", gettext_lazy("Private notes")


@dataclass(frozen=True)
class Event:
    """One line of the timeline. ``at`` is UTC; ``url`` is where to read more ("" when nowhere)."""

    at: datetime
    kind: str
    what: str
    text: str
    who: str
    url: str = ""

    @property
    def kind_label(self) -> str:
        return TimelineKind(self.kind).label


@dataclass(frozen=True)
class Source:
    """One kind of event: ``rows(patient)`` gives a ``values()`` query with ``t_at`` and whatever ``event``
    needs; ``event(patient, row)`` turns a row into an ``Event``."""

    kind: str
    rows: Callable[[Patient], QuerySet]
    event: Callable[[Patient, dict], Event]


def _url(name: str, *args) -> str:
    return reverse(f"alliance:{name}", args=args)


def _short(text: str | None, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _withdrawn(row: dict) -> str:
    return " " + _("(withdrawn)") if row.get("t_withdrawn") else ""


def _record(model, patient: Patient, text: str, *, at: str = "created_at", who: str = "created_by__full_name"):
    """A record item's rows: when, its words, who wrote it, whether it was withdrawn."""
    return model.objects.filter(patient=patient).values(
        "pk", t_at=F(at), t_text=F(text), t_who=F(who), t_withdrawn=F("withdrawn_at")
    )


def _checkin(patient: Patient, row: dict) -> Event:
    parts = [_("alliance %(total)s") % {"total": number(row["t_alliance"])}]
    if row["t_pain"] is not None:
        parts.append(_("pain-check average %(average)s") % {"average": number(row["t_pain"])})
    text = ", ".join(parts)
    if row["t_note"]:
        text += ". " + _("Note: %(note)s") % {"note": _short(row["t_note"])}
    return Event(row["t_at"], TimelineKind.CHECKINS, _("Checked in"), text, row["t_who"])


def _alert(what: str, note_key: str | None = None):
    def event(patient: Patient, row: dict) -> Event:
        text = f"{AlertKind(row['t_kind']).label}: {row['t_detail']}"
        if note_key and row.get(note_key):
            text += ". " + _("Note: %(note)s") % {"note": _short(row[note_key])}
        return Event(
            row["t_at"], TimelineKind.ALERTS, str(what), text, row.get("t_who") or "", _url("patient", patient.pk)
        )

    return event


def _session(patient: Patient, row: dict) -> Event:
    text = f"{SessionStatus(row['t_status']).label}, {SessionMode(row['t_mode']).label.lower()}"
    return Event(
        row["t_at"],
        TimelineKind.SESSIONS,
        _("Session"),
        text,
        row["t_who"],
        reverse("care_sessions:agenda", args=[row["pk"]]),
    )


def _talked_about(patient: Patient, row: dict) -> Event:
    lead = LedBy(row["t_led"]).label if row["t_led"] else ""
    text = _short(row["t_text"]) + (f" — {lead.lower()}" if lead else "")
    if row["t_agreed"]:
        text += ". " + _("Agreed: %(agreed)s") % {"agreed": _short(row["t_agreed"])}
    return Event(
        row["t_at"],
        TimelineKind.SESSIONS,
        _("Talked about in session"),
        text,
        row["t_who"],
        reverse("care_sessions:agenda", args=[row["t_session"]]),
    )


SOURCES: list[Source] = [
    Source(
        TimelineKind.CHECKINS,
        lambda p: CheckIn.objects.filter(patient=p).values(
            t_at=F("submitted_at"),
            t_alliance=F("alliance_response__total"),
            t_pain=F("pain_response__total"),
            t_note=F("note"),
            t_who=F("patient__user__full_name"),
        ),
        _checkin,
    ),
    Source(
        TimelineKind.ALERTS,
        lambda p: Alert.objects.filter(patient=p).values(t_at=F("raised_at"), t_kind=F("kind"), t_detail=F("detail")),
        _alert(gettext_lazy("Raised for a conversation")),
    ),
    Source(
        TimelineKind.ALERTS,
        lambda p: Alert.objects.filter(patient=p, acknowledged_at__isnull=False).values(
            t_at=F("acknowledged_at"),
            t_kind=F("kind"),
            t_detail=F("detail"),
            t_note=F("acknowledge_note"),
            t_who=F("acknowledged_by__full_name"),
        ),
        _alert(gettext_lazy("Acknowledged"), "t_note"),
    ),
    Source(
        TimelineKind.ALERTS,
        lambda p: Alert.objects.filter(patient=p, resolved_at__isnull=False).values(
            t_at=F("resolved_at"),
            t_kind=F("kind"),
            t_detail=F("detail"),
            t_note=F("resolve_note"),
            t_who=F("resolved_by__full_name"),
        ),
        _alert(gettext_lazy("Talked through"), "t_note"),
    ),
    Source(
        TimelineKind.QUESTIONS,
        lambda p: _record(Question, p, "text").annotate(t_silly=F("worried_silly")),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.QUESTIONS,
            _("Asked a question, worried it might sound silly") if row["t_silly"] else _("Asked a question"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-question", p.pk, row["pk"]),
        ),
    ),
    Source(
        TimelineKind.QUESTIONS,
        lambda p: QuestionReply.objects.filter(question__patient=p).values(
            t_at=F("created_at"),
            t_kind=F("kind"),
            t_text=F("body"),
            t_who=F("author__full_name"),
            t_question=F("question_id"),
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.QUESTIONS,
            ReplyKind(row["t_kind"]).label,
            _short(row["t_text"]),
            row["t_who"],
            _url("record-question", p.pk, row["t_question"]),
        ),
    ),
    Source(
        TimelineKind.JOURNAL,
        lambda p: _record(Win, p, "text"),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.JOURNAL,
            _("A win"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-journal", p.pk) + f"#win-{row['pk']}",
        ),
    ),
    Source(
        TimelineKind.JOURNAL,
        lambda p: Win.objects.filter(patient=p, acknowledged_at__isnull=False).values(
            "pk", t_at=F("acknowledged_at"), t_text=F("acknowledgement"), t_who=F("acknowledged_by__full_name")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.JOURNAL,
            _("Replied to a win"),
            _short(row["t_text"]),
            row["t_who"],
            _url("record-journal", p.pk) + f"#win-{row['pk']}",
        ),
    ),
    Source(
        TimelineKind.JOURNAL,
        lambda p: _record(Setback, p, "what_happened"),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.JOURNAL,
            _("A setback"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-journal", p.pk) + f"#setback-{row['pk']}",
        ),
    ),
    Source(
        TimelineKind.STORY,
        lambda p: _record(StoryEntry, p, "body").annotate(t_title=F("title")),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.STORY,
            _("Added to their story"),
            _short(f"{row['t_title']}: {row['t_text']}" if row["t_title"] else row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-story-entry", p.pk, row["pk"]),
        ),
    ),
    Source(
        TimelineKind.STORY,
        lambda p: StoryPassage.objects.filter(entry__patient=p).values(
            t_at=F("marked_at"), t_text=F("quote"), t_who=F("marked_by__full_name"), t_entry=F("entry_id")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.STORY,
            _("Marked a passage to talk about"),
            f"“{_short(row['t_text'])}”",
            row["t_who"],
            _url("record-story-entry", p.pk, row["t_entry"]),
        ),
    ),
    Source(
        TimelineKind.STORY,
        lambda p: StoryReflection.objects.filter(entry__patient=p).values(
            t_at=F("written_at"), t_text=F("summary"), t_who=F("written_by__full_name"), t_entry=F("entry_id")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.STORY,
            _("Wrote what they heard"),
            _short(row["t_text"]),
            row["t_who"],
            _url("record-story-entry", p.pk, row["t_entry"]),
        ),
    ),
    Source(
        TimelineKind.EXPLANATIONS,
        lambda p: ExplanationVersion.objects.filter(explanation__patient=p).values(
            t_at=F("written_at"),
            t_title=F("explanation__title"),
            t_number=F("number"),
            t_who=F("written_by__full_name"),
            t_explanation=F("explanation_id"),
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.EXPLANATIONS,
            _("Wrote an explanation")
            if row["t_number"] == 1
            else _("Revised an explanation (version %(number)s)") % {"number": row["t_number"]},
            row["t_title"],
            row["t_who"],
            _url("record-explanation", p.pk, row["t_explanation"]),
        ),
    ),
    Source(
        TimelineKind.EXPLANATIONS,
        lambda p: FitResponse.objects.filter(version__explanation__patient=p).values(
            t_at=F("responded_at"),
            t_fit=F("fit"),
            t_text=F("words"),
            t_title=F("version__explanation__title"),
            t_who=F("responded_by__full_name"),
            t_explanation=F("version__explanation_id"),
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.EXPLANATIONS,
            _("Answered: %(fit)s") % {"fit": Fit(row["t_fit"]).label.lower()},
            _short(f"{row['t_title']}: {row['t_text']}" if row["t_text"] else row["t_title"]),
            row["t_who"],
            _url("record-explanation", p.pk, row["t_explanation"]),
        ),
    ),
    Source(
        TimelineKind.EXPLANATIONS,
        lambda p: FitResponse.objects.filter(version__explanation__patient=p, talked_through_at__isnull=False).values(
            t_at=F("talked_through_at"),
            t_text=F("talked_through_note"),
            t_title=F("version__explanation__title"),
            t_who=F("talked_through_by__full_name"),
            t_explanation=F("version__explanation_id"),
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.EXPLANATIONS,
            _("Talked an explanation through"),
            _short(f"{row['t_title']}: {row['t_text']}" if row["t_text"] else row["t_title"]),
            row["t_who"],
            _url("record-explanation", p.pk, row["t_explanation"]),
        ),
    ),
    Source(
        TimelineKind.DECISIONS,
        lambda p: _record(Decision, p, "title"),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.DECISIONS,
            _("Started laying out options"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-decision", p.pk, row["pk"]),
        ),
    ),
    Source(
        TimelineKind.DECISIONS,
        lambda p: Decision.objects.filter(patient=p, decided_at__isnull=False).values(
            "pk", t_at=F("decided_at"), t_text=F("title"), t_option=F("preferred_option__title")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.DECISIONS,
            _("Made a choice"),
            _short(f"{row['t_text']}: {row['t_option']}"),
            p.user.full_name,
            _url("record-decision", p.pk, row["pk"]),
        ),
    ),
    Source(
        TimelineKind.GOALS,
        lambda p: _record(Goal, p, "text"),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.GOALS,
            _("Set a goal"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record-goal", p.pk, row["pk"]),
        ),
    ),
    Source(
        TimelineKind.GOALS,
        lambda p: GoalRating.objects.filter(goal__patient=p).values(
            t_at=F("rated_at"),
            t_value=F("value"),
            t_text=F("goal__text"),
            t_who=F("rated_by__full_name"),
            t_goal=F("goal_id"),
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.GOALS,
            _("Rated a goal %(value)s") % {"value": row["t_value"]},
            _short(row["t_text"]),
            row["t_who"],
            _url("record-goal", p.pk, row["t_goal"]),
        ),
    ),
    Source(
        TimelineKind.SESSIONS,
        # Appointments still to come are not history yet.
        lambda p: CareSession.objects.filter(patient=p, starts_at__lte=timezone.now()).values(
            "pk", t_at=F("starts_at"), t_status=F("status"), t_mode=F("mode"), t_who=F("clinician__user__full_name")
        ),
        _session,
    ),
    Source(
        TimelineKind.SESSIONS,
        lambda p: AgendaEntry.objects.filter(agenda_item__patient=p, outcome=EntryOutcome.DISCUSSED).values(
            t_at=F("care_session__starts_at"),
            t_text=F("agenda_item__text"),
            t_led=F("led_by"),
            t_agreed=F("agreed"),
            t_who=F("recorded_by__full_name"),
            t_session=F("care_session_id"),
        ),
        _talked_about,
    ),
    Source(
        TimelineKind.SESSIONS,
        lambda p: SessionRecord.objects.filter(care_session__patient=p).values(
            t_at=F("written_at"), t_text=F("summary"), t_who=F("written_by__full_name"), t_session=F("care_session_id")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.SESSIONS,
            _("Wrote the session summary"),
            _short(row["t_text"]),
            row["t_who"],
            reverse("care_sessions:agenda", args=[row["t_session"]]),
        ),
    ),
    Source(
        TimelineKind.PLAN,
        lambda p: HomePlan.objects.filter(patient=p).values(
            t_at=F("created_at"), t_version=F("version"), t_text=F("change_note"), t_who=F("created_by__full_name")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.PLAN,
            _("Made the home plan")
            if row["t_version"] == 1
            else _("Changed the home plan (version %(version)s)") % {"version": row["t_version"]},
            _short(row["t_text"]),
            row["t_who"],
            reverse("care_sessions:plan-versions", args=[p.pk]),
        ),
    ),
    Source(
        TimelineKind.PLAN,
        lambda p: PracticeLog.objects.filter(patient=p).values(
            t_at=F("logged_at"), t_outcome=F("outcome"), t_title=F("item__title"), t_text=F("note")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.PLAN,
            _("Practice: %(outcome)s") % {"outcome": PracticeOutcome(row["t_outcome"]).label.lower()},
            _short(f"{row['t_title']}. {row['t_text']}" if row["t_text"] else row["t_title"]),
            p.user.full_name,
            reverse("care_sessions:plan", args=[p.pk]),
        ),
    ),
    Source(
        TimelineKind.PLAN,
        lambda p: WorthRating.objects.filter(patient=p).values(
            t_at=F("rated_at"), t_score=F("score"), t_title=F("item__title")
        ),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.PLAN,
            _("Worth trying: %(score)s out of 10") % {"score": row["t_score"]},
            row["t_title"],
            p.user.full_name,
            reverse("care_sessions:plan", args=[p.pk]),
        ),
    ),
    Source(
        TimelineKind.NOTES,
        lambda p: _record(PrivateNote, p, "body"),
        lambda p, row: Event(
            row["t_at"],
            TimelineKind.NOTES,
            _("Private note (care team only)"),
            _short(row["t_text"]) + _withdrawn(row),
            row["t_who"],
            _url("record", p.pk),
        ),
    ),
]


@dataclass(frozen=True)
class TimelinePage:
    """One page of events, with what ``templates/_pager.html`` needs (newest page is 1)."""

    events: list[Event]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def timeline_page_number(raw) -> int:
    """A page number from a URL: anything that is not a number is 1; past ``MAX_PAGE`` is ``MAX_PAGE``."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(value, 1), MAX_PAGE)


def timeline_for(*, patient: Patient, kinds: Iterable[str] = (), page: int = 1, per_page: int = PER_PAGE):
    """A page of ``patient``'s timeline, newest first, of the given ``kinds`` (``TimelineKind`` values;
    empty means every kind). ``patient`` must come from a selector scoped to a clinician on the care
    team (``record_patient_get``): this reads everything, private notes included.

    One query per source of the kinds asked for (25 for every kind), each reading at most
    ``page × per_page + 1`` rows. Returns a ``TimelinePage``. A page past the end is the last page
    that has events (page 1 if there are none), as Django's ``Paginator.get_page`` does.
    """
    wanted = set(kinds) or set(TimelineKind.values)
    need = page * per_page + 1
    streams = [
        [source.event(patient, row) for row in source.rows(patient).order_by("-t_at")[:need]]
        for source in SOURCES
        if source.kind in wanted
    ]
    merged = list(islice(heapq.merge(*streams, key=lambda event: event.at, reverse=True), need))
    start = (page - 1) * per_page
    if start >= len(merged) and page > 1:
        # Past the end (the list then holds every event there is): the last page that has events, or page 1.
        page = max(1, (len(merged) + per_page - 1) // per_page)
        start = (page - 1) * per_page
    return TimelinePage(events=merged[start : start + per_page], number=page, has_next=len(merged) > start + per_page)

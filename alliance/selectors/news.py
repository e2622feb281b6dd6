"""What's new for a patient since they last looked: what their care team did for them.

The list is read, never copied: each kind of new thing is a query on the table that already holds
it, and the kinds come back together in one ``UNION ALL`` query, newest first. A thing is new to the
patient until they have seen it, which is any of:

- they opened it from the list (a ``NewsSeen`` row, written by the view that takes them there);
- the "What's new" page showed it to them (``NewsSeen`` rows for everything it listed);
- they opened that part of their record after it happened (the record's own ``RecordVisit``), so
  an answer read on the Questions page is not announced again.

Only things someone else did count: a patient is never told about their own words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.models import (
    Decision,
    DecisionStatus,
    ExplanationVersion,
    NewsKind,
    NewsSeen,
    NewsVisit,
    QuestionReply,
    RecordSection,
    RecordVisit,
    ReplyKind,
    StepBackReview,
    StoryReflection,
    Win,
)
from patients.models import Patient, User
from sessions.models import HomePlan, PlanItem, SessionRecord

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
HOME_LIMIT = 5  # the home page shows this many, newest first, and links to the page for the rest
PAGE_LIMIT = 100  # the page shows this many new things at once (a first visit after months)
RECENT_LIMIT = 10  # and this many already seen, so coming back to it is never a blank page

COLUMNS = ("n_kind", "n_id", "n_patient", "n_at", "n_title", "n_by", "n_link", "n_detail", "n_when", "n_seen")


@dataclass(frozen=True)
class _Source:
    """Where one kind of new thing lives: its rows, and the paths from a row to what the list needs."""

    kind: str
    rows: QuerySet
    patient: str  # path to the patient
    at: str  # when it happened
    by: str  # path to who did it (a user)
    title: object  # an expression for the words that name it
    link: str  # the id its page is found by
    section: str = ""  # the part of the record it is in, if any (opening that part counts as seeing it)
    detail: object = None
    when: str = ""


def _sources() -> list[_Source]:
    later_plan = HomePlan.objects.filter(patient=OuterRef("plan__patient"), version__gt=OuterRef("plan__version"))
    earlier_item = PlanItem.objects.filter(
        lineage=OuterRef("lineage"),
        plan__patient=OuterRef("plan__patient"),
        plan__version__lt=OuterRef("plan__version"),
    )
    return [
        _Source(
            NewsKind.ANSWER,
            QuestionReply.objects.filter(
                kind__in=[ReplyKind.ANSWER, ReplyKind.TALKED_IN_SESSION], question__withdrawn_at__isnull=True
            ),
            patient="question__patient",
            at="created_at",
            by="author",
            title=F("question__text"),
            link="question_id",
            section=RecordSection.QUESTIONS,
            detail=F("kind"),
        ),
        _Source(
            NewsKind.WIN_REPLY,
            Win.objects.filter(acknowledged_at__isnull=False, withdrawn_at__isnull=True),
            patient="patient",
            at="acknowledged_at",
            by="acknowledged_by",
            title=F("text"),
            link="pk",
            section=RecordSection.JOURNAL,
            # "words" when the acknowledgement has words, "" when it was one tap.
            detail=Case(When(acknowledgement="", then=Value("")), default=Value("words")),
        ),
        _Source(
            NewsKind.REFLECTION,
            StoryReflection.objects.filter(entry__withdrawn_at__isnull=True),
            patient="entry__patient",
            at="written_at",
            by="written_by",
            title=Case(When(entry__title="", then=Substr("entry__body", 1, 80)), default=F("entry__title")),
            link="entry_id",
            section=RecordSection.STORY,
        ),
        _Source(
            NewsKind.OPTIONS,
            Decision.objects.filter(
                status__in=[DecisionStatus.SHARED, DecisionStatus.DECIDED],
                shared_at__isnull=False,
                withdrawn_at__isnull=True,
            ),
            patient="patient",
            at="shared_at",
            by="created_by",
            title=F("title"),
            link="pk",
            section=RecordSection.DECISIONS,
        ),
        _Source(
            NewsKind.EXPLANATION,
            ExplanationVersion.objects.filter(explanation__withdrawn_at__isnull=True),
            patient="explanation__patient",
            at="written_at",
            by="written_by",
            title=F("explanation__title"),
            link="explanation_id",
            section=RecordSection.EXPLANATIONS,
            detail=Cast("number", CharField()),
        ),
        # An activity that first appears in the current plan; a reworded one is not new.
        _Source(
            NewsKind.PLAN_ITEM,
            PlanItem.objects.exclude(Exists(later_plan)).exclude(Exists(earlier_item)),
            patient="plan__patient",
            at="plan__created_at",
            by="plan__created_by",
            title=F("title"),
            link="pk",
        ),
        _Source(
            NewsKind.ADVICE,
            Decision.objects.filter(advice_at__isnull=False, withdrawn_at__isnull=True),
            patient="patient",
            at="advice_at",
            by="advice_by",
            title=F("title"),
            link="pk",
            section=RecordSection.DECISIONS,
        ),
        _Source(
            NewsKind.REVIEW,
            StepBackReview.objects.filter(written_at__isnull=False),
            patient="patient",
            at="written_at",
            by="written_by",
            title=Value(""),
            link="pk",
        ),
        _Source(
            NewsKind.SESSION_RECORD,
            SessionRecord.objects.all(),
            patient="care_session__patient",
            at="written_at",
            by="written_by",
            title=Value(""),
            link="care_session_id",
            when="care_session__starts_at",
        ),
    ]


def _seen(source: _Source):
    user = OuterRef(f"{source.patient}__user")
    seen = Q(Exists(NewsSeen.objects.filter(user=user, kind=source.kind, object_id=OuterRef("pk"))))
    if source.section:
        looked = RecordVisit.objects.filter(
            user=user, patient=OuterRef(source.patient), section=source.section, seen_at__gte=OuterRef(source.at)
        )
        seen |= Q(Exists(looked))
    return ExpressionWrapper(seen, output_field=BooleanField())


def _part(source: _Source, *, patient_ids, unseen_only: bool, since_visit: bool, columns=COLUMNS) -> QuerySet:
    qs = (
        source.rows.filter(**{f"{source.patient}__in": patient_ids})
        # Only what someone else did: never the patient's own words back to them.
        .exclude(**{source.by: F(f"{source.patient}__user")})
        .order_by()
        # Annotated in the order of COLUMNS, so every part of the UNION lines up.
        .annotate(
            n_kind=Value(str(source.kind), output_field=CharField()),
            n_id=F("pk"),
            n_patient=F(source.patient),
            n_at=F(source.at),
            n_title=Cast(source.title, TextField()),
            n_by=F(f"{source.by}__full_name"),
            n_link=F(source.link),
            n_detail=Cast(source.detail, TextField()) if source.detail is not None else Value("", TextField()),
            n_when=F(source.when) if source.when else Cast(Value(None), DateTimeField()),
            n_seen=_seen(source),
        )
    )
    if unseen_only:
        qs = qs.filter(n_seen=False)
    if since_visit:
        visited = NewsVisit.objects.filter(user=OuterRef(f"{source.patient}__user")).values("visited_at")[:1]
        qs = qs.filter(n_at__gt=Coalesce(Subquery(visited), Value(EPOCH)))
    return qs.values_list(*columns)


def _union(
    *, patient_ids, unseen_only: bool, since_visit: bool = False, seen_only: bool = False, columns=COLUMNS
) -> QuerySet:
    parts = [
        _part(source, patient_ids=patient_ids, unseen_only=unseen_only, since_visit=since_visit, columns=columns)
        for source in _sources()
    ]
    if seen_only:
        parts = [part.filter(n_seen=True) for part in parts]
    return parts[0].union(*parts[1:], all=True)


@dataclass(frozen=True)
class NewThing:
    """One thing on the list. ``at`` is when it happened (UTC; templates show the patient's zone)."""

    kind: str
    object_id: int
    patient_id: int
    at: datetime
    title: str
    by: str
    link_id: int
    detail: str
    when: datetime | None
    seen: bool

    @property
    def headline(self) -> str:
        """What happened, in a sentence that does not repeat the words (the title follows it)."""
        by = self.by or _("Your care team")
        if self.kind == NewsKind.ANSWER:
            if self.detail == ReplyKind.TALKED_IN_SESSION:
                sentence = _("%(by)s noted that you talked about your question in a session")
            else:
                sentence = _("%(by)s answered your question")
        elif self.kind == NewsKind.WIN_REPLY:
            sentence = _("%(by)s replied to your win") if self.detail else _("%(by)s acknowledged your win")
        elif self.kind == NewsKind.REFLECTION:
            sentence = _("%(by)s wrote what they heard in your story")
        elif self.kind == NewsKind.OPTIONS:
            sentence = _("%(by)s shared some options with you")
        elif self.kind == NewsKind.EXPLANATION:
            if self.detail not in ("", "1"):
                sentence = _("%(by)s revised an explanation")
            else:
                sentence = _("%(by)s wrote an explanation")
        elif self.kind == NewsKind.PLAN_ITEM:
            sentence = _("%(by)s added something to your home plan")
        elif self.kind == NewsKind.ADVICE:
            sentence = _("%(by)s added their own view to the options")
        elif self.kind == NewsKind.REVIEW:
            sentence = _("%(by)s wrote a step-back review with you")
        else:
            sentence = _("%(by)s wrote up what you agreed in your session")
        return sentence % {"by": by}

    @property
    def url(self) -> str:
        """Where the thing is, for the patient."""
        pid, link = self.patient_id, self.link_id
        return {
            NewsKind.ANSWER: lambda: reverse("alliance:record-question", args=[pid, link]),
            NewsKind.WIN_REPLY: lambda: reverse("alliance:record-journal", args=[pid]) + f"#win-{link}",
            NewsKind.REFLECTION: lambda: reverse("alliance:record-story-entry", args=[pid, link]),
            NewsKind.OPTIONS: lambda: reverse("alliance:record-decision", args=[pid, link]),
            NewsKind.EXPLANATION: lambda: reverse("alliance:record-explanation", args=[pid, link]),
            NewsKind.PLAN_ITEM: lambda: reverse("care_sessions:plan", args=[pid]) + f"#item-{link}",
            NewsKind.SESSION_RECORD: lambda: reverse("care_sessions:detail", args=[link]),
            NewsKind.ADVICE: lambda: reverse("alliance:record-decision", args=[pid, link]) + "#advice-heading",
            NewsKind.REVIEW: lambda: reverse("alliance:review", args=[pid, link]),
        }[NewsKind(self.kind)]()

    @property
    def open_url(self) -> str:
        """The list's link: marks it seen, then goes to ``url``."""
        return reverse("alliance:whats-new-open", args=[self.kind, self.object_id])


def _things(rows: Iterable[tuple]) -> list[NewThing]:
    return [NewThing(*row) for row in rows]


@dataclass(frozen=True)
class WhatsNew:
    new: list[NewThing]
    more: bool  # there are more new things than listed

    @property
    def count(self) -> int:
        return len(self.new)


def whats_new_for(*, user: User, limit: int) -> WhatsNew:
    """The patient's new things, newest first, at most ``limit`` (one query)."""
    rows = list(_union(patient_ids=[user.patient.pk], unseen_only=True).order_by("-n_at", "-n_id")[: limit + 1])
    return WhatsNew(new=_things(rows[:limit]), more=len(rows) > limit)


def news_recently_seen(*, user: User, limit: int = RECENT_LIMIT) -> list[NewThing]:
    """The newest things the patient has already seen (one query)."""
    return _things(
        _union(patient_ids=[user.patient.pk], unseen_only=False, seen_only=True).order_by("-n_at", "-n_id")[:limit]
    )


def news_thing_get(*, user: User, kind: str, pk) -> NewThing | None:
    """One thing on the patient's list (seen or not), or None if it is not theirs or not a thing."""
    sources = {source.kind: source for source in _sources()}
    if kind not in sources:
        return None
    part = _part(sources[kind], patient_ids=[user.patient.pk], unseen_only=False, since_visit=False)
    row = part.filter(pk=pk).first()
    return NewThing(*row) if row else None


def news_batches_waiting(*, user_ids: Iterable[int]) -> dict[int, str]:
    """For each of these people who is a patient with something new since their last visit, the
    name of that batch: one email per batch. A new visit starts a new batch. One query.

    Returns {user id: "since:<last visit, UTC, to the microsecond>" or "since:never"}.
    """
    patients = dict(Patient.objects.filter(user_id__in=list(user_ids)).values_list("pk", "user_id"))
    if not patients:
        return {}
    waiting = set(
        pid for (pid,) in _union(patient_ids=list(patients), unseen_only=True, since_visit=True, columns=["n_patient"])
    )
    users = [patients[pid] for pid in waiting]
    visits = dict(NewsVisit.objects.filter(user_id__in=users).values_list("user_id", "visited_at"))
    return {
        user_id: f"since:{visits[user_id].astimezone(UTC):%Y%m%dT%H%M%S%f}" if user_id in visits else "since:never"
        for user_id in users
    }

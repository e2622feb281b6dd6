"""The shared record: one record about the patient that both sides write to.

Every top-level item (a question, goal, win, setback, explanation, decision, story entry or a
clinician's private note) shares ``RecordItem``'s bookkeeping:

- who wrote it and when (``created_by``, ``created_at``);
- when something last happened on it and who did it (``last_activity_*``), which drives the
  "new since your last visit" markers: an item is new to you when someone else touched it after
  you last looked at that part of the record;
- ``withdrawn_*``: deleting is withdrawing. A withdrawn item is hidden from the patient and kept,
  marked, for the care team.

Edits keep the earlier wording in ``RecordRevision``. Explanations are versioned instead: a new
version is a new ``ExplanationVersion`` and the old ones stay readable.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from patients.models import Patient, User, tracked
from sessions.models import AgendaSource

_BLANK = r"^\s*$"
# "Someone touched this" marks move on every reply or rating: the audit trail keeps the reply itself.
RECORD_NOISE = ["last_activity_at", "last_activity_by"]


class RecordSection(models.TextChoices):
    QUESTIONS = "questions", _("Questions")
    GOALS = "goals", _("Goals")
    JOURNAL = "journal", _("Wins and setbacks")
    EXPLANATIONS = "explanations", _("Explanations")
    DECISIONS = "decisions", _("Options and decisions")
    STORY = "story", _("Story")


class RecordItem(models.Model):
    """What every top-level item of the record shares, and what each kind says about itself.

    Each kind sets ``kind`` (its slug in URLs and revisions), ``record_section`` (the part of the
    record it belongs to; empty for private notes, which sit beside every part), ``editable`` (the
    fields a person may reword: {field: (character limit, message when left empty, or None when it
    may be empty)}), ``agenda_source`` (what its agenda items are tagged with, if withdrawing it
    should take them off the agenda), ``url_name`` (its page) and ``listed`` (whether its part of the
    record lists it; an option is shown inside its decision instead).
    """

    kind: ClassVar[str]
    record_section: ClassVar[str]
    editable: ClassVar[dict[str, tuple[int, str | None]]] = {}
    agenda_source: ClassVar[str | None] = None
    url_name: ClassVar[str] = ""
    listed: ClassVar[bool] = True

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_activity_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="%(class)s_patient_activity")]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="%(class)s_withdrawn_by_whom",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse(f"alliance:{self.url_name}", args=[self.patient_id, self.pk])

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def noun(self) -> str:
        """What a person calls it: "question", "story entry", "private note"."""
        return str(NOUNS.get(self.kind, self._meta.verbose_name))

    def touch(self, *, by: User, at=None) -> None:
        """Record that something happened on this item (saved by the caller)."""
        self.last_activity_at = at or timezone.now()
        self.last_activity_by = by


# What a person calls each kind, in their language (the models' verbose names stay as Django makes them).
NOUNS = {
    "question": _("question"),
    "goal": _("goal"),
    "win": _("win"),
    "setback": _("setback"),
    "explanation": _("explanation"),
    "decision": _("decision"),
    "option": _("option"),
    "story": _("story entry"),
    "note": _("private note"),
}


def record_kinds() -> dict[str, type[RecordItem]]:
    """Every kind of record item by its slug: {"question": Question, …}."""
    return {model.kind: model for model in RecordItem.__subclasses__()}


def section_models() -> dict[str, list[type[RecordItem]]]:
    """The kinds each part of the record lists: {"journal": [Win, Setback], …}."""
    kinds = record_kinds().values()
    return {
        section: [model for model in kinds if model.record_section == section and model.listed]
        for section in RecordSection.values
    }


def _constraints(*extra) -> list:
    return [*RecordItem.Meta.constraints, *extra]


# --- Questions -----------------------------------------------------------------------------------


class QuestionRoute(models.TextChoices):
    NEXT_SESSION = "next_session", _("Raise it at my next appointment")
    ASK_NOW = "ask_now", _("Ask now, in writing")


class QuestionStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    STILL_UNCLEAR = "still_unclear", _("Still unclear")
    HELPED = "helped", _("That helped")


OPEN_QUESTION_STATUSES = (QuestionStatus.WAITING, QuestionStatus.STILL_UNCLEAR)


@tracked(exclude=RECORD_NOISE, patient="patient", title="Question")
class Question(RecordItem):
    """A question the patient wants to ask. ``worried_silly`` is for the care team's eyes only."""

    kind = "question"
    record_section = RecordSection.QUESTIONS
    editable = {"text": (2000, _("Please write your question."))}
    agenda_source = AgendaSource.QUESTION
    url_name = "record-question"

    text = models.TextField(max_length=2000)
    worried_silly = models.BooleanField(default=False)
    route = models.CharField(max_length=16, choices=QuestionRoute.choices)
    status = models.CharField(max_length=16, choices=QuestionStatus.choices, default=QuestionStatus.WAITING)

    class Meta(RecordItem.Meta):
        indexes = [
            models.Index(fields=["patient", "last_activity_at"], name="question_patient_activity"),
            models.Index(fields=["patient", "status"], name="question_patient_status"),
        ]
        constraints = _constraints(
            models.CheckConstraint(condition=Q(route__in=QuestionRoute.values), name="question_route_valid"),
            models.CheckConstraint(condition=Q(status__in=QuestionStatus.values), name="question_status_valid"),
            models.CheckConstraint(condition=~Q(text__regex=_BLANK), name="question_text_not_blank"),
        )

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_QUESTION_STATUSES


class ReplyKind(models.TextChoices):
    ANSWER = "answer", _("Answer")
    TALKED_IN_SESSION = "talked_in_session", _("Talked about it in a session")
    HELPED = "helped", _("That helps")
    STILL_UNCLEAR = "still_unclear", _("Still unclear")


@tracked(patient="question__patient", title="Answer to a question")
class QuestionReply(models.Model):
    """One turn of the conversation about a question: an answer, or the patient's "helps / still unclear"."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(max_length=24, choices=ReplyKind.choices)
    body = models.TextField(max_length=4000, blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReplyKind.values), name="question_reply_kind_valid"),
            # A written answer has words; "we talked about it" and the patient's reply may be short.
            models.CheckConstraint(
                condition=~Q(kind=ReplyKind.ANSWER) | ~Q(body__regex=_BLANK), name="question_answer_has_words"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on question {self.question_id}"


# --- Goals ---------------------------------------------------------------------------------------


class GoalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Suggested by your clinician")
    ACTIVE = "active", _("Working on it")
    ACHIEVED = "achieved", _("Achieved")
    PAUSED = "paused", _("Paused")
    LET_GO = "let_go", _("Let go")


class GoalScale(models.TextChoices):
    ZERO_TEN = "zero_ten", _("0 to 10")
    GAS = "gas", _("Goal attainment (−2 to +2)")


SCALE_RANGES = {GoalScale.ZERO_TEN: (0, 10), GoalScale.GAS: (-2, 2)}

# Where a goal may move from each status. Letting go is a choice, never a failure.
GOAL_MOVES = {
    GoalStatus.PROPOSED: {GoalStatus.LET_GO},
    GoalStatus.ACTIVE: {GoalStatus.ACHIEVED, GoalStatus.PAUSED, GoalStatus.LET_GO},
    GoalStatus.PAUSED: {GoalStatus.ACTIVE, GoalStatus.ACHIEVED, GoalStatus.LET_GO},
    GoalStatus.ACHIEVED: {GoalStatus.ACTIVE},
    GoalStatus.LET_GO: {GoalStatus.ACTIVE},
}


@tracked(exclude=RECORD_NOISE, patient="patient", title="Goal")
class Goal(RecordItem):
    """A goal in the patient's own words. A clinician may propose one; the patient accepts or rewords it."""

    kind = "goal"
    record_section = RecordSection.GOALS
    editable = {"text": (300, _("Please write the goal.")), "why": (1000, None)}
    url_name = "record-goal"

    text = models.CharField(max_length=300)
    why = models.TextField(_("why it matters"), max_length=1000, blank=True)
    scale = models.CharField(max_length=16, choices=GoalScale.choices, default=GoalScale.ZERO_TEN)
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status_note = models.CharField(max_length=500, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordItem.Meta):
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="goal_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=Q(status__in=GoalStatus.values), name="goal_status_valid"),
            models.CheckConstraint(condition=Q(scale__in=GoalScale.values), name="goal_scale_valid"),
            models.CheckConstraint(condition=~Q(text__regex=_BLANK), name="goal_text_not_blank"),
            models.CheckConstraint(
                # A suggestion the patient let go without taking on was never agreed.
                condition=Q(status__in=[GoalStatus.PROPOSED, GoalStatus.LET_GO]) | Q(agreed_at__isnull=False),
                name="goal_agreed_unless_proposed",
            ),
        )

    def __str__(self) -> str:
        return self.text


@tracked(patient="goal__patient", title="Goal rating")
class GoalRating(models.Model):
    """A progress rating at one moment. The scale is copied so the database can check the range."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    scale = models.CharField(max_length=16, choices=GoalScale.choices)
    value = models.SmallIntegerField()
    note = models.CharField(max_length=500, blank=True)
    rated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rated_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale=GoalScale.ZERO_TEN, value__gte=0, value__lte=10)
                | Q(scale=GoalScale.GAS, value__gte=-2, value__lte=2),
                name="goal_rating_in_range_for_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} on goal {self.goal_id}"


# --- Wins and setbacks ---------------------------------------------------------------------------


@tracked(exclude=RECORD_NOISE, patient="patient", title="Win")
class Win(RecordItem):
    kind = "win"
    record_section = RecordSection.JOURNAL
    editable = {"text": (1000, _("Please write what went well."))}

    text = models.TextField(max_length=1000)
    acknowledgement = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(RecordItem.Meta):
        indexes = [
            models.Index(fields=["patient", "last_activity_at"], name="win_patient_activity"),
            models.Index(fields=["patient", "acknowledged_at"], name="win_patient_acknowledged"),
        ]
        constraints = _constraints(
            models.CheckConstraint(condition=~Q(text__regex=_BLANK), name="win_text_not_blank"),
            # Acknowledged in one tap: by someone, at a time; the words are optional.
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True, acknowledgement="")
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="win_acknowledged_by_someone",
            ),
        )

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("alliance:record-journal", args=[self.patient_id]) + f"#{self.kind}-{self.pk}"


@tracked(exclude=RECORD_NOISE, patient="patient", title="Setback")
class Setback(RecordItem):
    """A hard patch, told in the patient's words with gentle prompts. There is deliberately no score."""

    kind = "setback"
    record_section = RecordSection.JOURNAL
    editable = {
        "what_happened": (2000, _("Please say a little about what happened.")),
        "what_was_going_on": (2000, None),
        "what_helped": (2000, None),
    }
    agenda_source = AgendaSource.SETBACK

    what_happened = models.TextField(max_length=2000)
    what_was_going_on = models.TextField(max_length=2000, blank=True)
    what_helped = models.TextField(max_length=2000, blank=True)
    on_agenda_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordItem.Meta):
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="setback_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=~Q(what_happened__regex=_BLANK), name="setback_text_not_blank"),
        )

    def __str__(self) -> str:
        return self.what_happened[:60]

    def get_absolute_url(self) -> str:
        return reverse("alliance:record-journal", args=[self.patient_id]) + f"#{self.kind}-{self.pk}"


# --- Explanations ------------------------------------------------------------------------------


@tracked(exclude=RECORD_NOISE, patient="patient", title="Explanation")
class Explanation(RecordItem):
    """The clinician's current understanding of what is happening. Its wording lives in versions."""

    kind = "explanation"
    record_section = RecordSection.EXPLANATIONS
    url_name = "record-explanation"

    title = models.CharField(max_length=200)

    class Meta(RecordItem.Meta):
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="explanation_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=~Q(title__regex=_BLANK), name="explanation_title_not_blank"),
        )

    def __str__(self) -> str:
        return self.title


@tracked(patient="explanation__patient", title="Explanation wording")
class ExplanationVersion(models.Model):
    explanation = models.ForeignKey(Explanation, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(max_length=6000)
    written_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["explanation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["explanation", "number"], name="explanation_version_unique"),
            models.CheckConstraint(condition=~Q(body__regex=_BLANK), name="explanation_version_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.explanation.title} v{self.number}"


class Fit(models.TextChoices):
    FITS = "fits", _("Fits my experience")
    PARTLY = "partly", _("Partly fits")
    DOESNT_FIT = "doesnt_fit", _("Doesn't fit")


class FeltHeard(models.TextChoices):
    YES = "yes", _("Yes, I felt heard")
    PARTLY = "partly", _("Partly")
    NO = "no", _("Not really")


@tracked(patient="version__explanation__patient", title="Does it fit")
class FitResponse(models.Model):
    """The patient's answer to one version of an explanation, and what happened after.

    "Partly" and "doesn't fit" stay open until a clinician records that they talked it through;
    then the patient says whether they felt heard. The database keeps that order.
    """

    version = models.OneToOneField(ExplanationVersion, on_delete=models.PROTECT, related_name="response")
    fit = models.CharField(max_length=16, choices=Fit.choices)
    words = models.TextField(_("in your own words"), max_length=4000, blank=True)
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(default=timezone.now)
    talked_through_at = models.DateTimeField(null=True, blank=True)
    talked_through_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    talked_through_note = models.TextField(max_length=2000, blank=True)
    felt_heard = models.CharField(max_length=16, choices=FeltHeard.choices, blank=True)
    felt_heard_words = models.TextField(max_length=2000, blank=True)
    felt_heard_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-responded_at"]
        indexes = [models.Index(fields=["fit", "talked_through_at"], name="fit_response_open")]
        constraints = [
            models.CheckConstraint(condition=Q(fit__in=Fit.values), name="fit_response_fit_valid"),
            models.CheckConstraint(
                condition=Q(talked_through_at__isnull=True, talked_through_by__isnull=True)
                | (Q(talked_through_at__isnull=False, talked_through_by__isnull=False) & ~Q(fit=Fit.FITS)),
                name="fit_response_talked_through_only_when_open",
            ),
            models.CheckConstraint(
                condition=Q(felt_heard="", felt_heard_at__isnull=True)
                | Q(felt_heard__in=FeltHeard.values, felt_heard_at__isnull=False, talked_through_at__isnull=False),
                name="fit_response_heard_after_talking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_fit_display()} ({self.version})"

    @property
    def is_open(self) -> bool:
        return self.fit != Fit.FITS and self.talked_through_at is None


# --- Options and decisions ----------------------------------------------------------------------


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    SHARED = "shared", _("Shared")
    DECIDED = "decided", _("Decided")


class PreferenceKind(models.TextChoices):
    UNSURE = "unsure", _("I'm not sure yet and would like to talk it through")
    LEANING = "leaning", _("I'm leaning towards an option")
    CHOSEN = "chosen", _("I've made my choice")


@tracked(exclude=RECORD_NOISE, patient="patient", title="Decision")
class Decision(RecordItem):
    kind = "decision"
    record_section = RecordSection.DECISIONS
    editable = {"title": (200, _("Please say what the decision is about.")), "context": (4000, None)}
    url_name = "record-decision"

    title = models.CharField(max_length=200)
    context = models.TextField(max_length=4000, blank=True)
    status = models.CharField(max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT)
    shared_at = models.DateTimeField(null=True, blank=True)
    what_matters = models.TextField(_("what matters most to me"), max_length=2000, blank=True)
    preference_kind = models.CharField(max_length=16, choices=PreferenceKind.choices, blank=True)
    preferred_option = models.ForeignKey("Option", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    preference_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The clinician's own view, "if you were my family", kept apart from the balanced options and
    # only ever given after they were shared (the service checks, and so does the database).
    advice = models.TextField(_("if you were my family, I would…"), max_length=2000, blank=True)
    advice_reasons = models.TextField(_("my reasons"), max_length=2000, blank=True)
    advice_would_change = models.TextField(_("what would change my mind"), max_length=2000, blank=True)
    advice_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    advice_at = models.DateTimeField(null=True, blank=True)
    advice_asked_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordItem.Meta):
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="decision_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=Q(status__in=DecisionStatus.values), name="decision_status_valid"),
            models.CheckConstraint(condition=~Q(title__regex=_BLANK), name="decision_title_not_blank"),
            models.CheckConstraint(
                condition=Q(status=DecisionStatus.DRAFT) | Q(shared_at__isnull=False), name="decision_shared_when"
            ),
            models.CheckConstraint(
                condition=~Q(status=DecisionStatus.DECIDED)
                | Q(decided_at__isnull=False, preference_kind=PreferenceKind.CHOSEN, preferred_option__isnull=False),
                name="decision_decided_has_a_choice",
            ),
            models.CheckConstraint(
                condition=~Q(preference_kind__in=[PreferenceKind.LEANING, PreferenceKind.CHOSEN])
                | Q(preferred_option__isnull=False),
                name="decision_preference_names_an_option",
            ),
            models.CheckConstraint(
                condition=Q(advice_at__isnull=True, advice_by__isnull=True, advice="")
                | (
                    Q(advice_at__isnull=False, advice_by__isnull=False, shared_at__isnull=False)
                    & ~Q(advice__regex=_BLANK)
                    & ~Q(advice_reasons__regex=_BLANK)
                    & ~Q(advice_would_change__regex=_BLANK)
                ),
                name="decision_advice_after_sharing_with_reasons",
            ),
            models.CheckConstraint(
                condition=Q(advice_asked_at__isnull=True) | Q(shared_at__isnull=False),
                name="decision_advice_asked_after_sharing",
            ),
        )

    def __str__(self) -> str:
        return self.title

    @property
    def has_advice(self) -> bool:
        """The clinician's own view is there to show: given, and the options were shared first."""
        return self.advice_at is not None and self.shared_at is not None


# Marked for translation here, translated where it is shown: `gettext(BALANCE_RULE)`.
BALANCE_RULE = gettext_noop(
    "Every option needs at least one benefit and at least one downside before it can be shared, so the patient "
    "always sees both sides."
)


@tracked(exclude=RECORD_NOISE, patient="patient", title="Option")
class Option(RecordItem):
    """One option, with its benefits, downsides and what is uncertain, one point per line.

    An option that has been shared always has at least one benefit and one downside: the service
    says so kindly, and the database refuses anything else.
    """

    kind = "option"
    record_section = RecordSection.DECISIONS
    listed = False
    editable = {
        "title": (200, _("Please name the option.")),
        "benefits": (3000, None),
        "downsides": (3000, None),
        "uncertainties": (3000, None),
    }

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="options")
    title = models.CharField(max_length=200)
    benefits = models.TextField(max_length=3000, blank=True)
    downsides = models.TextField(_("downsides and risks"), max_length=3000, blank=True)
    uncertainties = models.TextField(_("what is uncertain"), max_length=3000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordItem.Meta):
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="option_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=~Q(title__regex=_BLANK), name="option_title_not_blank"),
            models.CheckConstraint(
                condition=Q(shared_at__isnull=True) | (~Q(benefits__regex=_BLANK) & ~Q(downsides__regex=_BLANK)),
                name="option_shared_only_when_balanced",
            ),
        )

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("alliance:record-decision", args=[self.patient_id, self.decision_id])

    @staticmethod
    def points(text: str) -> list[str]:
        return [line.strip(" \t-•*") for line in text.splitlines() if line.strip(" \t-•*")]

    @property
    def benefit_points(self) -> list[str]:
        return self.points(self.benefits)

    @property
    def downside_points(self) -> list[str]:
        return self.points(self.downsides)

    @property
    def uncertainty_points(self) -> list[str]:
        return self.points(self.uncertainties)


CHECK_LOW_AT_OR_BELOW = 1
CHECK_QUESTIONS = {
    "had_a_say": _("Did you feel you had a real say in this decision?"),
    "understood_options": _("Did you understand the options well enough to choose between them?"),
    "told_downsides": _("Were you told about the downsides as well as the benefits?"),
}
CHECK_SCALE = [(0, _("Not at all")), (1, _("A little")), (2, _("Somewhat")), (3, _("Mostly")), (4, _("Completely"))]


@tracked(patient="decision__patient", title="Did you have a say")
class DecisionCheck(models.Model):
    """After a decision: did the patient feel they had a real say? Each answer 0 (not at all) to 4 (completely)."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="after_check")
    had_a_say = models.SmallIntegerField()
    understood_options = models.SmallIntegerField()
    told_downsides = models.SmallIntegerField()
    comment = models.TextField(max_length=2000, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    had_a_say__gte=0,
                    had_a_say__lte=4,
                    understood_options__gte=0,
                    understood_options__lte=4,
                    told_downsides__gte=0,
                    told_downsides__lte=4,
                ),
                name="decision_check_answers_0_to_4",
            ),
        ]

    def __str__(self) -> str:
        return f"Check on {self.decision}"

    @property
    def answers(self) -> dict[str, int]:
        return {
            "had_a_say": self.had_a_say,
            "understood_options": self.understood_options,
            "told_downsides": self.told_downsides,
        }

    @property
    def is_low(self) -> bool:
        return min(self.answers.values()) <= CHECK_LOW_AT_OR_BELOW


# --- Story ---------------------------------------------------------------------------------------


class StoryTopic(models.TextChoices):
    HISTORY = "history", _("My pain history")
    LIFE = "life", _("Life and what's going on")
    MATTERS = "matters", _("What matters to me")
    OTHER = "other", _("Something else")


@tracked(exclude=RECORD_NOISE, patient="patient", title="Story entry")
class StoryEntry(RecordItem):
    kind = "story"
    record_section = RecordSection.STORY
    editable = {"title": (200, None), "body": (6000, _("Please write something."))}
    url_name = "record-story-entry"

    topic = models.CharField(max_length=16, choices=StoryTopic.choices, default=StoryTopic.HISTORY)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=6000)

    class Meta(RecordItem.Meta):
        verbose_name_plural = _("story entries")
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="storyentry_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=Q(topic__in=StoryTopic.values), name="story_topic_valid"),
            models.CheckConstraint(condition=~Q(body__regex=_BLANK), name="story_body_not_blank"),
        )

    def __str__(self) -> str:
        return self.title or self.body[:60]


@tracked(patient="entry__patient", title="Story passage")
class StoryPassage(models.Model):
    """A passage a clinician picked out: "let's talk about this". It goes on the next agenda."""

    entry = models.ForeignKey(StoryEntry, on_delete=models.CASCADE, related_name="passages")
    quote = models.TextField(max_length=1000)
    note = models.CharField(_("why it stood out"), max_length=500, blank=True)
    marked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["marked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "quote"], name="story_passage_once"),
            models.CheckConstraint(condition=~Q(quote__regex=_BLANK), name="story_passage_not_blank"),
        ]

    def __str__(self) -> str:
        return self.quote[:60]


class HeardResponse(models.TextChoices):
    CONFIRMED = "confirmed", _("Yes, that's it")
    CORRECTED = "corrected", _("Not quite")


@tracked(patient="entry__patient", title="What I heard")
class StoryReflection(models.Model):
    """A clinician's short "what I heard" summary, which the patient confirms or corrects."""

    entry = models.ForeignKey(StoryEntry, on_delete=models.CASCADE, related_name="reflections")
    summary = models.TextField(max_length=2000)
    written_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    response = models.CharField(max_length=16, choices=HeardResponse.choices, blank=True)
    correction = models.TextField(max_length=2000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(summary__regex=_BLANK), name="story_reflection_not_blank"),
            models.CheckConstraint(
                condition=Q(response="", responded_at__isnull=True, correction="")
                | Q(response=HeardResponse.CONFIRMED, responded_at__isnull=False)
                | (Q(response=HeardResponse.CORRECTED, responded_at__isnull=False) & ~Q(correction__regex=_BLANK)),
                name="story_reflection_response_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.summary[:60]


# --- Private notes, history and visits -------------------------------------------------------------


@tracked(exclude=RECORD_NOISE, patient="patient", title="Private note")
class PrivateNote(RecordItem):
    """A clinician's note for the care team only. The patient never sees these; the UI says so."""

    kind = "note"
    record_section = ""
    editable = {"body": (4000, _("Please write the note."))}

    section = models.CharField(max_length=16, choices=RecordSection.choices, blank=True)
    body = models.TextField(max_length=4000)

    class Meta(RecordItem.Meta):
        indexes = [models.Index(fields=["patient", "last_activity_at"], name="privatenote_patient_activity")]
        constraints = _constraints(
            models.CheckConstraint(condition=~Q(body__regex=_BLANK), name="private_note_not_blank"),
        )

    def __str__(self) -> str:
        return self.body[:60]

    def get_absolute_url(self) -> str:
        return reverse("alliance:record", args=[self.patient_id])


class RecordRevision(models.Model):
    """The wording of an item before an edit. Newest last; the item itself holds the current wording."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    item_kind = models.CharField(max_length=24)
    item_id = models.BigIntegerField()
    previous = models.JSONField()
    edited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["edited_at", "pk"]
        indexes = [models.Index(fields=["item_kind", "item_id"], name="record_revision_item")]

    def __str__(self) -> str:
        return f"Earlier wording of {self.item_kind} {self.item_id}"


class RecordVisit(models.Model):
    """When a person last looked at one part of a patient's record: the line for "new since your last visit"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=16, choices=RecordSection.choices)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "patient", "section"], name="record_visit_once"),
            models.CheckConstraint(condition=Q(section__in=RecordSection.values), name="record_visit_section_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.section} of {self.patient}"

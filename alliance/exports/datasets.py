"""The clinic's datasets. Each is scoped to the clinic and the chosen filters, and nothing else.

To add a dataset: subclass ``Dataset``, declare its columns and queryset, and add it to ``DATASETS``
in ``alliance.exports``, with a value in ``ExportDataset``.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Extract, Round

from alliance.exports.base import Column, Dataset, Kind, Who, person_columns
from alliance.exports.fhir import checkin_entries, goal_entries
from alliance.instruments.scoring import total_range
from alliance.models import (
    Alert,
    AlertStatus,
    Answer,
    CheckIn,
    ExportDataset,
    Goal,
    GoalRating,
    InstrumentVersion,
    Purpose,
    Respondent,
    Response,
)
from patients.models import Patient, User
from patients.selectors.audit import PREFIX as TRAIL_PREFIX
from patients.selectors.audit import TrailFilters, audit_trail
from sessions.models import CareSession

DECIMAL = DecimalField(max_digits=12, decimal_places=2)


def _threshold(path: str):
    """The alliance threshold ("total_below") of the questionnaire version a response was given on."""
    return Cast(KeyTextTransform("total_below", KeyTransform("thresholds", f"{path}definition")), DECIMAL)


class ResponseScope:
    """Filters shared by the two check-in datasets; ``prefix`` leads from the rows to the response."""

    prefix = ""

    def scope_responses(self, qs: QuerySet, prefix: str | None = None) -> QuerySet:
        p, f = self.prefix if prefix is None else prefix, self.filters
        qs = qs.filter(
            **{
                f"{p}patient__clinic": f.clinic,
                f"{p}submitted_at__gte": f.start,
                f"{p}submitted_at__lt": f.end,
            }
        )
        if f.clinician is not None:
            qs = qs.filter(**{f"{p}care_session__clinician": f.clinician})
        if f.instrument is not None:
            qs = qs.filter(**{f"{p}instrument": f.instrument})
        return qs

    def responses(self) -> QuerySet[Response]:
        """The responses in scope, whatever the rows are (what a FHIR export holds)."""
        return self.scope_responses(Response.objects.all(), prefix="")

    def fhir_entries(self, *, people, progress=None):
        return checkin_entries(self.responses(), people=people, progress=progress)

    def fhir_count(self) -> int:
        return self.responses().filter(superseded_by__isnull=True).count()

    def response_columns(self) -> list[Column]:
        p = self.prefix
        return [
            Column("response_id", "response_id" if p else "pk", Kind.INT, "The questionnaire response's id."),
            *person_columns(prefix="patient", path=f"{p}patient__user", who=Who.PATIENT, label="patient"),
            *person_columns(
                prefix="clinician", path=f"{p}care_session__clinician__user", who=Who.STAFF, label="session's clinician"
            ),
            Column("session_id", f"{p}care_session_id", Kind.INT, "The appointment it was for (empty if none)."),
            Column("session_starts_at", f"{p}care_session__starts_at", Kind.DATETIME, "When that appointment began."),
            Column("instrument_key", f"{p}instrument__key", Kind.CODE, "The questionnaire's short name."),
            Column("instrument_version", f"{p}version__number", Kind.INT, "The version of it that was answered."),
            Column("respondent_role", f"{p}respondent_role", Kind.CODE, "Who answered: patient or clinician."),
            Column("submitted_at", f"{p}submitted_at", Kind.DATETIME, "When it was submitted."),
            Column(
                "current",
                ExpressionWrapper(Q(**{f"{p}superseded_by__isnull": True}), output_field=BooleanField()),
                Kind.BOOL,
                "false when a later correction replaced this response; reports count current ones only.",
            ),
        ]

    def about(self) -> list[tuple[str, str]]:
        """Each questionnaire version in the export, with its questions, so the item keys make sense."""
        versions = InstrumentVersion.objects.filter(
            pk__in=self.responses().values("version").distinct()
        ).select_related("instrument")
        lines = []
        for version in versions.order_by("instrument__key", "number"):
            definition = version.definition
            low, high = total_range(definition)
            scale = definition.get("scale", {})
            lines.append(
                (
                    f"{version.instrument.key} v{version.number}",
                    f"{version.instrument.name}. Answers {scale.get('min')}–{scale.get('max')}; "
                    f"total {low:g}–{high:g} ({definition.get('scoring', {}).get('method', 'sum')})",
                )
            )
            lines.extend((f"  {item['key']}", item["text"]) for item in definition["items"])
        return lines


class CheckinAnswers(ResponseScope, Dataset):
    key = ExportDataset.CHECKIN_ANSWERS
    title = "Check-in answers"
    description = "One row for every question answered in a check-in or clinician rating."
    filters_apply = frozenset({"date", "clinician", "instrument"})
    date_meaning = "when the questionnaire was submitted"
    formats = ("csv", "xlsx", "fhir")
    prefix = "response__"
    ordering = ("response_id", "pk")

    def all_columns(self) -> list[Column]:
        return [
            *self.response_columns(),
            Column("item_key", "item_key", Kind.CODE, "The question (see the questionnaire for its wording)."),
            Column("value", "value", Kind.INT, "The answer given; empty when the question was skipped."),
        ]

    def queryset(self) -> QuerySet:
        return self.scope_responses(Answer.objects.all())


class CheckinResponses(ResponseScope, Dataset):
    key = ExportDataset.CHECKIN_RESPONSES
    title = "Check-in totals"
    description = "One row for every questionnaire answered, with its total and subscale scores."
    filters_apply = frozenset({"date", "clinician", "instrument"})
    date_meaning = "when the questionnaire was submitted"
    formats = ("csv", "xlsx", "fhir")
    unit = "responses"
    ordering = ("pk",)

    def subscale_names(self) -> list[str]:
        names: set[str] = set()
        versions = InstrumentVersion.objects.filter(pk__in=self.responses().values("version").distinct()).values_list(
            "definition", flat=True
        )
        for definition in versions:
            names.update((definition or {}).get("subscales", {}))
        return sorted(names)

    def all_columns(self) -> list[Column]:
        if not hasattr(self, "_subscales"):
            self._subscales = self.subscale_names()
        return [
            *self.response_columns(),
            Column(
                "checkin_id",
                Coalesce("checkin_alliance__id", "checkin_pain__id"),
                Kind.INT,
                "The patient's check-in this was part of: its alliance and pain answers share it.",
            ),
            Column("corrects_response_id", "supersedes_id", Kind.INT, "The earlier response this one corrected."),
            Column(
                "total",
                "total",
                Kind.DECIMAL,
                "The total score (empty when too few questions were answered).",
                places=2,
            ),
            Column(
                "below_threshold",
                Case(
                    When(Q(total__isnull=True) | Q(threshold__isnull=True), then=None),
                    When(total__lt=F("threshold"), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                Kind.BOOL,
                "true when the total is below the questionnaire's threshold for a conversation.",
            ),
            *(
                Column(
                    f"subscale_{name}",
                    KeyTextTransform(name, "subscales"),
                    Kind.DECIMAL,
                    f"The {name} subscale score.",
                )
                for name in self._subscales
            ),
            Column(
                "checkin_note",
                "checkin_alliance__note",
                Kind.TEXT,
                "What the patient wanted to raise next time (identified exports only).",
                free_text=True,
            ),
        ]

    def queryset(self) -> QuerySet:
        return self.scope_responses(Response.objects.all()).annotate(threshold=_threshold("version__"))


class Alerts(Dataset):
    key = ExportDataset.ALERTS
    title = "Alerts"
    description = "Every alert raised for the care team, and what happened to it."
    filters_apply = frozenset({"date", "clinician", "instrument"})
    date_meaning = "when the alert was raised"

    def all_columns(self) -> list[Column]:
        return [
            Column("alert_id", "pk", Kind.INT, "The alert's id."),
            *person_columns(prefix="patient", path="patient__user", who=Who.PATIENT, label="patient"),
            *person_columns(
                prefix="clinician", path="care_session__clinician__user", who=Who.STAFF, label="session's clinician"
            ),
            Column("session_id", "care_session_id", Kind.INT, "The appointment it was about (empty if none)."),
            Column("response_id", "response_id", Kind.INT, "The questionnaire response that raised it."),
            Column("instrument_key", "response__instrument__key", Kind.CODE, "That response's questionnaire."),
            Column("kind", "kind", Kind.CODE, "What raised it: low_total, low_item, drop or mismatch."),
            Column("detail", "detail", Kind.TEXT, "What triggered it, in numbers.", free_text=True),
            Column("raised_at", "raised_at", Kind.DATETIME, "When it was raised."),
            Column(
                "status",
                Case(
                    When(resolved_at__isnull=False, then=Value(AlertStatus.RESOLVED.value)),
                    When(acknowledged_at__isnull=False, then=Value(AlertStatus.ACKNOWLEDGED.value)),
                    default=Value(AlertStatus.OPEN.value),
                ),
                Kind.CODE,
                "open, acknowledged or resolved (talked through), as of the export.",
            ),
            Column("acknowledged_at", "acknowledged_at", Kind.DATETIME, "When a clinician first acknowledged it."),
            *person_columns(
                prefix="acknowledged_by", path="acknowledged_by", who=Who.STAFF, label="clinician who acknowledged it"
            )[:2],
            Column(
                "hours_to_acknowledge",
                Round(Extract(F("acknowledged_at") - F("raised_at"), "epoch") / 3600, 2, output_field=DECIMAL),
                Kind.DECIMAL,
                "Hours from raised to acknowledged.",
                places=2,
            ),
            Column("acknowledge_note", "acknowledge_note", Kind.TEXT, "The clinician's note.", free_text=True),
            Column("resolved_at", "resolved_at", Kind.DATETIME, "When it was marked as talked through."),
            *person_columns(prefix="resolved_by", path="resolved_by", who=Who.STAFF, label="clinician who resolved it")[
                :2
            ],
            Column("resolve_note", "resolve_note", Kind.TEXT, "The clinician's note.", free_text=True),
        ]

    def queryset(self) -> QuerySet:
        f = self.filters
        qs = Alert.objects.filter(patient__clinic=f.clinic, raised_at__gte=f.start, raised_at__lt=f.end)
        if f.clinician is not None:
            qs = qs.filter(care_session__clinician=f.clinician)
        if f.instrument is not None:
            qs = qs.filter(response__instrument=f.instrument)
        return qs


class Sessions(Dataset):
    key = ExportDataset.SESSIONS
    title = "Sessions"
    description = "Every appointment, whether the patient checked in for it, and the scores given."
    date_meaning = "when the appointment started"

    def all_columns(self) -> list[Column]:
        return [
            Column("session_id", "pk", Kind.INT, "The appointment's id."),
            *person_columns(prefix="patient", path="patient__user", who=Who.PATIENT, label="patient"),
            *person_columns(prefix="clinician", path="clinician__user", who=Who.STAFF, label="clinician"),
            Column("starts_at", "starts_at", Kind.DATETIME, "When the appointment started."),
            Column("duration_minutes", "duration_minutes", Kind.INT, "How long it was booked for."),
            Column("mode", "mode", Kind.CODE, "in_person, video or phone."),
            Column("status", "status", Kind.CODE, "scheduled, done (it happened), cancelled or missed."),
            Column("cancelled_reason", "cancelled_reason", Kind.TEXT, "Why it was cancelled.", free_text=True),
            Column("checked_in", "checked_in", Kind.BOOL, "Whether the patient checked in for it."),
            Column("checkin_id", "checkin_id", Kind.INT, "The check-in's id."),
            Column("checkin_submitted_at", "checkin_at", Kind.DATETIME, "When the patient checked in."),
            Column("alliance_total", "alliance_total", Kind.DECIMAL, "The patient's alliance total for it.", places=2),
            Column("pain_total", "pain_total", Kind.DECIMAL, "The patient's pain-check total for it.", places=2),
            Column("clinician_rated", "clinician_rated", Kind.BOOL, "Whether the clinician rated the session."),
            Column("clinician_total", "clinician_total", Kind.DECIMAL, "The clinician's rating total.", places=2),
            Column("alerts_raised", "alerts_raised", Kind.INT, "How many alerts it raised."),
        ]

    def queryset(self) -> QuerySet:
        f = self.filters
        checkins = CheckIn.objects.filter(care_session=OuterRef("pk")).order_by("-submitted_at")
        current = Response.objects.filter(care_session=OuterRef("pk"), superseded_by__isnull=True)
        by_patient = current.filter(respondent_role=Respondent.PATIENT).order_by("-submitted_at", "-pk")
        by_clinician = current.filter(respondent_role=Respondent.CLINICIAN).order_by("-submitted_at", "-pk")
        alerts = (
            Alert.objects.filter(care_session=OuterRef("pk"))
            .order_by()
            .values("care_session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = CareSession.objects.filter(patient__clinic=f.clinic, starts_at__gte=f.start, starts_at__lt=f.end)
        if f.clinician is not None:
            qs = qs.filter(clinician=f.clinician)
        return qs.annotate(
            checked_in=Exists(checkins),
            checkin_id=Subquery(checkins.values("pk")[:1]),
            checkin_at=Subquery(checkins.values("submitted_at")[:1]),
            alliance_total=Subquery(by_patient.filter(instrument__purpose=Purpose.ALLIANCE).values("total")[:1]),
            pain_total=Subquery(by_patient.filter(instrument__purpose=Purpose.PAIN).values("total")[:1]),
            clinician_rated=Exists(by_clinician.filter(instrument__purpose=Purpose.ALLIANCE)),
            clinician_total=Subquery(by_clinician.filter(instrument__purpose=Purpose.ALLIANCE).values("total")[:1]),
            alerts_raised=Coalesce(Subquery(alerts, output_field=IntegerField()), 0),
        )

    ordering = ("starts_at", "pk")


def _role_of(user_path: str):
    """ "patient" when the person at ``user_path`` is the goal's patient, else "clinician"."""
    return Case(
        When(**{f"{user_path}_id": F("patient__user_id")}, then=Value("patient")),
        When(**{f"{user_path}__isnull": True}, then=None),
        default=Value("clinician"),
    )


class Goals(Dataset):
    """Goals and their progress ratings: a row for each rating given in the date range, and a row
    for each goal that had none then. A goal is in range if it existed at some point in it."""

    key = ExportDataset.GOALS
    title = "Goals"
    description = "Every goal with its progress ratings: one row per rating, or one for a goal not yet rated."
    filters_apply = frozenset({"date", "clinician"})
    date_meaning = "when a progress rating was given (goals that existed then are listed even without one)"
    formats = ("csv", "xlsx", "fhir")
    unit = "goals"
    ordering = ("pk", "rating__rated_at", "rating__id")

    def all_columns(self) -> list[Column]:
        return [
            Column("goal_id", "pk", Kind.INT, "The goal's id."),
            *person_columns(prefix="patient", path="patient__user", who=Who.PATIENT, label="patient"),
            Column("goal_text", "text", Kind.TEXT, "The goal, in the patient's words.", free_text=True),
            Column("why_it_matters", "why", Kind.TEXT, "Why it matters to them.", free_text=True),
            Column("proposed_by", _role_of("created_by"), Kind.CODE, "patient, or clinician (then agreed)."),
            Column("created_at", "created_at", Kind.DATETIME, "When the goal was written down."),
            Column("agreed_at", "agreed_at", Kind.DATETIME, "When the patient took it on."),
            Column("status", "status", Kind.CODE, "proposed, active, achieved, paused or let_go, as of the export."),
            Column("status_changed_at", "status_changed_at", Kind.DATETIME, "When the status last changed."),
            Column(
                "withdrawn",
                ExpressionWrapper(Q(withdrawn_at__isnull=False), output_field=BooleanField()),
                Kind.BOOL,
                "true when the goal was withdrawn (deleted) from the record.",
            ),
            Column("scale", "scale", Kind.CODE, "zero_ten (0 to 10) or gas (goal attainment, -2 to +2)."),
            Column("rating_id", "rating__id", Kind.INT, "The rating's id (empty when none in the range)."),
            Column("rated_at", "rating__rated_at", Kind.DATETIME, "When progress was rated."),
            Column("rating", "rating__value", Kind.INT, "The progress rating on the goal's scale."),
            Column("rated_by", _role_of("rating__rated_by"), Kind.CODE, "Who rated it: patient or clinician."),
            Column(
                "rated_by_name", "rating__rated_by__full_name", Kind.TEXT, "Who rated it, by name.", identifying=True
            ),
            Column("rating_note", "rating__note", Kind.TEXT, "What they wrote with the rating.", free_text=True),
        ]

    def goals(self) -> QuerySet:
        f = self.filters
        qs = Goal.objects.filter(patient__clinic=f.clinic, created_at__lt=f.end).exclude(withdrawn_at__lt=f.start)
        if f.clinician is not None:
            qs = qs.filter(patient__care_team__clinician=f.clinician)
        return qs

    def rating_condition(self) -> Q:
        return Q(ratings__rated_at__gte=self.filters.start, ratings__rated_at__lt=self.filters.end)

    def queryset(self) -> QuerySet:
        return self.goals().annotate(rating=FilteredRelation("ratings", condition=self.rating_condition()))

    def count(self) -> int:
        # One row per rating in range, or one per goal without: the join decides, not the goals alone.
        return self.queryset().values("pk", "rating__id").count()

    def fhir_entries(self, *, people, progress=None):
        f = self.filters
        ratings = GoalRating.objects.filter(rated_at__gte=f.start, rated_at__lt=f.end)
        return goal_entries(self.goals(), ratings, people=people, progress=progress)

    def fhir_count(self) -> int:
        return self.goals().count()


def _person(model, ref: str, value: str):
    """One value of the person a trail row names by id (``ref``), for the export's columns."""
    return Subquery(model.objects.filter(pk=OuterRef(ref)).values(value)[:1])


class AuditTrail(Dataset):
    """The clinic's audit trail (patients.selectors.audit): reads, changes, exports, sign-ins, factor resets.

    The rows are the trail's ``UNION ALL`` over the audit entries and every tracked model's change
    events, so ``values()`` asks the trail for this dataset's columns instead of annotating one model.
    """

    key = ExportDataset.AUDIT
    title = "Audit trail"
    description = "Who looked at, changed, exported or signed in to what, and when: one row per entry."
    filters_apply = frozenset({"date"})
    date_meaning = "when it happened"
    formats = ("csv",)
    ordering = ()

    def all_columns(self) -> list[Column]:
        p = TRAIL_PREFIX
        return [
            Column("when", f"{p}when", Kind.DATETIME, "When it happened."),
            Column("kind", f"{p}kind", Kind.CODE, "read, change, export, sign_in or factor_reset."),
            Column("actor_pseudonym", f"{p}actor_id", Kind.PSEUDONYM, "Who did it (empty: the system).", who=Who.STAFF),
            Column(
                "actor_name", _person(User, f"{p}actor_id", "full_name"), Kind.TEXT, "Who did it.", identifying=True
            ),
            Column("actor_email", _person(User, f"{p}actor_id", "email"), Kind.TEXT, "Their email.", identifying=True),
            Column("actor_role", f"{p}actor_role", Kind.CODE, "Their role then (empty for changes)."),
            Column(
                "patient_pseudonym",
                _person(Patient, f"{p}patient_id", "user_id"),
                Kind.PSEUDONYM,
                "Whose data it was.",
                who=Who.PATIENT,
            ),
            Column(
                "patient_name",
                _person(Patient, f"{p}patient_id", "user__full_name"),
                Kind.TEXT,
                "Whose data.",
                identifying=True,
            ),
            Column("page", f"{p}page", Kind.CODE, "The page (its URL name) for reads."),
            Column("path", f"{p}path", Kind.TEXT, "The address asked for, or of the page that made a change."),
            Column(
                "detail",
                f"{p}detail",
                Kind.TEXT,
                "What happened, in words (it may name people); insert, update or delete for changes.",
                free_text=True,
            ),
            Column("changed_model", f"{p}model", Kind.CODE, "What kind of row changed."),
            Column("changed_id", f"{p}object_id", Kind.INT, "Which row changed."),
            Column(
                "values_after",
                Cast(f"{p}after", TextField()),
                Kind.TEXT,
                "The row's values after the change (JSON).",
                free_text=True,
            ),
            Column(
                "values_before",
                Cast(f"{p}before", TextField()),
                Kind.TEXT,
                "The row's values before it (JSON; empty for a new row).",
                free_text=True,
            ),
        ]

    def trail_filters(self) -> TrailFilters:
        f = self.filters
        return TrailFilters(
            clinic=f.clinic, patient=f.patient, actor=f.actor, kind=f.audit_kind, start=f.start, end=f.end
        )

    def queryset(self) -> QuerySet:
        return audit_trail(filters=self.trail_filters())

    def values(self) -> QuerySet:
        expressions = {f"c{index}": column.resolved for index, column in enumerate(self.columns())}
        return audit_trail(filters=self.trail_filters(), extra=expressions, only_extra=True).values_list(*expressions)

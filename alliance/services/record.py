"""Writes to the shared record.

Who may do what:
- the patient writes questions, goals, wins, setbacks and story entries, answers explanations,
  records what matters and their choice, and says whether they felt heard;
- a clinician on the patient's care team answers, proposes goals, acknowledges wins, writes
  explanations and options, picks out story passages and keeps private notes;
- nobody else writes anything (``PermissionDenied``). A clinic admin sees counts only.

Every function validates, then saves all or nothing. Text is stored exactly as typed (trimmed);
templates escape it on the way out. Things that belong on the next session's agenda are pushed
there through ``sessions.services.agenda_item_add``.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from alliance.models import (
    Alert,
    AlertKind,
    Decision,
    DecisionCheck,
    DecisionStatus,
    Explanation,
    ExplanationVersion,
    FeltHeard,
    Fit,
    FitResponse,
    Goal,
    GoalRating,
    GoalScale,
    GoalStatus,
    HeardResponse,
    Option,
    PreferenceKind,
    PrivateNote,
    Question,
    QuestionReply,
    QuestionRoute,
    QuestionStatus,
    RecordRevision,
    RecordSection,
    RecordVisit,
    ReplyKind,
    Setback,
    StoryEntry,
    StoryPassage,
    StoryReflection,
    StoryTopic,
    Win,
)
from alliance.models.record import SCALE_RANGES, RecordItem
from patients.models import CareTeamMembership, Patient, Role, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add, agenda_item_retract, agenda_item_settle

AGENDA_TEXT_LIMIT = 1000


# --- Who is asking --------------------------------------------------------------------------------


def _is_patient(by: User, patient: Patient) -> bool:
    return by.role == Role.PATIENT and by.patient.pk == patient.pk


def _is_team_clinician(by: User, patient: Patient) -> bool:
    return (
        by.role == Role.CLINICIAN
        and by.clinician.clinic_id == patient.clinic_id
        and CareTeamMembership.objects.filter(patient=patient, clinician=by.clinician).exists()
    )


def _require_patient(by: User, patient: Patient) -> None:
    if not _is_patient(by, patient):
        raise PermissionDenied


def _require_clinician(by: User, patient: Patient) -> None:
    if not _is_team_clinician(by, patient):
        raise PermissionDenied


def _require_either(by: User, patient: Patient) -> None:
    if not (_is_patient(by, patient) or _is_team_clinician(by, patient)):
        raise PermissionDenied


def _require_live(item: RecordItem) -> None:
    if item.withdrawn_at is not None:
        raise ValidationError("This has been withdrawn, so it can't be changed.")


# --- Text -----------------------------------------------------------------------------------------


def clean_text(value, *, field: str, limit: int, required: str | None = None) -> str:
    """Trim ``value`` and check it fits. ``required`` is the message when it is empty (None: optional)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "This contains a character we can't store. Please remove it and try again."})
    if not text and required:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError(
            {field: f"Please keep this to {limit:,} characters or fewer. It's {len(text):,} at the moment."}
        )
    return text


def _agenda_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= AGENDA_TEXT_LIMIT else text[: AGENDA_TEXT_LIMIT - 1].rstrip() + "…"


def _save(item: models.Model, *fields: str) -> None:
    item.save(update_fields=list(fields))


def _touch(item: RecordItem, by: User, at: datetime | None = None) -> None:
    item.touch(by=by, at=at)
    _save(item, "last_activity_at", "last_activity_by")


# --- Questions ------------------------------------------------------------------------------------


def question_ask(*, patient: Patient, by: User, text: str, worried_silly: bool, route: str) -> Question:
    _require_patient(by, patient)
    text = clean_text(text, field="text", limit=2000, required="Please write your question. Any question is welcome.")
    if route not in QuestionRoute.values:
        raise ValidationError({"route": "Please choose when you'd like to talk about it."})
    with transaction.atomic():
        question = Question.objects.create(
            patient=patient,
            created_by=by,
            last_activity_by=by,
            text=text,
            worried_silly=bool(worried_silly),
            route=route,
        )
        if route == QuestionRoute.NEXT_SESSION:
            agenda_item_add(
                patient=patient,
                text=_agenda_text(text),
                source=AgendaSource.QUESTION,
                source_ref=f"question:{question.pk}",
                raised_by=by,
            )
    return question


def question_answer(*, question: Question, by: User, body: str, in_session: bool = False) -> QuestionReply:
    """A clinician answers in writing, or records that they talked it through in a session."""
    _require_clinician(by, question.patient)
    _require_live(question)
    required = None if in_session else "Please write your answer."
    body = clean_text(body, field="body", limit=4000, required=required)
    with transaction.atomic():
        reply = QuestionReply.objects.create(
            question=question,
            kind=ReplyKind.TALKED_IN_SESSION if in_session else ReplyKind.ANSWER,
            body=body,
            author=by,
        )
        question.status = QuestionStatus.ANSWERED
        question.touch(by=by, at=reply.created_at)
        _save(question, "status", "last_activity_at", "last_activity_by")
        if in_session:
            agenda_item_settle(
                patient=question.patient, source=AgendaSource.QUESTION, source_ref=f"question:{question.pk}"
            )
    return reply


def question_feedback(
    *, question: Question, by: User, helped: bool, words: str = "", raise_next_session: bool = False
) -> QuestionReply:
    """The patient says the answer helps, or that it is still unclear (which keeps the question open)."""
    _require_patient(by, question.patient)
    _require_live(question)
    if question.status != QuestionStatus.ANSWERED:
        raise ValidationError("You can say how the answer landed once your clinician has answered.")
    words = clean_text(words, field="words", limit=2000)
    with transaction.atomic():
        reply = QuestionReply.objects.create(
            question=question, kind=ReplyKind.HELPED if helped else ReplyKind.STILL_UNCLEAR, body=words, author=by
        )
        question.status = QuestionStatus.HELPED if helped else QuestionStatus.STILL_UNCLEAR
        question.touch(by=by, at=reply.created_at)
        _save(question, "status", "last_activity_at", "last_activity_by")
        if not helped and raise_next_session:
            agenda_item_add(
                patient=question.patient,
                text=_agenda_text(f"Still unclear: {question.text}"),
                source=AgendaSource.QUESTION,
                source_ref=f"question:{question.pk}:reply:{reply.pk}",
                raised_by=by,
            )
    return reply


# --- Goals ----------------------------------------------------------------------------------------


def goal_add(*, patient: Patient, by: User, text: str, why: str = "", scale: str = GoalScale.ZERO_TEN) -> Goal:
    """The patient's goal is agreed as they write it; a clinician's is a suggestion the patient accepts or rewords."""
    _require_either(by, patient)
    text = clean_text(text, field="text", limit=300, required="Please write the goal, in a few words.")
    why = clean_text(why, field="why", limit=1000)
    if scale not in GoalScale.values:
        raise ValidationError({"scale": "Please choose how progress will be rated."})
    by_patient = _is_patient(by, patient)
    now = timezone.now()
    return Goal.objects.create(
        patient=patient,
        created_by=by,
        created_at=now,
        last_activity_at=now,
        last_activity_by=by,
        text=text,
        why=why,
        scale=scale,
        status=GoalStatus.ACTIVE if by_patient else GoalStatus.PROPOSED,
        agreed_at=now if by_patient else None,
    )


def goal_accept(*, goal: Goal, by: User, text: str | None = None) -> Goal:
    """The patient takes on a suggested goal, as written or in their own words (the suggestion stays in history)."""
    _require_patient(by, goal.patient)
    _require_live(goal)
    if goal.status != GoalStatus.PROPOSED:
        raise ValidationError("This goal is already agreed.")
    new_text = (
        goal.text if text is None else clean_text(text, field="text", limit=300, required="Please write the goal.")
    )
    with transaction.atomic():
        if new_text != goal.text:
            _revise(goal, by, {"text": new_text})
        now = timezone.now()
        goal.status, goal.agreed_at, goal.status_changed_at, goal.status_changed_by = GoalStatus.ACTIVE, now, now, by
        goal.touch(by=by, at=now)
        _save(
            goal,
            "status",
            "agreed_at",
            "status_changed_at",
            "status_changed_by",
            "last_activity_at",
            "last_activity_by",
        )
    return goal


def goal_rate(*, goal: Goal, by: User, value, note: str = "") -> GoalRating:
    _require_either(by, goal.patient)
    _require_live(goal)
    if goal.status != GoalStatus.ACTIVE:
        raise ValidationError("Progress is rated while a goal is being worked on.")
    low, high = SCALE_RANGES[goal.scale]
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise ValidationError({"value": f"Please choose a number from {low} to {high}."})
    note = clean_text(note, field="note", limit=500)
    with transaction.atomic():
        rating = GoalRating.objects.create(goal=goal, scale=goal.scale, value=value, note=note, rated_by=by)
        _touch(goal, by, rating.rated_at)
    return rating


GOAL_MOVES = {
    GoalStatus.PROPOSED: {GoalStatus.LET_GO},
    GoalStatus.ACTIVE: {GoalStatus.ACHIEVED, GoalStatus.PAUSED, GoalStatus.LET_GO},
    GoalStatus.PAUSED: {GoalStatus.ACTIVE, GoalStatus.ACHIEVED, GoalStatus.LET_GO},
    GoalStatus.ACHIEVED: {GoalStatus.ACTIVE},
    GoalStatus.LET_GO: {GoalStatus.ACTIVE},
}


def goal_status_set(*, goal: Goal, by: User, status: str, note: str = "") -> Goal:
    """Achieved, paused, let go, or picked up again. Letting go is a choice, never a failure."""
    _require_either(by, goal.patient)
    _require_live(goal)
    if status not in GOAL_MOVES.get(goal.status, set()):
        raise ValidationError({"status": "That change isn't available for this goal right now."})
    if goal.status == GoalStatus.PROPOSED and not _is_patient(by, goal.patient):
        raise ValidationError({"status": "A suggested goal is the patient's to take on or let go."})
    note = clean_text(note, field="note", limit=500)
    now = timezone.now()
    goal.status, goal.status_note, goal.status_changed_at, goal.status_changed_by = status, note, now, by
    if status == GoalStatus.ACTIVE and goal.agreed_at is None:
        goal.agreed_at = now
    goal.touch(by=by, at=now)
    _save(
        goal,
        "status",
        "status_note",
        "status_changed_at",
        "status_changed_by",
        "agreed_at",
        "last_activity_at",
        "last_activity_by",
    )
    return goal


# --- Wins and setbacks ----------------------------------------------------------------------------


def win_log(*, patient: Patient, by: User, text: str) -> Win:
    _require_either(by, patient)
    text = clean_text(text, field="text", limit=1000, required="Please write what went well. Small things count.")
    return Win.objects.create(patient=patient, created_by=by, last_activity_by=by, text=text)


def win_acknowledge(*, win: Win, by: User, reply: str) -> Win:
    _require_clinician(by, win.patient)
    _require_live(win)
    reply = clean_text(reply, field="reply", limit=500, required="Please write a short reply to go with it.")
    with transaction.atomic():
        win = Win.objects.select_for_update(of=("self",)).get(pk=win.pk)
        if win.acknowledged_at is not None:
            raise ValidationError("This win has already been acknowledged.")
        now = timezone.now()
        win.acknowledgement, win.acknowledged_at, win.acknowledged_by = reply, now, by
        win.touch(by=by, at=now)
        _save(win, "acknowledgement", "acknowledged_at", "acknowledged_by", "last_activity_at", "last_activity_by")
    return win


def setback_log(
    *,
    patient: Patient,
    by: User,
    what_happened: str,
    what_was_going_on: str = "",
    what_helped: str = "",
    add_to_agenda: bool = False,
) -> Setback:
    """A hard patch, in the person's own words. Nothing here is scored or judged."""
    _require_either(by, patient)
    what_happened = clean_text(
        what_happened, field="what_happened", limit=2000, required="Please say a little about what happened."
    )
    what_was_going_on = clean_text(what_was_going_on, field="what_was_going_on", limit=2000)
    what_helped = clean_text(what_helped, field="what_helped", limit=2000)
    with transaction.atomic():
        setback = Setback.objects.create(
            patient=patient,
            created_by=by,
            last_activity_by=by,
            what_happened=what_happened,
            what_was_going_on=what_was_going_on,
            what_helped=what_helped,
        )
        if add_to_agenda:
            setback_add_to_agenda(setback=setback, by=by)
    return setback


def setback_add_to_agenda(*, setback: Setback, by: User) -> Setback:
    _require_either(by, setback.patient)
    _require_live(setback)
    agenda_item_add(
        patient=setback.patient,
        text=_agenda_text(f"A setback: {setback.what_happened}"),
        source=AgendaSource.SETBACK,
        source_ref=f"setback:{setback.pk}",
        raised_by=by,
    )
    if setback.on_agenda_at is None:
        setback.on_agenda_at = timezone.now()
        setback.touch(by=by, at=setback.on_agenda_at)
        _save(setback, "on_agenda_at", "last_activity_at", "last_activity_by")
    return setback


# --- Explanations ---------------------------------------------------------------------------------


def explanation_write(*, patient: Patient, by: User, title: str, body: str) -> Explanation:
    _require_clinician(by, patient)
    title = clean_text(title, field="title", limit=200, required="Please give the explanation a short title.")
    body = clean_text(body, field="body", limit=6000, required="Please write the explanation in plain language.")
    with transaction.atomic():
        explanation = Explanation.objects.create(patient=patient, created_by=by, last_activity_by=by, title=title)
        ExplanationVersion.objects.create(explanation=explanation, number=1, body=body, written_by=by)
    return explanation


def explanation_revise(*, explanation: Explanation, by: User, body: str) -> ExplanationVersion:
    """A new version; the earlier ones stay readable, each with its date and the patient's answer to it."""
    _require_clinician(by, explanation.patient)
    _require_live(explanation)
    body = clean_text(body, field="body", limit=6000, required="Please write the new version.")
    with transaction.atomic():
        # Lock the explanation itself so two revisions at once are numbered one after the other.
        Explanation.objects.select_for_update(of=("self",)).filter(pk=explanation.pk).first()
        latest = explanation.versions.order_by("-number").first()
        if latest is not None and latest.body == body:
            raise ValidationError(
                {"body": "This is the same as the current version. Change the wording to save a new one."}
            )
        version = ExplanationVersion.objects.create(
            explanation=explanation, number=(latest.number + 1) if latest else 1, body=body, written_by=by
        )
        _touch(explanation, by, version.written_at)
    return version


def explanation_respond(*, version: ExplanationVersion, by: User, fit: str, words: str = "") -> FitResponse:
    """The patient says how the explanation fits their experience. "Partly" and "doesn't fit" go on the agenda."""
    explanation = version.explanation
    _require_patient(by, explanation.patient)
    _require_live(explanation)
    if fit not in Fit.values:
        raise ValidationError({"fit": "Please choose how well this fits your experience."})
    required = None if fit == Fit.FITS else "Please say, in your own words, what doesn't fit. It helps us understand."
    words = clean_text(words, field="words", limit=4000, required=required)
    latest_number = explanation.versions.order_by("-number").values_list("number", flat=True).first()
    if version.number != latest_number:
        raise ValidationError("There's a newer version of this explanation. Please answer that one.")
    try:
        with transaction.atomic():
            response = FitResponse.objects.create(version=version, fit=fit, words=words, responded_by=by)
            _touch(explanation, by, response.responded_at)
            if fit != Fit.FITS:
                said = "partly fits" if fit == Fit.PARTLY else "doesn't fit"
                agenda_item_add(
                    patient=explanation.patient,
                    text=_agenda_text(f"The explanation “{explanation.title}” {said}: {words}"),
                    source=AgendaSource.EXPLANATION,
                    source_ref=f"fit:{response.pk}",
                    raised_by=by,
                )
    except IntegrityError:
        raise ValidationError("You've already answered this version. Thank you.") from None
    return response


def explanation_talked_through(*, response: FitResponse, by: User, note: str = "") -> FitResponse:
    """The clinician records that they talked it through; the patient is then asked whether they felt heard."""
    explanation = response.version.explanation
    _require_clinician(by, explanation.patient)
    if not response.is_open:
        raise ValidationError("This has already been talked through.")
    note = clean_text(note, field="note", limit=2000)
    with transaction.atomic():
        now = timezone.now()
        response.talked_through_at, response.talked_through_by, response.talked_through_note = now, by, note
        _save(response, "talked_through_at", "talked_through_by", "talked_through_note")
        _touch(explanation, by, now)
        agenda_item_settle(
            patient=explanation.patient, source=AgendaSource.EXPLANATION, source_ref=f"fit:{response.pk}"
        )
    return response


def explanation_felt_heard(*, response: FitResponse, by: User, felt_heard: str, words: str = "") -> FitResponse:
    explanation = response.version.explanation
    _require_patient(by, explanation.patient)
    if response.talked_through_at is None:
        raise ValidationError("You'll be asked this once you've talked it through together.")
    if response.felt_heard:
        raise ValidationError("You've already told us. Thank you.")
    if felt_heard not in FeltHeard.values:
        raise ValidationError({"felt_heard": "Please choose one."})
    words = clean_text(words, field="words", limit=2000)
    with transaction.atomic():
        now = timezone.now()
        response.felt_heard, response.felt_heard_words, response.felt_heard_at = felt_heard, words, now
        _save(response, "felt_heard", "felt_heard_words", "felt_heard_at")
        _touch(explanation, by, now)
    return response


# --- Options and decisions ------------------------------------------------------------------------

BALANCE_RULE = (
    "Every option needs at least one benefit and at least one downside before it can be shared, so the patient "
    "always sees both sides."
)


def decision_start(*, patient: Patient, by: User, title: str, context: str = "") -> Decision:
    _require_clinician(by, patient)
    title = clean_text(title, field="title", limit=200, required="Please say what the decision is about.")
    context = clean_text(context, field="context", limit=4000)
    return Decision.objects.create(patient=patient, created_by=by, last_activity_by=by, title=title, context=context)


def _option_fields(*, title: str, benefits: str, downsides: str, uncertainties: str) -> dict[str, str]:
    return {
        "title": clean_text(title, field="title", limit=200, required="Please name the option."),
        "benefits": clean_text(benefits, field="benefits", limit=3000),
        "downsides": clean_text(downsides, field="downsides", limit=3000),
        "uncertainties": clean_text(uncertainties, field="uncertainties", limit=3000),
    }


def option_balance_errors(*, benefits: str, downsides: str) -> dict[str, str]:
    """What an option still needs before it can be shared (empty when it is balanced)."""
    errors = {}
    if not Option.points(benefits):
        errors["benefits"] = "Add at least one benefit. " + BALANCE_RULE
    if not Option.points(downsides):
        errors["downsides"] = "Add at least one downside or risk. " + BALANCE_RULE
    return errors


def option_add(
    *, decision: Decision, by: User, title: str, benefits: str = "", downsides: str = "", uncertainties: str = ""
) -> Option:
    """Add an option. Drafts may be one-sided while the clinician works; a shared decision's options may not."""
    _require_clinician(by, decision.patient)
    _require_live(decision)
    if decision.status == DecisionStatus.DECIDED:
        raise ValidationError("This decision has been made, so its options are settled.")
    fields = _option_fields(title=title, benefits=benefits, downsides=downsides, uncertainties=uncertainties)
    shared = decision.status == DecisionStatus.SHARED
    if shared and (errors := option_balance_errors(benefits=fields["benefits"], downsides=fields["downsides"])):
        raise ValidationError(errors)
    with transaction.atomic():
        last = decision.options.order_by("-position").values_list("position", flat=True).first()
        now = timezone.now()
        option = Option.objects.create(
            decision=decision,
            patient=decision.patient,
            created_by=by,
            last_activity_by=by,
            position=(last + 1) if last is not None else 0,
            shared_at=now if shared else None,
            **fields,
        )
        _touch(decision, by, now)
    return option


def decision_share(*, decision: Decision, by: User) -> Decision:
    """Share the options with the patient. Refused, with the reasons, unless every option is balanced."""
    _require_clinician(by, decision.patient)
    _require_live(decision)
    if decision.status != DecisionStatus.DRAFT:
        raise ValidationError("These options have already been shared.")
    options = list(decision.options.filter(withdrawn_at__isnull=True))
    if len(options) < 2:
        raise ValidationError(
            "Add at least two options before sharing. Waiting, or carrying on as now, can be one of them."
        )
    one_sided = []
    for option in options:
        errors = option_balance_errors(benefits=option.benefits, downsides=option.downsides)
        if errors:
            missing = " and ".join(
                part for part, key in (("a benefit", "benefits"), ("a downside", "downsides")) if key in errors
            )
            one_sided.append(f"“{option.title}” needs {missing}.")
    if one_sided:
        raise ValidationError([*one_sided, BALANCE_RULE])
    with transaction.atomic():
        now = timezone.now()
        decision.options.filter(withdrawn_at__isnull=True).update(
            shared_at=now, last_activity_at=now, last_activity_by=by
        )
        decision.status, decision.shared_at = DecisionStatus.SHARED, now
        decision.touch(by=by, at=now)
        _save(decision, "status", "shared_at", "last_activity_at", "last_activity_by")
    return decision


def decision_preference_record(
    *, decision: Decision, by: User, what_matters: str, kind: str, option: Option | None = None
) -> Decision:
    """The patient records what matters most to them and where they are: unsure, leaning, or chosen."""
    _require_patient(by, decision.patient)
    _require_live(decision)
    if decision.status == DecisionStatus.DRAFT:
        raise PermissionDenied
    if decision.status == DecisionStatus.DECIDED:
        raise ValidationError("You've already made this decision.")
    what_matters = clean_text(what_matters, field="what_matters", limit=2000)
    if kind not in PreferenceKind.values:
        raise ValidationError({"kind": "Please choose where you are with this decision."})
    if kind != PreferenceKind.UNSURE:
        if option is None:
            raise ValidationError({"option": "Please choose the option."})
        if option.decision_id != decision.pk or option.withdrawn_at is not None or option.shared_at is None:
            raise ValidationError({"option": "Please choose one of the options shown."})
    else:
        option = None
    with transaction.atomic():
        now = timezone.now()
        decision.what_matters, decision.preference_kind, decision.preferred_option = what_matters, kind, option
        decision.preference_at = now
        if kind == PreferenceKind.CHOSEN:
            decision.status, decision.decided_at = DecisionStatus.DECIDED, now
        decision.touch(by=by, at=now)
        _save(
            decision,
            "what_matters",
            "preference_kind",
            "preferred_option",
            "preference_at",
            "status",
            "decided_at",
            "last_activity_at",
            "last_activity_by",
        )
        if kind == PreferenceKind.UNSURE:
            agenda_item_add(
                patient=decision.patient,
                text=_agenda_text(f"Talk through the options: {decision.title}"),
                source=AgendaSource.DECISION,
                source_ref=f"decision:{decision.pk}",
                raised_by=by,
            )
    return decision


CHECK_QUESTIONS = {
    "had_a_say": "Did you feel you had a real say in this decision?",
    "understood_options": "Did you understand the options well enough to choose between them?",
    "told_downsides": "Were you told about the downsides as well as the benefits?",
}
CHECK_SCALE = [(0, "Not at all"), (1, "A little"), (2, "Somewhat"), (3, "Mostly"), (4, "Completely")]


def decision_check_submit(
    *, decision: Decision, by: User, had_a_say, understood_options, told_downsides, comment: str = ""
) -> DecisionCheck:
    """The three-question check after a decision. A low answer raises an alert on the caseload."""
    _require_patient(by, decision.patient)
    if decision.status != DecisionStatus.DECIDED:
        raise ValidationError("This check comes after you've made your choice.")
    answers, errors = {}, {}
    for key, value in (
        ("had_a_say", had_a_say),
        ("understood_options", understood_options),
        ("told_downsides", told_downsides),
    ):
        try:
            answers[key] = int(value)
        except (TypeError, ValueError):
            answers[key] = None
        if answers[key] is None or not 0 <= answers[key] <= 4:
            errors[key] = "Please choose an answer from “not at all” to “completely”."
    if errors:
        raise ValidationError(errors)
    comment = clean_text(comment, field="comment", limit=2000)
    try:
        with transaction.atomic():
            check = DecisionCheck.objects.create(decision=decision, comment=comment, submitted_by=by, **answers)
            _touch(decision, by, check.submitted_at)
            if check.is_low:
                labels = dict(CHECK_SCALE)
                detail = "; ".join(
                    f"{question} {labels[answers[key]].lower()} ({answers[key]}/4)"
                    for key, question in CHECK_QUESTIONS.items()
                )
                Alert.objects.create(
                    patient=decision.patient,
                    decision=decision,
                    kind=AlertKind.DECISION_CHECK,
                    detail=f"After “{decision.title}”: {detail}"[:500],
                )
    except IntegrityError:
        raise ValidationError("You've already answered these questions. Thank you.") from None
    return check


# --- Story ----------------------------------------------------------------------------------------


def story_add(*, patient: Patient, by: User, topic: str, title: str, body: str) -> StoryEntry:
    _require_patient(by, patient)
    if topic not in StoryTopic.values:
        raise ValidationError({"topic": "Please choose what this part of your story is about."})
    title = clean_text(title, field="title", limit=200)
    body = clean_text(
        body,
        field="body",
        limit=6000,
        required="Please write something. It can be as short or as long as you like.",
    )
    return StoryEntry.objects.create(
        patient=patient, created_by=by, last_activity_by=by, topic=topic, title=title, body=body
    )


def story_passage_mark(*, entry: StoryEntry, by: User, quote: str, note: str = "") -> StoryPassage:
    """A clinician picks out a passage to talk about; it goes on the next agenda."""
    _require_clinician(by, entry.patient)
    _require_live(entry)
    quote = clean_text(quote, field="quote", limit=1000, required="Please copy the words you'd like to talk about.")
    note = clean_text(note, field="note", limit=500)
    if quote not in entry.body:
        raise ValidationError(
            {"quote": "Those words aren't in this entry as written. Please copy them exactly from the entry."}
        )
    try:
        with transaction.atomic():
            passage = StoryPassage.objects.create(entry=entry, quote=quote, note=note, marked_by=by)
            _touch(entry, by, passage.marked_at)
            first_name = entry.patient.user.get_short_name()
            agenda_item_add(
                patient=entry.patient,
                text=_agenda_text(f"Let's talk about this, from {first_name}'s story: “{quote}”"),
                source=AgendaSource.STORY,
                source_ref=f"passage:{passage.pk}",
                raised_by=by,
            )
    except IntegrityError:
        raise ValidationError({"quote": "This passage is already marked."}) from None
    return passage


def story_reflect(*, entry: StoryEntry, by: User, summary: str) -> StoryReflection:
    _require_clinician(by, entry.patient)
    _require_live(entry)
    summary = clean_text(summary, field="summary", limit=2000, required="Please write what you heard, briefly.")
    with transaction.atomic():
        reflection = StoryReflection.objects.create(entry=entry, summary=summary, written_by=by)
        _touch(entry, by, reflection.written_at)
    return reflection


def story_reflection_respond(
    *, reflection: StoryReflection, by: User, confirmed: bool, correction: str = ""
) -> StoryReflection:
    entry = reflection.entry
    _require_patient(by, entry.patient)
    if reflection.response:
        raise ValidationError("You've already replied to this. Thank you.")
    required = None if confirmed else "Please say what they missed or got wrong, in your own words."
    correction = clean_text(correction, field="correction", limit=2000, required=required)
    with transaction.atomic():
        now = timezone.now()
        reflection.response = HeardResponse.CONFIRMED if confirmed else HeardResponse.CORRECTED
        reflection.correction, reflection.responded_at = correction, now
        _save(reflection, "response", "correction", "responded_at")
        _touch(entry, by, now)
    return reflection


# --- Private notes --------------------------------------------------------------------------------


def private_note_add(*, patient: Patient, by: User, body: str, section: str = "") -> PrivateNote:
    _require_clinician(by, patient)
    if section and section not in RecordSection.values:
        raise ValidationError({"section": "Unknown part of the record."})
    body = clean_text(body, field="body", limit=4000, required="Please write the note.")
    return PrivateNote.objects.create(patient=patient, created_by=by, last_activity_by=by, section=section, body=body)


# --- Editing, withdrawing and visits --------------------------------------------------------------

# kind -> (model, editable fields with their limits and "required" message)
EDITABLE: dict[str, tuple[type[RecordItem], dict[str, tuple[int, str | None]]]] = {
    "question": (Question, {"text": (2000, "Please write your question.")}),
    "goal": (Goal, {"text": (300, "Please write the goal."), "why": (1000, None)}),
    "win": (Win, {"text": (1000, "Please write what went well.")}),
    "setback": (
        Setback,
        {
            "what_happened": (2000, "Please say a little about what happened."),
            "what_was_going_on": (2000, None),
            "what_helped": (2000, None),
        },
    ),
    "story": (StoryEntry, {"title": (200, None), "body": (6000, "Please write something.")}),
    "decision": (Decision, {"title": (200, "Please say what the decision is about."), "context": (4000, None)}),
    "option": (
        Option,
        {
            "title": (200, "Please name the option."),
            "benefits": (3000, None),
            "downsides": (3000, None),
            "uncertainties": (3000, None),
        },
    ),
    "note": (PrivateNote, {"body": (4000, "Please write the note.")}),
    "explanation": (Explanation, {}),
}
KIND_OF_MODEL = {model: kind for kind, (model, _) in EDITABLE.items()}
AGENDA_SOURCE_OF_KIND = {"question": AgendaSource.QUESTION, "setback": AgendaSource.SETBACK}


def _written_by_patient(item: RecordItem) -> bool:
    return item.created_by_id == item.patient.user_id


def _side(by: User, patient: Patient, side: str | None) -> str | None:
    """ "patient", "clinician" (on the care team) or None. Views that already know pass ``side``."""
    if side is not None:
        return side
    if _is_patient(by, patient):
        return Role.PATIENT
    if _is_team_clinician(by, patient):
        return Role.CLINICIAN
    return None


def record_item_may_edit(*, item: RecordItem, by: User, side: str | None = None) -> bool:
    """The patient edits what they wrote (and their goals); the care team edits what clinicians wrote."""
    if item.withdrawn_at is not None or not EDITABLE[KIND_OF_MODEL[type(item)]][1]:
        return False
    side = _side(by, item.patient, side)
    if isinstance(item, Goal):
        return side == Role.PATIENT or (item.status == GoalStatus.PROPOSED and side == Role.CLINICIAN)
    if isinstance(item, Decision | Option) and item_is_settled(item):
        return False
    return side == (Role.PATIENT if _written_by_patient(item) else Role.CLINICIAN)


def record_item_may_withdraw(*, item: RecordItem, by: User, side: str | None = None) -> bool:
    if item.withdrawn_at is not None:
        return False
    if isinstance(item, Option) and item.decision.status != DecisionStatus.DRAFT:
        return False
    side = _side(by, item.patient, side)
    if isinstance(item, Goal) and not _written_by_patient(item) and item.status != GoalStatus.PROPOSED:
        # Once agreed, a goal is the patient's: they let it go or withdraw it, not the clinician.
        return side == Role.PATIENT
    return side == (Role.PATIENT if _written_by_patient(item) else Role.CLINICIAN)


def item_is_settled(item: Decision | Option) -> bool:
    decision = item if isinstance(item, Decision) else item.decision
    return decision.status == DecisionStatus.DECIDED


def _revise(item: RecordItem, by: User, changes: dict[str, str]) -> RecordRevision | None:
    previous = {field: getattr(item, field) for field in changes if getattr(item, field) != changes[field]}
    if not previous:
        return None
    revision = RecordRevision.objects.create(
        patient=item.patient, item_kind=KIND_OF_MODEL[type(item)], item_id=item.pk, previous=previous, edited_by=by
    )
    for field, value in changes.items():
        setattr(item, field, value)
    item.edited_at = revision.edited_at
    item.touch(by=by, at=revision.edited_at)
    _save(item, *previous, "edited_at", "last_activity_at", "last_activity_by")
    return revision


def record_item_edit(*, item: RecordItem, by: User, changes: dict[str, str]) -> RecordRevision | None:
    """Change an item's wording; the earlier wording is kept. Returns the revision (None if nothing changed)."""
    _require_either(by, item.patient)
    _require_live(item)
    if not record_item_may_edit(item=item, by=by):
        raise PermissionDenied
    fields = EDITABLE[KIND_OF_MODEL[type(item)]][1]
    cleaned = {
        field: clean_text(changes.get(field, getattr(item, field)), field=field, limit=limit, required=required)
        for field, (limit, required) in fields.items()
    }
    if isinstance(item, Option) and item.shared_at is not None:
        errors = option_balance_errors(benefits=cleaned["benefits"], downsides=cleaned["downsides"])
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        revision = _revise(item, by, cleaned)
        if revision is not None and isinstance(item, Option):
            _touch(item.decision, by, revision.edited_at)
    return revision


def record_item_withdraw(*, item: RecordItem, by: User) -> RecordItem:
    """Hide an item from the patient's view. It stays in the record, marked, for the care team."""
    _require_either(by, item.patient)
    if item.withdrawn_at is not None:
        return item
    if not record_item_may_withdraw(item=item, by=by):
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        item.withdrawn_at, item.withdrawn_by = now, by
        item.touch(by=by, at=now)
        _save(item, "withdrawn_at", "withdrawn_by", "last_activity_at", "last_activity_by")
        kind = KIND_OF_MODEL[type(item)]
        if kind in AGENDA_SOURCE_OF_KIND:
            agenda_item_retract(
                patient=item.patient, source=AGENDA_SOURCE_OF_KIND[kind], source_ref=f"{kind}:{item.pk}"
            )
    return item


def record_visit_mark(*, user: User, patient: Patient, section: str) -> datetime | None:
    """Note that ``user`` is looking at this part of the record now; returns when they last looked (or None)."""
    now = timezone.now()
    visit, created = RecordVisit.objects.get_or_create(
        user=user, patient=patient, section=section, defaults={"seen_at": now}
    )
    if created:
        return None
    previous = visit.seen_at
    RecordVisit.objects.filter(pk=visit.pk).update(seen_at=now)
    return previous

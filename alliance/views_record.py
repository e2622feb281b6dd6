"""Pages of the shared record. Both sides use the same pages; what each sees comes from the selectors.

Every view first fetches the patient through ``record_patient_get`` (404 for someone else's
patient, 403 for a role that may not do this), then the item through a selector scoped to that
patient, then calls one service. A service's ``ValidationError`` comes back next to the field,
with everything typed kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance import selectors_record as sel
from alliance.forms_record import (
    AcknowledgeForm,
    AnswerForm,
    DecisionCheckForm,
    DecisionForm,
    EditForm,
    ExplanationForm,
    FeedbackForm,
    FeltHeardForm,
    FitForm,
    GoalAcceptForm,
    GoalForm,
    GoalRateForm,
    GoalStatusForm,
    OptionForm,
    PassageForm,
    PreferenceForm,
    PrivateNoteForm,
    QuestionForm,
    ReflectForm,
    ReflectionRespondForm,
    ReviseForm,
    SetbackForm,
    StoryForm,
    TalkedForm,
    WinForm,
)
from alliance.models import DecisionStatus, GoalStatus, PreferenceKind, QuestionStatus, RecordSection, Win
from alliance.services import record as svc
from alliance.services.record import BALANCE_RULE, EDITABLE
from patients.decorators import clinic_admin_required
from patients.forms import apply_errors
from patients.models import Role

PATIENT_ONLY = (Role.PATIENT,)
CLINICIAN_ONLY = (Role.CLINICIAN,)
KIND_SECTION = {
    "question": RecordSection.QUESTIONS,
    "goal": RecordSection.GOALS,
    "win": RecordSection.JOURNAL,
    "setback": RecordSection.JOURNAL,
    "explanation": RecordSection.EXPLANATIONS,
    "decision": RecordSection.DECISIONS,
    "option": RecordSection.DECISIONS,
    "story": RecordSection.STORY,
    "note": "",
}


def _page(request, template: str, patient, section: str, **context):
    user = request.user
    notes = (
        _perms(list(sel.private_notes_for(user=user, patient=patient, section=section)), user, patient)
        if section
        else None
    )
    context.update(
        patient=patient,
        section=section,
        sections=RecordSection,
        is_own_record=user.role == Role.PATIENT,
        private_notes=notes,
        note_form=context.get("note_form") or PrivateNoteForm(initial={"section": section}),
    )
    return render(request, template, context)


def _seen(request, patient, section: str):
    """When this person last looked at this part of the record; looking now moves the line."""
    if request.method != "GET":
        return sel.record_visits(user=request.user, patient=patient).get(section)
    return svc.record_visit_mark(user=request.user, patient=patient, section=section)


def _perms(items, user, patient):
    """Whether ``user`` may edit or withdraw each item, for the links next to it."""
    # Only the patient themself and their care team reach a record page, so the role is the side.
    for item in items:
        item.patient = patient  # already fetched; saves a query per item
        item.may_edit = svc.record_item_may_edit(item=item, by=user, side=user.role)
        item.may_withdraw = svc.record_item_may_withdraw(item=item, by=user, side=user.role)
    return items


def _done(request, text: str, url: str):
    messages.success(request, text)
    return redirect(url)


def _url(name: str, patient, *args) -> str:
    return reverse(f"alliance:{name}", args=[patient.pk, *args])


# --- The hub ---------------------------------------------------------------------------------------


@require_GET
def record_home(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=(*sel.READERS, Role.CLINIC_ADMIN))
    if request.user.role == Role.CLINIC_ADMIN:
        counts = sel.record_counts_annotate(type(patient).objects.filter(pk=patient.pk)).get()
        return render(request, "alliance/record/counts.html", {"patient": patient, "counts": counts})
    context = {
        "new_counts": sel.record_new_counts(user=request.user, patient=patient),
        "counts": sel.record_counts_annotate(type(patient).objects.filter(pk=patient.pk)).get(),
        "all_notes": _perms(list(sel.private_notes_for(user=request.user, patient=patient)), request.user, patient),
    }
    return _page(request, "alliance/record/home.html", patient, "", **context)


@clinic_admin_required
@require_GET
def record_overview(request):
    return render(request, "alliance/record/overview.html", {"rows": sel.record_counts_for_admin(user=request.user)})


@require_POST
def note_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = PrivateNoteForm(request.POST)
    section = request.POST.get("section", "")
    back = _url(f"record-{section}", patient) if section in RecordSection.values else _url("record", patient)
    if form.is_valid():
        try:
            svc.private_note_add(patient=patient, by=request.user, body=form.cleaned_data["body"], section=section)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Your private note is saved. Only the care team can see it.", back)
    # The note could come from any page; its own small page keeps what was typed, next to the message.
    return _page(request, "alliance/record/note_form.html", patient, "", form=form, back=back)


# --- Questions -------------------------------------------------------------------------------------


@require_GET
def questions(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = _seen(request, patient, RecordSection.QUESTIONS)
    items = sel.mark_new(list(sel.questions_for(user=request.user, patient=patient)), user=request.user, since=since)
    open_items = [q for q in items if q.is_open and not q.is_withdrawn]
    other = [q for q in items if q not in open_items]
    return _page(
        request, "alliance/record/questions.html", patient, RecordSection.QUESTIONS, open_items=open_items, other=other
    )


@require_http_methods(["GET", "POST"])
def question_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    form = QuestionForm(request.POST or None, initial={"route": "next_session"})
    if request.method == "POST" and form.is_valid():
        try:
            question = svc.question_ask(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = (
                "Thank you. Your question is on the agenda for your next appointment."
                if question.route == "next_session"
                else "Thank you. Your clinician will answer it in writing."
            )
            return _done(request, text, _url("record-question", patient, question.pk))
    return _page(request, "alliance/record/question_new.html", patient, RecordSection.QUESTIONS, form=form)


def _question_page(request, patient, question, **forms):
    _perms([question], request.user, patient)
    is_clinician = request.user.role == Role.CLINICIAN
    context = {
        "question": question,
        "answer_form": forms.get("answer_form") or (AnswerForm() if is_clinician else None),
        "feedback_form": forms.get("feedback_form")
        or (FeedbackForm() if not is_clinician and question.status == QuestionStatus.ANSWERED else None),
    }
    return _page(request, "alliance/record/question.html", patient, RecordSection.QUESTIONS, **context)


@require_GET
def question_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    return _question_page(request, patient, question)


@require_POST
def question_answer(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            svc.question_answer(question=question, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Your answer is shared.", _url("record-question", patient, question.pk))
    return _question_page(request, patient, question, answer_form=form)


@require_POST
def question_feedback(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    question = sel.question_get(user=request.user, patient=patient, pk=item)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.question_feedback(
                question=question,
                by=request.user,
                helped=data["outcome"] == "helped",
                words=data["words"],
                raise_next_session=data["raise_next_session"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = (
                "Thank you for letting us know."
                if data["outcome"] == "helped"
                else "Thank you for saying so. The question stays open, and your clinician will come back to it."
            )
            return _done(request, text, _url("record-question", patient, question.pk))
    return _question_page(request, patient, question, feedback_form=form)


# --- Goals -----------------------------------------------------------------------------------------


@require_GET
def goals(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = _seen(request, patient, RecordSection.GOALS)
    items = sel.mark_new(list(sel.goals_for(user=request.user, patient=patient)), user=request.user, since=since)
    for goal in items:
        goal.trend = sel.goal_trend(goal)
    groups = [(status, [g for g in items if g.status == status and not g.is_withdrawn]) for status in sel.GOAL_ORDER]
    withdrawn = [g for g in items if g.is_withdrawn]
    return _page(
        request,
        "alliance/record/goals.html",
        patient,
        RecordSection.GOALS,
        groups=groups,
        withdrawn=withdrawn,
        has_goals=bool(items),
    )


@require_http_methods(["GET", "POST"])
def goal_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    is_clinician = request.user.role == Role.CLINICIAN
    form = GoalForm(request.POST or None, for_clinician=is_clinician)
    if request.method == "POST" and form.is_valid():
        try:
            goal = svc.goal_add(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = (
                f"Your suggestion is shared. {patient.user.get_short_name()} can take it on or reword it."
                if is_clinician
                else "Your goal is saved."
            )
            return _done(request, text, _url("record-goal", patient, goal.pk))
    return _page(request, "alliance/record/goal_new.html", patient, RecordSection.GOALS, form=form)


def _goal_page(request, patient, goal, **forms):
    goal.trend = sel.goal_trend(goal)
    _perms([goal], request.user, patient)
    live = goal.status == GoalStatus.ACTIVE and not goal.is_withdrawn
    context = {
        "goal": goal,
        "accept_form": forms.get("accept_form")
        or (
            GoalAcceptForm(initial={"text": goal.text})
            if goal.status == GoalStatus.PROPOSED and request.user.role == Role.PATIENT
            else None
        ),
        "rate_form": forms.get("rate_form") or (GoalRateForm(goal=goal) if live else None),
        "status_form": forms.get("status_form")
        or (GoalStatusForm(goal=goal) if not goal.is_withdrawn and goal.status != GoalStatus.PROPOSED else None),
        "may_edit": svc.record_item_may_edit(item=goal, by=request.user, side=request.user.role),
    }
    return _page(request, "alliance/record/goal.html", patient, RecordSection.GOALS, **context)


@require_GET
def goal_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _goal_page(request, patient, sel.goal_get(user=request.user, patient=patient, pk=item))


@require_POST
def goal_accept(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalAcceptForm(request.POST)
    if form.is_valid():
        try:
            svc.goal_accept(goal=goal, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "This goal is yours now.", _url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, accept_form=form)


@require_POST
def goal_rate(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalRateForm(request.POST, goal=goal)
    if form.is_valid():
        try:
            svc.goal_rate(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Progress noted.", _url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, rate_form=form)


@require_POST
def goal_status(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalStatusForm(request.POST, goal=goal)
    if form.is_valid():
        try:
            svc.goal_status_set(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            texts = {
                GoalStatus.ACHIEVED: "Achieved. That's worth celebrating.",
                GoalStatus.PAUSED: "Paused. It'll be here when you want to pick it up.",
                GoalStatus.LET_GO: "Let go. Choosing what to put down is part of the work too.",
                GoalStatus.ACTIVE: "Back to working on it.",
            }
            return _done(request, texts[goal.status], _url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, status_form=form)


# --- Wins and setbacks -----------------------------------------------------------------------------


def _journal_page(request, patient, since, *, bound_win=None, bound_form=None):
    items = _perms(
        sel.mark_new(sel.journal_for(user=request.user, patient=patient), user=request.user, since=since),
        request.user,
        patient,
    )
    if request.user.role == Role.CLINICIAN:
        for item in items:
            if isinstance(item, Win) and item.acknowledged_at is None and item.created_by_id == patient.user_id:
                item.ack_form = bound_form if bound_win == item.pk else AcknowledgeForm(prefix=f"win{item.pk}")
    return _page(request, "alliance/record/journal.html", patient, RecordSection.JOURNAL, items=items)


@require_GET
def journal(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _journal_page(request, patient, _seen(request, patient, RecordSection.JOURNAL))


@require_http_methods(["GET", "POST"])
def win_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    form = WinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.win_log(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Your win is in the journal. Well done.", _url("record-journal", patient))
    return _page(request, "alliance/record/win_new.html", patient, RecordSection.JOURNAL, form=form)


@require_http_methods(["GET", "POST"])
def setback_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    form = SetbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            setback = svc.setback_log(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = "Thank you for writing this down. Setbacks are part of living with pain, not a failure."
            if setback.on_agenda_at:
                text += " It's on the agenda for the next appointment."
            return _done(request, text, _url("record-journal", patient))
    return _page(request, "alliance/record/setback_new.html", patient, RecordSection.JOURNAL, form=form)


@require_POST
def win_acknowledge(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    win = sel.win_get(user=request.user, patient=patient, pk=item)
    form = AcknowledgeForm(request.POST, prefix=f"win{win.pk}")
    if form.is_valid():
        try:
            svc.win_acknowledge(win=win, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Your reply is shared.", _url("record-journal", patient) + f"#win-{win.pk}")
    since = sel.record_visits(user=request.user, patient=patient).get(RecordSection.JOURNAL)
    return _journal_page(request, patient, since, bound_win=win.pk, bound_form=form)


@require_POST
def setback_agenda(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    setback = sel.setback_get(user=request.user, patient=patient, pk=item)
    try:
        svc.setback_add_to_agenda(setback=setback, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_url("record-journal", patient))
    return _done(request, "It's on the agenda for the next appointment.", _url("record-journal", patient))


# --- Explanations ----------------------------------------------------------------------------------


@require_GET
def explanations(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = _seen(request, patient, RecordSection.EXPLANATIONS)
    items = sel.mark_new(list(sel.explanations_for(user=request.user, patient=patient)), user=request.user, since=since)
    return _page(request, "alliance/record/explanations.html", patient, RecordSection.EXPLANATIONS, items=items)


@require_http_methods(["GET", "POST"])
def explanation_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = ExplanationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            explanation = svc.explanation_write(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"Shared. {patient.user.get_short_name()} will be asked whether it fits their experience."
            return _done(request, text, _url("record-explanation", patient, explanation.pk))
    return _page(request, "alliance/record/explanation_form.html", patient, RecordSection.EXPLANATIONS, form=form)


def _explanation_page(request, patient, explanation, **forms):
    versions = list(explanation.versions.all())
    latest = versions[0] if versions else None
    is_patient = request.user.role == Role.PATIENT
    response = getattr(latest, "response", None) if latest else None
    context = {
        "explanation": explanation,
        "latest": latest,
        "earlier": versions[1:],
        "fit_form": forms.get("fit_form")
        or (FitForm() if is_patient and latest and response is None and not explanation.is_withdrawn else None),
        "talked_form": forms.get("talked_form") or TalkedForm(),
        "heard_form": forms.get("heard_form") or FeltHeardForm(),
        "bound_response": forms.get("response_pk"),
    }
    return _page(request, "alliance/record/explanation.html", patient, RecordSection.EXPLANATIONS, **context)


@require_GET
def explanation_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _explanation_page(request, patient, sel.explanation_get(user=request.user, patient=patient, pk=item))


@require_http_methods(["GET", "POST"])
def explanation_revise(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    latest = explanation.versions.all()[0]
    form = ReviseForm(request.POST or None, initial={"body": latest.body})
    if request.method == "POST" and form.is_valid():
        try:
            svc.explanation_revise(explanation=explanation, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "The new version is shared.", _url("record-explanation", patient, explanation.pk))
    return _page(
        request,
        "alliance/record/explanation_form.html",
        patient,
        RecordSection.EXPLANATIONS,
        form=form,
        explanation=explanation,
    )


@require_POST
def explanation_respond(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    form = FitForm(request.POST)
    if form.is_valid():
        try:
            svc.explanation_respond(version=explanation.versions.all()[0], by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = (
                "Thank you. It's good to know it fits."
                if form.cleaned_data["fit"] == "fits"
                else "Thank you for saying so. It's on the agenda, so you can talk it through together."
            )
            return _done(request, text, _url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, fit_form=form)


@require_POST
def explanation_talked(request, pk, item, response):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    fit_response = sel.fit_response_get(explanation=explanation, pk=response)
    form = TalkedForm(request.POST)
    if form.is_valid():
        try:
            svc.explanation_talked_through(response=fit_response, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"Recorded. {patient.user.get_short_name()} will be asked whether they felt heard."
            return _done(request, text, _url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, talked_form=form, response_pk=fit_response.pk)


@require_POST
def explanation_heard(request, pk, item, response):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    fit_response = sel.fit_response_get(explanation=explanation, pk=response)
    form = FeltHeardForm(request.POST)
    if form.is_valid():
        try:
            svc.explanation_felt_heard(response=fit_response, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Thank you for telling us.", _url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, heard_form=form, response_pk=fit_response.pk)


# --- Options and decisions -------------------------------------------------------------------------


@require_GET
def decisions(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = _seen(request, patient, RecordSection.DECISIONS)
    items = sel.mark_new(list(sel.decisions_for(user=request.user, patient=patient)), user=request.user, since=since)
    return _page(request, "alliance/record/decisions.html", patient, RecordSection.DECISIONS, items=items)


@require_http_methods(["GET", "POST"])
def decision_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = svc.decision_start(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = "Now add the options. The patient sees nothing until you share them."
            return _done(request, text, _url("record-decision", patient, decision.pk))
    return _page(request, "alliance/record/decision_new.html", patient, RecordSection.DECISIONS, form=form)


def _decision_page(request, patient, decision, *, status=200, share_errors=None, **forms):
    options = [o for o in decision.options.all() if not o.is_withdrawn or request.user.role == Role.CLINICIAN]
    live = _perms([o for o in options if not o.is_withdrawn], request.user, patient)
    _perms([decision], request.user, patient)
    is_patient = request.user.role == Role.PATIENT
    for option in live:
        option.balance_missing = svc.option_balance_errors(benefits=option.benefits, downsides=option.downsides)
    check = getattr(decision, "after_check", None)
    context = {
        "decision": decision,
        "options": options,
        "share_errors": share_errors,
        "balance_rule": BALANCE_RULE,
        "preference_form": forms.get("preference_form")
        or (
            PreferenceForm(
                options=live,
                initial={
                    "what_matters": decision.what_matters,
                    "kind": decision.preference_kind or None,
                    "option": decision.preferred_option_id,
                },
            )
            if is_patient and decision.status == DecisionStatus.SHARED
            else None
        ),
        "check_form": forms.get("check_form")
        or (DecisionCheckForm() if is_patient and decision.status == DecisionStatus.DECIDED and not check else None),
        "check": check,
        "check_rows": _check_rows(check),
        "may_edit": svc.record_item_may_edit(item=decision, by=request.user, side=request.user.role),
    }
    return _page(request, "alliance/record/decision.html", patient, RecordSection.DECISIONS, **context)


def _check_rows(check):
    if check is None:
        return []
    labels = dict(svc.CHECK_SCALE)
    return [(q, check.answers[key], labels[check.answers[key]]) for key, q in svc.CHECK_QUESTIONS.items()]


@require_GET
def decision_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _decision_page(request, patient, sel.decision_get(user=request.user, patient=patient, pk=item))


@require_http_methods(["GET", "POST"])
def option_new(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    form = OptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            option = svc.option_add(decision=decision, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"“{option.title}” is added."
            missing = svc.option_balance_errors(benefits=option.benefits, downsides=option.downsides)
            if missing:
                text += " It still needs " + " and ".join(
                    p for p, k in (("a benefit", "benefits"), ("a downside", "downsides")) if k in missing
                )
                text += " before the options can be shared."
            return _done(request, text, _url("record-decision", patient, decision.pk))
    return _page(
        request,
        "alliance/record/option_new.html",
        patient,
        RecordSection.DECISIONS,
        form=form,
        decision=decision,
        balance_rule=BALANCE_RULE,
    )


@require_POST
def decision_share(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    try:
        svc.decision_share(decision=decision, by=request.user)
    except ValidationError as error:
        return _decision_page(request, patient, decision, share_errors=error.messages)
    text = f"The options are shared with {patient.user.get_short_name()}."
    return _done(request, text, _url("record-decision", patient, decision.pk))


@require_POST
def decision_preference(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    if decision.status != DecisionStatus.SHARED:
        messages.info(request, "This decision has already been made.")
        return redirect(_url("record-decision", patient, decision.pk))
    live = [o for o in decision.options.all() if not o.is_withdrawn]
    form = PreferenceForm(request.POST, options=live)
    if form.is_valid():
        try:
            svc.decision_preference_record(decision=decision, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            kind = form.cleaned_data["kind"]
            texts = {
                PreferenceKind.UNSURE: "Thank you. It's on the agenda so you can talk it through together.",
                PreferenceKind.LEANING: "Thank you. Your clinician can see where you're leaning.",
                PreferenceKind.CHOSEN: "Thank you. Your choice is recorded. Three short questions follow.",
            }
            return _done(request, texts[kind], _url("record-decision", patient, decision.pk))
    return _decision_page(request, patient, decision, preference_form=form)


@require_POST
def decision_check(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    form = DecisionCheckForm(request.POST)
    if form.is_valid():
        try:
            check = svc.decision_check_submit(decision=decision, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = "Thank you for answering."
            if check.is_low:
                text += " Thank you for being honest, too. Your clinician will talk this through with you."
            return _done(request, text, _url("record-decision", patient, decision.pk))
    return _decision_page(request, patient, decision, check_form=form)


# --- Story -----------------------------------------------------------------------------------------


@require_GET
def story(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = _seen(request, patient, RecordSection.STORY)
    items = sel.mark_new(list(sel.story_for(user=request.user, patient=patient)), user=request.user, since=since)
    return _page(request, "alliance/record/story.html", patient, RecordSection.STORY, items=items)


@require_http_methods(["GET", "POST"])
def story_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    form = StoryForm(request.POST or None, initial={"topic": "history"})
    if request.method == "POST" and form.is_valid():
        try:
            entry = svc.story_add(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Thank you for sharing this.", _url("record-story-entry", patient, entry.pk))
    return _page(request, "alliance/record/story_new.html", patient, RecordSection.STORY, form=form)


def _story_page(request, patient, entry, **forms):
    is_clinician = request.user.role == Role.CLINICIAN
    reflections = list(entry.reflections.all())
    for reflection in reflections:
        if not is_clinician and not reflection.response:
            bound = forms.get("reflection_pk") == reflection.pk
            reflection.respond_form = forms["respond_form"] if bound else ReflectionRespondForm()
    context = {
        "entry": entry,
        "segments": sel.story_segments(entry),
        "reflections": reflections,
        "passage_form": forms.get("passage_form") or (PassageForm() if is_clinician else None),
        "reflect_form": forms.get("reflect_form") or (ReflectForm() if is_clinician else None),
        "may_edit": svc.record_item_may_edit(item=entry, by=request.user, side=request.user.role),
    }
    return _page(request, "alliance/record/story_entry.html", patient, RecordSection.STORY, **context)


@require_GET
def story_entry(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _story_page(request, patient, sel.story_entry_get(user=request.user, patient=patient, pk=item))


@require_POST
def story_passage(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=item)
    form = PassageForm(request.POST)
    if form.is_valid():
        try:
            svc.story_passage_mark(entry=entry, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, "Marked. It's on the next agenda.", _url("record-story-entry", patient, entry.pk))
    return _story_page(request, patient, entry, passage_form=form)


@require_POST
def story_reflect(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=item)
    form = ReflectForm(request.POST)
    if form.is_valid():
        try:
            svc.story_reflect(entry=entry, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"Shared. {patient.user.get_short_name()} can confirm it or correct it."
            return _done(request, text, _url("record-story-entry", patient, entry.pk))
    return _story_page(request, patient, entry, reflect_form=form)


@require_POST
def story_reflection_respond(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    reflection = sel.story_reflection_get(user=request.user, patient=patient, pk=item)
    form = ReflectionRespondForm(request.POST)
    if form.is_valid():
        confirmed = form.cleaned_data["response"] == "confirmed"
        try:
            svc.story_reflection_respond(
                reflection=reflection, by=request.user, confirmed=confirmed, correction=form.cleaned_data["correction"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = "Thank you." if confirmed else "Thank you for putting it right. Your clinician will see it."
            return _done(request, text, _url("record-story-entry", patient, reflection.entry_id))
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=reflection.entry_id)
    return _story_page(request, patient, entry, respond_form=form, reflection_pk=reflection.pk)


# --- Edit, withdraw, history -----------------------------------------------------------------------


def _item(request, pk, kind, item):
    if kind not in EDITABLE:
        raise Http404("Unknown kind.")
    patient = sel.record_patient_get(user=request.user, pk=pk)
    record_item = sel.record_item_get(user=request.user, patient=patient, model=EDITABLE[kind][0], pk=item)
    return patient, record_item


def _item_url(patient, kind: str, item) -> str:
    names = {
        "question": "record-question",
        "goal": "record-goal",
        "explanation": "record-explanation",
        "decision": "record-decision",
        "story": "record-story-entry",
    }
    if kind in names:
        return _url(names[kind], patient, item.pk)
    if kind == "option":
        return _url("record-decision", patient, item.decision_id)
    if kind in ("win", "setback"):
        return _url("record-journal", patient) + f"#{kind}-{item.pk}"
    return _url("record", patient)


@require_http_methods(["GET", "POST"])
def item_edit(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    if not svc.record_item_may_edit(item=record_item, by=request.user):
        messages.info(request, "This can't be changed now.")
        return redirect(_item_url(patient, kind, record_item))
    fields = EDITABLE[kind][1]
    form = EditForm(request.POST or None, kind=kind, initial={f: getattr(record_item, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            revision = svc.record_item_edit(item=record_item, by=request.user, changes=form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = "Saved. The earlier wording is kept in the history." if revision else "Nothing changed."
            return _done(request, text, _item_url(patient, kind, record_item))
    context = {"form": form, "item": record_item, "kind": kind, "back": _item_url(patient, kind, record_item)}
    return _page(request, "alliance/record/item_edit.html", patient, KIND_SECTION[kind], **context)


@require_http_methods(["GET", "POST"])
def item_withdraw(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    back = _item_url(patient, kind, record_item)
    if not svc.record_item_may_withdraw(item=record_item, by=request.user):
        messages.info(request, "This can't be withdrawn.")
        return redirect(back)
    if request.method == "POST":
        svc.record_item_withdraw(item=record_item, by=request.user)
        text = (
            "Withdrawn. It no longer shows in your record."
            if request.user.role == Role.PATIENT
            else "Withdrawn. The patient no longer sees it; it's kept, marked, for the care team."
        )
        landing = {"option": back, "note": _url("record", patient)}.get(kind) or _url(
            f"record-{KIND_SECTION[kind]}", patient
        )
        return _done(request, text, landing)
    context = {"item": record_item, "kind": kind, "back": back}
    return _page(request, "alliance/record/item_withdraw.html", patient, KIND_SECTION[kind], **context)


@require_GET
def item_history(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    revisions = sel.record_history(item=record_item, kind=kind)
    context = {
        "item": record_item,
        "kind": kind,
        "revisions": revisions,
        "labels": {field: field.replace("_", " ").capitalize() for field in EDITABLE[kind][1]},
        "back": _item_url(patient, kind, record_item),
    }
    return _page(request, "alliance/record/item_history.html", patient, KIND_SECTION[kind], **context)

"""Goals: the list, adding, accepting a suggestion, rating progress and changing status."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    GoalAcceptForm,
    GoalForm,
    GoalRateForm,
    GoalStatusForm,
)
from alliance.models import GoalStatus, RecordSection
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import PATIENT_ONLY, done, record_page, record_url, seen_since, with_permissions
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def goals(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = seen_since(request, patient, RecordSection.GOALS)
    items = sel.mark_new(list(sel.goals_for(user=request.user, patient=patient)), user=request.user, since=since)
    for goal in items:
        goal.trend = sel.goal_trend(goal)
    groups = [(status, [g for g in items if g.status == status and not g.is_withdrawn]) for status in sel.GOAL_ORDER]
    withdrawn = [g for g in items if g.is_withdrawn]
    return record_page(
        request,
        "alliance/record/goals.html",
        patient,
        RecordSection.GOALS,
        groups=groups,
        withdrawn=withdrawn,
        has_goals=bool(items),
    )


@resume_form(lambda request, **kwargs: GoalForm(for_clinician=request.user.role == Role.CLINICIAN))
@require_http_methods(["GET", "POST"])
def goal_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    is_clinician = request.user.role == Role.CLINICIAN
    form = GoalForm(request.POST or None, for_clinician=is_clinician)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.goal_add(patient=patient, by=request.user, **data))
    ):
        goal = saved.value
        text = (
            _("Your suggestion is shared. %(name)s can take it on or reword it.")
            % {"name": patient.user.get_short_name()}
            if is_clinician
            else _("Your goal is saved.")
        )
        return done(request, text, record_url("record-goal", patient, goal.pk))
    return record_page(request, "alliance/record/goal_new.html", patient, RecordSection.GOALS, form=form)


def _goal_page(request, patient, goal, **forms):
    goal.trend = sel.goal_trend(goal)
    with_permissions([goal], request.user, patient)
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
    return record_page(request, "alliance/record/goal.html", patient, RecordSection.GOALS, **context)


@require_GET
def goal_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _goal_page(request, patient, sel.goal_get(user=request.user, patient=patient, pk=item))


@resume_form(lambda request, **kwargs: GoalAcceptForm())
@require_POST
def goal_accept(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalAcceptForm(request.POST)
    if form_save(form, lambda data: svc.goal_accept(goal=goal, by=request.user, text=data["text"])):
        return done(request, _("This goal is yours now."), record_url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, accept_form=form)


@require_POST
def goal_rate(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalRateForm(request.POST, goal=goal)
    if form_save(form, lambda data: svc.goal_rate(goal=goal, by=request.user, **data)):
        return done(request, _("Progress noted."), record_url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, rate_form=form)


@require_POST
def goal_status(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    goal = sel.goal_get(user=request.user, patient=patient, pk=item)
    form = GoalStatusForm(request.POST, goal=goal)
    if form_save(form, lambda data: svc.goal_status_set(goal=goal, by=request.user, **data)):
        texts = {
            GoalStatus.ACHIEVED: _("Achieved. That's worth celebrating."),
            GoalStatus.PAUSED: _("Paused. It'll be here when you want to pick it up."),
            GoalStatus.LET_GO: _("Let go. Choosing what to put down is part of the work too."),
            GoalStatus.ACTIVE: _("Back to working on it."),
        }
        return done(request, texts[goal.status], record_url("record-goal", patient, goal.pk))
    return _goal_page(request, patient, goal, status_form=form)

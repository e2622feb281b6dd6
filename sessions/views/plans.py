"""Home plans: the patient rates and logs; the clinician revises and sees practice beside trust."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from patients.forms import changed_meanwhile, form_save, form_status
from patients.models import Role
from patients.redirects import safe_local_url
from patients.selectors import patient_get
from sessions import selectors, services
from sessions.forms import PlanItemForm, PracticeLogForm, WorthRatingForm
from sessions.models import PracticeOutcome
from sessions.services.plans import patient_today
from sessions.views.access import PARTNERS, allow


def _plan_page(request, patient, *, add_form=None, rating_forms=None, status=200):
    plan, items = selectors.home_plan_items(patient=patient, today=patient_today(patient=patient))
    rating_forms = rating_forms or {}
    for item in items:
        item.rating_form = rating_forms.get(item.pk) or WorthRatingForm(
            prefix=f"rate-{item.pk}", initial={"score": str(item.worth) if item.worth is not None else None}
        )
    context = {
        "patient": patient,
        "plan": plan,
        "items": items,
        "add_form": add_form or PlanItemForm(),
        "notes": selectors.practice_notes_recent(patient=patient) if request.user.role == Role.CLINICIAN else [],
        "window_days": selectors.ADHERENCE_DAYS,
    }
    return render(request, "care_sessions/plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
def plan(request, pk):
    patient = patient_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    add_form = None
    if request.method == "POST":
        if request.user.role != Role.CLINICIAN:
            raise PermissionDenied
        add_form = PlanItemForm(request.POST)
        if form_save(add_form, lambda data: services.plan_item_add(by=request.user, patient=patient, data=data)):
            messages.success(request, _("Added to %(name)s's home plan.") % {"name": patient.user.get_short_name()})
            return redirect("care_sessions:plan", pk=patient.pk)
    return _plan_page(request, patient, add_form=add_form, status=form_status(add_form))


def plan_versions(request, pk):
    patient = patient_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    return render(
        request,
        "care_sessions/plan_versions.html",
        {"patient": patient, "versions": selectors.home_plan_versions(patient=patient)},
    )


@require_http_methods(["GET", "POST"])
def plan_item_edit(request, pk):
    item = selectors.plan_item_get(user=request.user, pk=pk)
    allow(request, Role.CLINICIAN)
    patient = item.plan.patient
    current = services.home_plan_current(patient=patient)
    newer = current is None or current.pk != item.plan_id
    if newer and request.method != "POST":
        messages.info(request, _("That was an earlier version of the plan. Here is the current one."))
        return redirect("care_sessions:plan", pk=patient.pk)
    initial = {name: getattr(item, name) for name in ("title", "description", "how_often", "link", "notes")}
    form = PlanItemForm(request.POST or None, initial=initial)
    if newer:
        # Someone saved a newer version of the plan while this was open: never overwrite it unseen.
        latest = current.items.filter(lineage=item.lineage).first() if current else None
        changed_meanwhile(
            form,
            (
                _(
                    "The plan changed while you were editing: a newer version was saved, so this was not. "
                    "Your words are kept here; the current wording of “%(title)s” is on the plan page."
                )
                % {"title": latest.title}
                if latest
                else _(
                    "The plan changed while you were editing: this item was taken out of it, so nothing was saved. "
                    "Your words are kept here to copy."
                )
            ),
        )
    elif request.method == "POST" and (
        form_save(
            form,
            lambda data: services.plan_item_change(by=request.user, patient=patient, lineage=item.lineage, data=data),
        )
    ):
        messages.success(request, _("Saved as a new version of the plan. The earlier one is kept."))
        return redirect("care_sessions:plan", pk=patient.pk)
    context = {"form": form, "item": item, "patient": patient}
    return render(request, "care_sessions/plan_item_edit.html", context, status=form_status(form))


@require_POST
def plan_item_remove(request, pk):
    item = selectors.plan_item_get(user=request.user, pk=pk)
    allow(request, Role.CLINICIAN)
    patient = item.plan.patient
    try:
        services.plan_item_remove(by=request.user, patient=patient, lineage=item.lineage)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("“%(title)s” is out of the plan. Earlier versions still show it.") % {"title": item.title}
        )
    return redirect("care_sessions:plan", pk=patient.pk)


@require_POST
def plan_item_rate(request, pk):
    item = selectors.plan_item_get(user=request.user, pk=pk)
    allow(request, Role.PATIENT)
    patient = item.plan.patient
    form = WorthRatingForm(request.POST, prefix=f"rate-{item.pk}")
    if saved := form_save(
        form, lambda data: services.worth_rating_record(by=request.user, item=item, score=data["score"])
    ):
        rating = saved.value
        messages.success(
            request,
            _("Thank you. You rated “%(title)s” %(score)s out of 10. Your clinician will see it.")
            % {"title": item.title, "score": rating.score},
        )
        return redirect(f"{_plan_url(patient)}#item-{item.pk}")
    return _plan_page(request, patient, rating_forms={item.pk: form}, status=form_status(form))


def _plan_url(patient) -> str:
    return reverse("care_sessions:plan", kwargs={"pk": patient.pk})


ENCOURAGEMENT = {
    PracticeOutcome.DONE: gettext_lazy("Well done. Every time you practise counts."),
    PracticeOutcome.PARTLY: gettext_lazy("Some is more than none. Well done for doing what you could."),
    PracticeOutcome.NOT_TODAY: gettext_lazy(
        "That's fine. Some days are like that, and saying so helps your clinician understand."
    ),
}


@require_http_methods(["GET", "POST"])
def practice_log(request, pk):
    item = selectors.plan_item_get(user=request.user, pk=pk)
    allow(request, Role.PATIENT)
    next_url = safe_local_url(request, request.POST.get("next") or request.GET.get("next"))
    form = PracticeLogForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: services.practice_log_record(
                by=request.user, item=item, outcome=data["outcome"], note=data["note"]
            ),
        )
    ):
        log, created = saved.value
        message = str(ENCOURAGEMENT[log.outcome])
        if not created:
            message = _("Updated today's entry for “%(title)s”. %(encouragement)s") % {
                "title": item.title,
                "encouragement": message,
            }
        messages.success(request, message)
        return redirect(next_url or reverse("alliance:home"))
    context = {"form": form, "item": item, "next": next_url}
    return render(request, "care_sessions/practice_log.html", context, status=form_status(form))

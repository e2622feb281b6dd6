"""Explanations and the patient's answers to them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    ExplanationForm,
    FeltHeardForm,
    FitForm,
    ReviseForm,
    TalkedForm,
)
from alliance.models import Fit, RecordSection
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import CLINICIAN_ONLY, PATIENT_ONLY, done, record_page, record_url, seen_since
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def explanations(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = seen_since(request, patient, RecordSection.EXPLANATIONS)
    items = sel.mark_new(list(sel.explanations_for(user=request.user, patient=patient)), user=request.user, since=since)
    return record_page(request, "alliance/record/explanations.html", patient, RecordSection.EXPLANATIONS, items=items)


@resume_form(lambda request, **kwargs: ExplanationForm())
@require_http_methods(["GET", "POST"])
def explanation_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = ExplanationForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.explanation_write(patient=patient, by=request.user, **data))
    ):
        explanation = saved.value
        text = _("Shared. %(name)s will be asked whether it fits their experience.") % {
            "name": patient.user.get_short_name()
        }
        return done(request, text, record_url("record-explanation", patient, explanation.pk))
    return record_page(request, "alliance/record/explanation_form.html", patient, RecordSection.EXPLANATIONS, form=form)


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
    return record_page(request, "alliance/record/explanation.html", patient, RecordSection.EXPLANATIONS, **context)


@require_GET
def explanation_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _explanation_page(request, patient, sel.explanation_get(user=request.user, patient=patient, pk=item))


@resume_form(lambda request, **kwargs: ReviseForm())
@require_http_methods(["GET", "POST"])
def explanation_revise(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    latest = explanation.versions.all()[0]
    form = ReviseForm(request.POST or None, initial={"body": latest.body})
    if request.method == "POST" and (
        form_save(form, lambda data: svc.explanation_revise(explanation=explanation, by=request.user, **data))
    ):
        return done(request, _("The new version is shared."), record_url("record-explanation", patient, explanation.pk))
    return record_page(
        request,
        "alliance/record/explanation_form.html",
        patient,
        RecordSection.EXPLANATIONS,
        form=form,
        explanation=explanation,
    )


@resume_form(lambda request, **kwargs: FitForm())
@require_POST
def explanation_respond(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    form = FitForm(request.POST)
    if form_save(
        form, lambda data: svc.explanation_respond(version=explanation.versions.all()[0], by=request.user, **data)
    ):
        text = (
            _("Thank you. It's good to know it fits.")
            if form.cleaned_data["fit"] == Fit.FITS
            else _("Thank you for saying so. It's on the agenda, so you can talk it through together.")
        )
        return done(request, text, record_url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, fit_form=form)


@resume_form(lambda request, **kwargs: TalkedForm())
@require_POST
def explanation_talked(request, pk, item, response):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    fit_response = sel.fit_response_get(explanation=explanation, pk=response)
    form = TalkedForm(request.POST)
    if form_save(form, lambda data: svc.explanation_talked_through(response=fit_response, by=request.user, **data)):
        text = _("Recorded. %(name)s will be asked whether they felt heard.") % {"name": patient.user.get_short_name()}
        return done(request, text, record_url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, talked_form=form, response_pk=fit_response.pk)


@resume_form(lambda request, **kwargs: FeltHeardForm())
@require_POST
def explanation_heard(request, pk, item, response):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    explanation = sel.explanation_get(user=request.user, patient=patient, pk=item)
    fit_response = sel.fit_response_get(explanation=explanation, pk=response)
    form = FeltHeardForm(request.POST)
    if form_save(form, lambda data: svc.explanation_felt_heard(response=fit_response, by=request.user, **data)):
        return done(request, _("Thank you for telling us."), record_url("record-explanation", patient, explanation.pk))
    return _explanation_page(request, patient, explanation, heard_form=form, response_pk=fit_response.pk)

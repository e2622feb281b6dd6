"""Step-back reviews, for the patient and their care team. Every URL names the patient (the patient's
own pages use their own id), fetched through the record's scoped selector: not yours is 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.reviews import ReflectionForm, ReviewForm
from alliance.models import NewsKind
from alliance.selectors import record as record_selectors
from alliance.selectors import reviews as sel
from alliance.selectors.news import news_thing_get
from alliance.services import news as news_svc
from alliance.services import reviews as svc
from patients.forms import form_save, form_status
from patients.models import Role

PATIENT_ONLY = (Role.PATIENT,)
CLINICIAN_ONLY = (Role.CLINICIAN,)


def _reviews_url(patient) -> str:
    return reverse("alliance:reviews", args=[patient.pk])


@require_GET
def reviews(request, pk):
    patient = record_selectors.record_patient_get(user=request.user, pk=pk)
    context = {
        "patient": patient,
        "is_own_record": request.user.role == Role.PATIENT,
        "reviews": list(sel.reviews_for(user=request.user, patient=patient)),
        "status": sel.review_status(patient=patient),
    }
    return render(request, "alliance/reviews/list.html", context)


@require_POST
def review_ask(request, pk):
    patient = record_selectors.record_patient_get(user=request.user, pk=pk)
    svc.review_ask(patient=patient, by=request.user)
    if request.user.role == Role.PATIENT:
        text = _(
            "Thank you. Your clinician will write a step-back review, and it's on the agenda for your next appointment."
        )
    else:
        text = _("A step-back review is on the agenda for %(name)s's next appointment.") % {
            "name": patient.user.get_short_name()
        }
    messages.success(request, text)
    return redirect(_reviews_url(patient))


@require_http_methods(["GET", "POST"])
def review_new(request, pk):
    patient = record_selectors.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.review_write(patient=patient, by=request.user, **data))
    ):
        messages.success(request, _("Your review is shared with %(name)s.") % {"name": patient.user.get_short_name()})
        return redirect(saved.value.get_absolute_url())
    context = {
        "patient": patient,
        "form": form,
        "figures": sel.review_figures(patient=patient, you=False),
        "status": sel.review_status(patient=patient),
    }
    return render(request, "alliance/reviews/new.html", context, status=form_status(form))


def _review_page(request, patient, review, *, form=None):
    is_patient = request.user.role == Role.PATIENT
    context = {
        "patient": patient,
        "review": review,
        "is_own_record": is_patient,
        "form": form or (ReflectionForm() if is_patient and review.reflected_at is None else None),
    }
    return render(request, "alliance/reviews/detail.html", context, status=form_status(form))


@require_GET
def review_detail(request, pk, item):
    patient = record_selectors.record_patient_get(user=request.user, pk=pk)
    review = sel.review_get(user=request.user, patient=patient, pk=item)
    if request.user.role == Role.PATIENT:
        # Reading her review here counts as seeing it on "What's new", as opening it from the list does.
        thing = news_thing_get(user=request.user, kind=NewsKind.REVIEW, pk=review.pk)
        if thing is not None:
            news_svc.news_seen_mark(user=request.user, things=[thing])
    return _review_page(request, patient, review)


@require_POST
def review_reflect(request, pk, item):
    patient = record_selectors.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    review = sel.review_get(user=request.user, patient=patient, pk=item)
    form = ReflectionForm(request.POST)
    if saved := form_save(form, lambda data: svc.review_reflect(review=review, by=request.user, **data)):
        text = (
            _(
                "Thank you for your reflection. Your clinician can read it. "
                "What you see differently is on the agenda for your next appointment."
            )
            if saved.value.disagree
            else _("Thank you for your reflection. Your clinician can read it.")
        )
        messages.success(request, text)
        return redirect(review.get_absolute_url())
    return _review_page(request, patient, review, form=form)

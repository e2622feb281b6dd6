"""One patient's timeline, for the clinicians on their care team."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.http import urlencode

from alliance.forms.timeline import TimelineFilterForm
from alliance.selectors.record import CLINICIAN_READERS, record_patient_get
from alliance.selectors.timeline import timeline_for, timeline_page_number


def timeline(request, pk):
    patient = record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_READERS)
    form = TimelineFilterForm(request.GET or None)
    kinds = form.cleaned_data["kind"] if form.is_valid() else []
    page = timeline_for(patient=patient, kinds=kinds, page=timeline_page_number(request.GET.get("page")))
    context = {
        "patient": patient,
        "form": form,
        "kinds": kinds,
        "page": page,
        "query": urlencode({"kind": kinds}, doseq=True),
    }
    return render(request, "alliance/timeline/timeline.html", context)

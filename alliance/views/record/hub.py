"""The record's hub page, the clinic admin's counts, and a clinician's private note."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance.forms.record import (
    PrivateNoteForm,
)
from alliance.models import RecordSection
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import CLINICIAN_ONLY, done, record_page, record_url, with_permissions
from patients.decorators import clinic_admin_required
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def record_home(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=(*sel.READERS, Role.CLINIC_ADMIN))
    if request.user.role == Role.CLINIC_ADMIN:
        counts = sel.record_counts_annotate(type(patient).objects.filter(pk=patient.pk)).get()
        return render(request, "alliance/record/counts.html", {"patient": patient, "counts": counts})
    context = {
        "new_counts": sel.record_new_counts(user=request.user, patient=patient),
        "counts": sel.record_counts_annotate(type(patient).objects.filter(pk=patient.pk)).get(),
        "all_notes": with_permissions(
            list(sel.private_notes_for(user=request.user, patient=patient)), request.user, patient
        ),
    }
    return record_page(request, "alliance/record/home.html", patient, "", **context)


@clinic_admin_required
@require_GET
def record_overview(request):
    return render(request, "alliance/record/overview.html", {"rows": sel.record_counts_for_admin(user=request.user)})


@resume_form(lambda request, **kwargs: PrivateNoteForm())
@require_POST
def note_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = PrivateNoteForm(request.POST)
    section = request.POST.get("section", "")
    back = (
        record_url(f"record-{section}", patient) if section in RecordSection.values else record_url("record", patient)
    )
    if form_save(
        form, lambda data: svc.private_note_add(patient=patient, by=request.user, body=data["body"], section=section)
    ):
        return done(request, _("Your private note is saved. Only the care team can see it."), back)
    # The note could come from any page; its own small page keeps what was typed, next to the message.
    return record_page(request, "alliance/record/note_form.html", patient, "", form=form, back=back)

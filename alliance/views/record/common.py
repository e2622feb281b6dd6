"""What every record page shares: the page frame, "new since your last visit", edit links, redirects."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from alliance.forms.record import (
    PrivateNoteForm,
)
from alliance.models import RecordSection
from alliance.selectors import record as sel
from alliance.services import record as svc
from patients.models import Role

PATIENT_ONLY = (Role.PATIENT,)


CLINICIAN_ONLY = (Role.CLINICIAN,)


def record_page(request, template: str, patient, section: str, **context):
    user = request.user
    notes = (
        with_permissions(list(sel.private_notes_for(user=user, patient=patient, section=section)), user, patient)
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


def seen_since(request, patient, section: str):
    """When this person last looked at this part of the record; looking now moves the line."""
    if request.method != "GET":
        return sel.record_visits(user=request.user, patient=patient).get(section)
    return svc.record_visit_mark(user=request.user, patient=patient, section=section)


def with_permissions(items, user, patient):
    """Whether ``user`` may edit or withdraw each item, for the links next to it."""
    # Only the patient themself and their care team reach a record page, so the role is the side.
    for item in items:
        item.patient = patient  # already fetched; saves a query per item
        item.may_edit = svc.record_item_may_edit(item=item, by=user, side=user.role)
        item.may_withdraw = svc.record_item_may_withdraw(item=item, by=user, side=user.role)
    return items


def done(request, text: str, url: str):
    messages.success(request, text)
    return redirect(url)


def record_url(name: str, patient, *args) -> str:
    return reverse(f"alliance:{name}", args=[patient.pk, *args])

"""Wins and setbacks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    AcknowledgeForm,
    SetbackForm,
    WinForm,
)
from alliance.models import RecordSection, Win
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import CLINICIAN_ONLY, done, record_page, record_url, seen_since, with_permissions
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


def _journal_page(request, patient, since, *, bound_win=None, bound_form=None):
    items = with_permissions(
        sel.mark_new(sel.journal_for(user=request.user, patient=patient), user=request.user, since=since),
        request.user,
        patient,
    )
    if request.user.role == Role.CLINICIAN:
        for item in items:
            if isinstance(item, Win) and item.acknowledged_at is None and item.created_by_id == patient.user_id:
                item.ack_form = bound_form if bound_win == item.pk else AcknowledgeForm(prefix=f"win{item.pk}")
    return record_page(request, "alliance/record/journal.html", patient, RecordSection.JOURNAL, items=items)


@require_GET
def journal(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _journal_page(request, patient, seen_since(request, patient, RecordSection.JOURNAL))


@resume_form(lambda request, **kwargs: WinForm())
@require_http_methods(["GET", "POST"])
def win_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    form = WinForm(request.POST or None)
    if request.method == "POST" and (
        form_save(form, lambda data: svc.win_log(patient=patient, by=request.user, **data))
    ):
        return done(request, _("Your win is in the journal. Well done."), record_url("record-journal", patient))
    return record_page(request, "alliance/record/win_new.html", patient, RecordSection.JOURNAL, form=form)


@resume_form(lambda request, **kwargs: SetbackForm())
@require_http_methods(["GET", "POST"])
def setback_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    form = SetbackForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.setback_log(patient=patient, by=request.user, **data))
    ):
        setback = saved.value
        if setback.on_agenda_at:
            text = _(
                "Thank you for writing this down. Setbacks are part of living with pain, not a failure. "
                "It's on the agenda for the next appointment."
            )
        else:
            text = _("Thank you for writing this down. Setbacks are part of living with pain, not a failure.")
        return done(request, text, record_url("record-journal", patient))
    return record_page(request, "alliance/record/setback_new.html", patient, RecordSection.JOURNAL, form=form)


@resume_form(lambda request, item, **kwargs: AcknowledgeForm(prefix=f"win{item}"))
@require_POST
def win_acknowledge(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    win = sel.win_get(user=request.user, patient=patient, pk=item)
    form = AcknowledgeForm(request.POST, prefix=f"win{win.pk}")
    if form_save(form, lambda data: svc.win_acknowledge(win=win, by=request.user, **data)):
        return done(
            request,
            _("Acknowledged. The patient will see it."),
            record_url("record-journal", patient) + f"#win-{win.pk}",
        )
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
        return redirect(record_url("record-journal", patient))
    return done(request, _("It's on the agenda for the next appointment."), record_url("record-journal", patient))

"""A clinician acknowledging an alert, and recording that it was talked through."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.forms.alerts import AlertNoteForm
from alliance.selectors import alerts as selectors
from alliance.services.alerts import alert_acknowledge, alert_resolve
from patients.decorators import clinician_required


def _alert_action(request, pk, action, done_message):
    alert = selectors.alert_get(user=request.user, pk=pk)
    form = AlertNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please keep the note under 2,000 characters; nothing was changed."))
        return redirect("alliance:patient", pk=alert.patient_id)
    action(alert=alert, by=request.user, note=form.cleaned_data["note"])
    messages.success(request, done_message)
    return redirect("alliance:patient", pk=alert.patient_id)


@clinician_required
@require_POST
def alert_acknowledge_view(request, pk):
    return _alert_action(
        request, pk, alert_acknowledge, _("Noted. It stays on the list until you've talked it through.")
    )


@clinician_required
@require_POST
def alert_resolve_view(request, pk):
    return _alert_action(request, pk, alert_resolve, _("Marked as talked through."))

"""Editing, withdrawing and the history of any record item."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from alliance.forms.record import (
    EditForm,
)
from alliance.models.record import Option, record_kinds
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import done, record_page, record_url
from patients.forms import changed_meanwhile, form_save
from patients.models import Role

# The name of each field over its earlier wording on the history page.
HISTORY_LABELS = {
    "text": gettext_lazy("Text"),
    "why": gettext_lazy("Why"),
    "what_happened": gettext_lazy("What happened"),
    "what_was_going_on": gettext_lazy("What was going on"),
    "what_helped": gettext_lazy("What helped"),
    "title": gettext_lazy("Title"),
    "body": gettext_lazy("Body"),
    "context": gettext_lazy("Context"),
    "benefits": gettext_lazy("Benefits"),
    "downsides": gettext_lazy("Downsides"),
    "uncertainties": gettext_lazy("Uncertainties"),
}


def _item(request, pk, kind, item):
    model = record_kinds().get(kind)
    if model is None:
        raise Http404("Unknown kind.")
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return patient, sel.record_item_get(user=request.user, patient=patient, model=model, pk=item)


@require_http_methods(["GET", "POST"])
def item_edit(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    meanwhile = svc.record_item_changed_meanwhile(item=record_item, by=request.user)
    if not svc.record_item_may_edit(item=record_item, by=request.user) and not (meanwhile and request.method == "POST"):
        messages.info(request, _("This can't be changed now."))
        return redirect(record_item.get_absolute_url())
    fields = record_item.editable
    form = EditForm(request.POST or None, item=record_item, initial={f: getattr(record_item, f) for f in fields})
    if meanwhile:
        # Withdrawn, decided or agreed while this was being edited: say so, and keep the words.
        changed_meanwhile(
            form,
            _(
                "This can't be changed now: while you were editing, %(meanwhile)s. "
                "Nothing was saved; your words are still here to copy."
            )
            % {"meanwhile": meanwhile},
        )
    elif request.method == "POST" and (
        saved := form_save(form, lambda data: svc.record_item_edit(item=record_item, by=request.user, changes=data))
    ):
        revision = saved.value
        text = _("Saved. The earlier wording is kept in the history.") if revision else _("Nothing changed.")
        return done(request, text, record_item.get_absolute_url())
    context = {"form": form, "item": record_item, "back": record_item.get_absolute_url()}
    return record_page(request, "alliance/record/item_edit.html", patient, record_item.record_section, **context)


@require_http_methods(["GET", "POST"])
def item_withdraw(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    back = record_item.get_absolute_url()
    if not svc.record_item_may_withdraw(item=record_item, by=request.user):
        messages.info(request, _("This can't be withdrawn."))
        return redirect(back)
    if request.method == "POST":
        svc.record_item_withdraw(item=record_item, by=request.user)
        text = (
            _("Withdrawn. It no longer shows in your record.")
            if request.user.role == Role.PATIENT
            else _("Withdrawn. The patient no longer sees it; it's kept, marked, for the care team.")
        )
        # Back to the part of the record it was in; an option's decision and a note's hub are its own page.
        section = record_item.record_section
        landing = back if not section or isinstance(record_item, Option) else record_url(f"record-{section}", patient)
        return done(request, text, landing)
    context = {"item": record_item, "back": back}
    return record_page(request, "alliance/record/item_withdraw.html", patient, record_item.record_section, **context)


@require_GET
def item_history(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    revisions = sel.record_history(item=record_item)
    context = {
        "item": record_item,
        "revisions": revisions,
        "labels": {
            field: HISTORY_LABELS.get(field, field.replace("_", " ").capitalize()) for field in record_item.editable
        },
        "back": record_item.get_absolute_url(),
    }
    return record_page(request, "alliance/record/item_history.html", patient, record_item.record_section, **context)

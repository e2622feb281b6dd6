"""Editing, withdrawing and the history of any record item."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from alliance.forms.record import (
    EditForm,
)
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.services.record import EDITABLE
from alliance.views.record.common import KIND_SECTION, done, record_page, record_url
from patients.forms import form_save
from patients.models import Role


def _item(request, pk, kind, item):
    if kind not in EDITABLE:
        raise Http404("Unknown kind.")
    patient = sel.record_patient_get(user=request.user, pk=pk)
    record_item = sel.record_item_get(user=request.user, patient=patient, model=EDITABLE[kind][0], pk=item)
    return patient, record_item


def _item_url(patient, kind: str, item) -> str:
    names = {
        "question": "record-question",
        "goal": "record-goal",
        "explanation": "record-explanation",
        "decision": "record-decision",
        "story": "record-story-entry",
    }
    if kind in names:
        return record_url(names[kind], patient, item.pk)
    if kind == "option":
        return record_url("record-decision", patient, item.decision_id)
    if kind in ("win", "setback"):
        return record_url("record-journal", patient) + f"#{kind}-{item.pk}"
    return record_url("record", patient)


@require_http_methods(["GET", "POST"])
def item_edit(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    if not svc.record_item_may_edit(item=record_item, by=request.user):
        messages.info(request, "This can't be changed now.")
        return redirect(_item_url(patient, kind, record_item))
    fields = EDITABLE[kind][1]
    form = EditForm(request.POST or None, kind=kind, initial={f: getattr(record_item, f) for f in fields})
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.record_item_edit(item=record_item, by=request.user, changes=data))
    ):
        revision = saved.value
        text = "Saved. The earlier wording is kept in the history." if revision else "Nothing changed."
        return done(request, text, _item_url(patient, kind, record_item))
    context = {"form": form, "item": record_item, "kind": kind, "back": _item_url(patient, kind, record_item)}
    return record_page(request, "alliance/record/item_edit.html", patient, KIND_SECTION[kind], **context)


@require_http_methods(["GET", "POST"])
def item_withdraw(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    back = _item_url(patient, kind, record_item)
    if not svc.record_item_may_withdraw(item=record_item, by=request.user):
        messages.info(request, "This can't be withdrawn.")
        return redirect(back)
    if request.method == "POST":
        svc.record_item_withdraw(item=record_item, by=request.user)
        text = (
            "Withdrawn. It no longer shows in your record."
            if request.user.role == Role.PATIENT
            else "Withdrawn. The patient no longer sees it; it's kept, marked, for the care team."
        )
        landing = {"option": back, "note": record_url("record", patient)}.get(kind) or record_url(
            f"record-{KIND_SECTION[kind]}", patient
        )
        return done(request, text, landing)
    context = {"item": record_item, "kind": kind, "back": back}
    return record_page(request, "alliance/record/item_withdraw.html", patient, KIND_SECTION[kind], **context)


@require_GET
def item_history(request, pk, kind, item):
    patient, record_item = _item(request, pk, kind, item)
    revisions = sel.record_history(item=record_item, kind=kind)
    context = {
        "item": record_item,
        "kind": kind,
        "revisions": revisions,
        "labels": {field: field.replace("_", " ").capitalize() for field in EDITABLE[kind][1]},
        "back": _item_url(patient, kind, record_item),
    }
    return record_page(request, "alliance/record/item_history.html", patient, KIND_SECTION[kind], **context)

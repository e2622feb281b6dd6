"""The shared agenda and the session record: one page per session that both sides use."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from patients.forms import changed_meanwhile, form_save, form_status
from patients.models import Role
from sessions import selectors, services
from sessions.forms import AgendaItemForm, RecordItemForm, SessionRecordForm, TakeawayForm
from sessions.models import AgendaEntry, EntryOutcome, SessionRecord, SessionStatus
from sessions.views.access import PARTNERS, allow


def _agenda_url(care_session_id, anchor: str = "") -> str:
    url = reverse("care_sessions:agenda", kwargs={"pk": care_session_id})
    return f"{url}#{anchor}" if anchor else url


@require_http_methods(["GET", "POST"])
def agenda(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    form = AgendaItemForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(
            form, lambda data: services.agenda_item_raise(by=request.user, care_session=care_session, text=data["text"])
        )
    ):
        item = saved.value
        messages.success(request, _("Added to the agenda."))
        return redirect(_agenda_url(care_session.pk, f"item-{item.pk}"))
    context = {
        "care_session": care_session,
        "agenda": selectors.agenda_for_session(care_session=care_session, viewer=request.user, with_parked=True),
        "form": form,
        "open_for_items": care_session.status == SessionStatus.SCHEDULED,
        "takeaway_form": TakeawayForm(),
    }
    return render(request, "care_sessions/agenda.html", context, status=form_status(form))


@require_POST
def agenda_move(request, pk):
    item = selectors.agenda_item_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    try:
        services.agenda_item_move(by=request.user, item=item, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    if item.care_session_id is None:
        return redirect("alliance:home")
    return redirect(_agenda_url(item.care_session_id, f"item-{item.pk}"))


def _back_to(item_was_on, anchor: str):
    if item_was_on is None:
        return redirect("alliance:home")
    return redirect(_agenda_url(item_was_on, anchor))


@require_POST
def agenda_park(request, pk):
    item = selectors.agenda_item_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    was_on = item.care_session_id
    try:
        services.agenda_item_park(by=request.user, item=item)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Parked for later. It's kept in the parked list, to bring back when it suits."))
    return _back_to(was_on, "parked-heading")


@require_POST
def agenda_answer(request, pk):
    item = selectors.agenda_item_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    was_on = item.care_session_id
    try:
        services.agenda_item_answer(by=request.user, item=item)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as answered already. It's listed below, in case it's needed after all."))
    return _back_to(was_on, "open-heading")


@require_POST
def agenda_merge(request, pk):
    item = selectors.agenda_item_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    was_on = item.care_session_id
    try:
        item = services.agenda_item_merge(by=request.user, item=item, into_id=request.POST.get("into"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to(was_on, f"item-{item.pk}")
    messages.success(request, _("Put together. It's shown under the item it's the same as, nothing lost."))
    return _back_to(was_on, f"item-{item.merged_into_id}")


@require_POST
def agenda_bring_back(request, pk):
    item = selectors.agenda_item_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    care_session = selectors.care_session_get(user=request.user, pk=request.POST.get("to") or 0)
    try:
        item = services.agenda_item_bring_back(by=request.user, item=item, care_session=care_session)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect(_agenda_url(care_session.pk))
    messages.success(request, _("Back on the agenda."))
    return redirect(_agenda_url(care_session.pk, f"item-{item.pk}"))


def _record_forms(request, care_session, items):
    existing = {e.agenda_item_id: e for e in AgendaEntry.objects.filter(care_session=care_session)}
    forms = []
    for item in items:
        entry = existing.get(item.pk)
        if entry is not None and entry.outcome == EntryOutcome.DISCUSSED:
            initial = {"talked": True, "led_by": entry.led_by, "agreed": entry.agreed}
        else:
            initial = {"talked": False, "led_by": services.led_by_default(item)}
        forms.append(RecordItemForm(request.POST or None, prefix=f"item-{item.pk}", item=item, initial=initial))
    return forms


@require_http_methods(["GET", "POST"])
def session_record(request, pk):
    """The whole session on one screen: tick what was talked about, who led it, what was agreed, the summary."""
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    allow(request, Role.CLINICIAN)
    not_held = care_session.status not in (SessionStatus.SCHEDULED, SessionStatus.DONE)
    if (not_held and request.method != "POST") or care_session.starts_at > timezone.now():
        messages.info(request, _("You can record a session once it has started."))
        return redirect("care_sessions:agenda", pk=care_session.pk)
    items = services.session_record_items(care_session=care_session)
    item_forms = _record_forms(request, care_session, items)
    record = SessionRecord.objects.filter(care_session=care_session).first()
    initial = {"summary": record.summary, "next_steps": record.next_steps} if record else {}
    form = SessionRecordForm(request.POST or None, initial=initial)
    if not_held:
        # Marked as cancelled or missed while this record was being written: keep every word of it.
        changed_meanwhile(
            form,
            _(
                "This session can't be recorded now: meanwhile, %(what_happened)s. "
                "Nothing was saved; your words are still here to copy."
            )
            % {"what_happened": care_session.what_happened},
        )
    elif request.method == "POST":
        valid = form.is_valid() & all([f.is_valid() for f in item_forms])
        if valid:
            entries = [
                services.EntryInput(
                    item_id=f.item.pk,
                    talked=bool(f.cleaned_data.get("talked")),
                    led_by=f.cleaned_data.get("led_by") or "",
                    agreed=f.cleaned_data.get("agreed") or "",
                )
                for f in item_forms
            ]
            try:
                services.session_record_save(
                    by=request.user,
                    care_session=care_session,
                    summary=form.cleaned_data["summary"],
                    next_steps=form.cleaned_data["next_steps"],
                    entries=entries,
                )
            except ValidationError as error:
                _apply_record_errors(form, item_forms, error)
            else:
                carried = sum(1 for entry in entries if not entry.talked)
                text = _("The session is recorded. The summary is now shared with the patient.")
                if carried:
                    text += " " + ngettext(
                        "%(count)d item not talked about moved to the next appointment.",
                        "%(count)d items not talked about moved to the next appointment.",
                        carried,
                    ) % {"count": carried}
                messages.success(request, text)
                return redirect("care_sessions:agenda", pk=care_session.pk)
    context = {
        "care_session": care_session,
        "form": form,
        "item_forms": item_forms,
        "parked_here": selectors.agenda_for_session(care_session=care_session).parked_here,
    }
    return render(request, "care_sessions/record.html", context, status=form_status(form, *item_forms))


def _apply_record_errors(form, item_forms, error: ValidationError) -> None:
    by_prefix = {f.prefix: f for f in item_forms}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        if key.startswith("item-"):
            prefix, _, field = key.rpartition("-")
            target = by_prefix.get(prefix)
            if target is not None:
                target.add_error(field if field in target.fields else None, errors)
                continue
        form.add_error(key if key in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
def session_takeaway(request, pk):
    care_session = selectors.care_session_get(user=request.user, pk=pk)
    allow(request, Role.PATIENT)
    record = SessionRecord.objects.filter(care_session=care_session).first()
    if record is None:
        messages.info(request, _("Your clinician hasn't shared a summary of this session yet."))
        return redirect("care_sessions:agenda", pk=care_session.pk)
    form = TakeawayForm(request.POST or None, initial={"text": record.patient_takeaway})
    if request.method == "POST" and (
        form_save(
            form,
            lambda data: services.session_takeaway_save(by=request.user, care_session=care_session, text=data["text"]),
        )
    ):
        messages.success(request, _("Thank you. Your clinician will see what you took from the session."))
        return redirect(_agenda_url(care_session.pk, "takeaway-heading"))
    return render(
        request,
        "care_sessions/takeaway.html",
        {"care_session": care_session, "record": record, "form": form},
        status=form_status(form),
    )

"""The patient's story."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    PassageForm,
    ReflectForm,
    ReflectionRespondForm,
    StoryForm,
)
from alliance.models import HeardResponse, RecordSection, StoryTopic
from alliance.selectors import record as sel
from alliance.services import record as svc
from alliance.views.record.common import CLINICIAN_ONLY, PATIENT_ONLY, done, record_page, record_url, seen_since
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def story(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = seen_since(request, patient, RecordSection.STORY)
    items = sel.mark_new(list(sel.story_for(user=request.user, patient=patient)), user=request.user, since=since)
    return record_page(request, "alliance/record/story.html", patient, RecordSection.STORY, items=items)


@resume_form(lambda request, **kwargs: StoryForm())
@require_http_methods(["GET", "POST"])
def story_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    form = StoryForm(request.POST or None, initial={"topic": StoryTopic.HISTORY})
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.story_add(patient=patient, by=request.user, **data))
    ):
        entry = saved.value
        return done(request, _("Thank you for sharing this."), record_url("record-story-entry", patient, entry.pk))
    return record_page(request, "alliance/record/story_new.html", patient, RecordSection.STORY, form=form)


def _story_page(request, patient, entry, **forms):
    is_clinician = request.user.role == Role.CLINICIAN
    reflections = list(entry.reflections.all())
    for reflection in reflections:
        if not is_clinician and not reflection.response:
            bound = forms.get("reflection_pk") == reflection.pk
            reflection.respond_form = forms["respond_form"] if bound else ReflectionRespondForm()
    context = {
        "entry": entry,
        "segments": sel.story_segments(entry),
        "reflections": reflections,
        "passage_form": forms.get("passage_form")
        or (PassageForm(sentences=sel.story_sentences(entry)) if is_clinician else None),
        "reflect_form": forms.get("reflect_form") or (ReflectForm() if is_clinician else None),
        "may_edit": svc.record_item_may_edit(item=entry, by=request.user, side=request.user.role),
    }
    return record_page(request, "alliance/record/story_entry.html", patient, RecordSection.STORY, **context)


@require_GET
def story_entry(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    return _story_page(request, patient, sel.story_entry_get(user=request.user, patient=patient, pk=item))


@resume_form(lambda request, **kwargs: PassageForm())
@require_POST
def story_passage(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=item)
    form = PassageForm(request.POST, sentences=sel.story_sentences(entry))
    if form_save(form, lambda data: svc.story_passage_mark(entry=entry, by=request.user, **data)):
        return done(request, _("Marked. It's on the next agenda."), record_url("record-story-entry", patient, entry.pk))
    return _story_page(request, patient, entry, passage_form=form)


@resume_form(lambda request, **kwargs: ReflectForm())
@require_POST
def story_reflect(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=item)
    form = ReflectForm(request.POST)
    if form_save(form, lambda data: svc.story_reflect(entry=entry, by=request.user, **data)):
        text = _("Shared. %(name)s can confirm it or correct it.") % {"name": patient.user.get_short_name()}
        return done(request, text, record_url("record-story-entry", patient, entry.pk))
    return _story_page(request, patient, entry, reflect_form=form)


@resume_form(lambda request, **kwargs: ReflectionRespondForm())
@require_POST
def story_reflection_respond(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    reflection = sel.story_reflection_get(user=request.user, patient=patient, pk=item)
    form = ReflectionRespondForm(request.POST)
    if saved := form_save(
        form,
        lambda data: svc.story_reflection_respond(
            reflection=reflection,
            by=request.user,
            confirmed=data["response"] == HeardResponse.CONFIRMED,
            correction=data["correction"],
        ),
    ):
        confirmed = saved.value.response == HeardResponse.CONFIRMED
        text = _("Thank you.") if confirmed else _("Thank you for putting it right. Your clinician will see it.")
        return done(request, text, record_url("record-story-entry", patient, reflection.entry_id))
    entry = sel.story_entry_get(user=request.user, patient=patient, pk=reflection.entry_id)
    return _story_page(request, patient, entry, respond_form=form, reflection_pk=reflection.pk)

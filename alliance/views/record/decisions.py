"""Options and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.record import (
    AdviceForm,
    DecisionCheckForm,
    DecisionForm,
    OptionForm,
    PreferenceForm,
)
from alliance.models import DecisionStatus, NewsKind, PreferenceKind, RecordSection
from alliance.models.record import BALANCE_RULE, CHECK_QUESTIONS, CHECK_SCALE
from alliance.selectors import record as sel
from alliance.selectors.news import news_thing_get
from alliance.services import record as svc
from alliance.services.news import news_seen_mark
from alliance.views.record.common import (
    CLINICIAN_ONLY,
    PATIENT_ONLY,
    done,
    record_page,
    record_url,
    seen_since,
    with_permissions,
)
from patients.forms import form_save
from patients.models import Role
from patients.resume import resume_form


@require_GET
def decisions(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    since = seen_since(request, patient, RecordSection.DECISIONS)
    items = sel.mark_new(list(sel.decisions_for(user=request.user, patient=patient)), user=request.user, since=since)
    return record_page(request, "alliance/record/decisions.html", patient, RecordSection.DECISIONS, items=items)


@resume_form(lambda request, **kwargs: DecisionForm())
@require_http_methods(["GET", "POST"])
def decision_new(request, pk):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.decision_start(patient=patient, by=request.user, **data))
    ):
        decision = saved.value
        text = _("Now add the options. The patient sees nothing until you share them.")
        return done(request, text, record_url("record-decision", patient, decision.pk))
    return record_page(request, "alliance/record/decision_new.html", patient, RecordSection.DECISIONS, form=form)


def _decision_page(request, patient, decision, *, status=200, share_errors=None, **forms):
    options = [o for o in decision.options.all() if not o.is_withdrawn or request.user.role == Role.CLINICIAN]
    live = with_permissions([o for o in options if not o.is_withdrawn], request.user, patient)
    with_permissions([decision], request.user, patient)
    is_patient = request.user.role == Role.PATIENT
    for option in live:
        option.balance_missing = svc.option_balance_errors(benefits=option.benefits, downsides=option.downsides)
    check = getattr(decision, "after_check", None)
    context = {
        "decision": decision,
        "options": options,
        "share_errors": share_errors,
        "balance_rule": _(BALANCE_RULE),
        "preference_form": forms.get("preference_form")
        or (
            PreferenceForm(
                options=live,
                initial={
                    "what_matters": decision.what_matters,
                    "kind": decision.preference_kind or None,
                    "option": decision.preferred_option_id,
                },
            )
            if is_patient and decision.status == DecisionStatus.SHARED
            else None
        ),
        "check_form": forms.get("check_form")
        or (DecisionCheckForm() if is_patient and decision.status == DecisionStatus.DECIDED and not check else None),
        "check": check,
        "check_rows": _check_rows(check),
        # The clinician's own view is offered only once the options are out, and only once.
        "advice_form": forms.get("advice_form")
        or (
            AdviceForm()
            if not is_patient
            and decision.status != DecisionStatus.DRAFT
            and decision.advice_at is None
            and not decision.is_withdrawn
            else None
        ),
        "may_ask_advice": is_patient
        and decision.status != DecisionStatus.DRAFT
        and decision.advice_at is None
        and decision.advice_asked_at is None
        and not decision.is_withdrawn,
        "may_edit": svc.record_item_may_edit(item=decision, by=request.user, side=request.user.role),
    }
    return record_page(request, "alliance/record/decision.html", patient, RecordSection.DECISIONS, **context)


def _check_rows(check):
    if check is None:
        return []
    labels = dict(CHECK_SCALE)
    return [(q, check.answers[key], labels[check.answers[key]]) for key, q in CHECK_QUESTIONS.items()]


@require_GET
def decision_detail(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    if request.user.role == Role.PATIENT:
        # Reading the options and her clinician's view here counts as seeing them on "What's new".
        things = [
            news_thing_get(user=request.user, kind=kind, pk=decision.pk) for kind in (NewsKind.OPTIONS, NewsKind.ADVICE)
        ]
        news_seen_mark(user=request.user, things=[t for t in things if t is not None])
    return _decision_page(request, patient, decision)


@resume_form(lambda request, **kwargs: OptionForm())
@require_http_methods(["GET", "POST"])
def option_new(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    form = OptionForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: svc.option_add(decision=decision, by=request.user, **data))
    ):
        option = saved.value
        missing = svc.option_balance_errors(benefits=option.benefits, downsides=option.downsides)
        if "benefits" in missing and "downsides" in missing:
            text = _("“%(title)s” is added. It still needs a benefit and a downside before the options can be shared.")
        elif "benefits" in missing:
            text = _("“%(title)s” is added. It still needs a benefit before the options can be shared.")
        elif "downsides" in missing:
            text = _("“%(title)s” is added. It still needs a downside before the options can be shared.")
        else:
            text = _("“%(title)s” is added.")
        text = text % {"title": option.title}
        return done(request, text, record_url("record-decision", patient, decision.pk))
    return record_page(
        request,
        "alliance/record/option_new.html",
        patient,
        RecordSection.DECISIONS,
        form=form,
        decision=decision,
        balance_rule=_(BALANCE_RULE),
    )


@require_POST
def decision_share(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    try:
        svc.decision_share(decision=decision, by=request.user)
    except ValidationError as error:
        return _decision_page(request, patient, decision, share_errors=error.messages)
    text = _("The options are shared with %(name)s.") % {"name": patient.user.get_short_name()}
    return done(request, text, record_url("record-decision", patient, decision.pk))


@require_POST
def decision_preference(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    if decision.status != DecisionStatus.SHARED:
        messages.info(request, _("This decision has already been made."))
        return redirect(record_url("record-decision", patient, decision.pk))
    live = [o for o in decision.options.all() if not o.is_withdrawn]
    form = PreferenceForm(request.POST, options=live)
    if form_save(form, lambda data: svc.decision_preference_record(decision=decision, by=request.user, **data)):
        kind = form.cleaned_data["kind"]
        texts = {
            PreferenceKind.UNSURE: _("Thank you. It's on the agenda so you can talk it through together."),
            PreferenceKind.LEANING: _("Thank you. Your clinician can see where you're leaning."),
            PreferenceKind.CHOSEN: _("Thank you. Your choice is recorded. Three short questions follow."),
        }
        return done(request, texts[kind], record_url("record-decision", patient, decision.pk))
    return _decision_page(request, patient, decision, preference_form=form)


@resume_form(lambda request, **kwargs: DecisionCheckForm())
@require_POST
def decision_check(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    form = DecisionCheckForm(request.POST)
    if saved := form_save(form, lambda data: svc.decision_check_submit(decision=decision, by=request.user, **data)):
        check = saved.value
        if check.is_low:
            text = _(
                "Thank you for answering. Thank you for being honest, too. "
                "Your clinician will talk this through with you."
            )
        else:
            text = _("Thank you for answering.")
        return done(request, text, record_url("record-decision", patient, decision.pk))
    return _decision_page(request, patient, decision, check_form=form)


@require_POST
def decision_advice(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=CLINICIAN_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    form = AdviceForm(request.POST)
    if form_save(form, lambda data: svc.decision_advice_give(decision=decision, by=request.user, **data)):
        text = _("Your view is shared with %(name)s, below the options and labelled as yours.") % {
            "name": patient.user.get_short_name()
        }
        return done(request, text, record_url("record-decision", patient, decision.pk))
    return _decision_page(request, patient, decision, advice_form=form)


@require_POST
def decision_advice_ask(request, pk, item):
    patient = sel.record_patient_get(user=request.user, pk=pk, roles=PATIENT_ONLY)
    decision = sel.decision_get(user=request.user, patient=patient, pk=item)
    try:
        svc.decision_advice_ask(decision=decision, by=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect(record_url("record-decision", patient, decision.pk))
    text = _("Thank you. Your question is on the agenda for your next appointment, and your clinician can see it.")
    return done(request, text, record_url("record-decision", patient, decision.pk))

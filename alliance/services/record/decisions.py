"""Options and decisions: balanced options, sharing them, the patient's preference and the check afterwards."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.models import (
    Alert,
    AlertKind,
    Decision,
    DecisionCheck,
    DecisionStatus,
    Option,
    PreferenceKind,
)
from alliance.models.record import BALANCE_RULE, CHECK_QUESTIONS, CHECK_SCALE
from alliance.services.record.common import agenda_text, clean_text, require_live, save_fields, touch
from patients.models import Patient, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add
from sessions.services.access import check_care_team, check_is_patient


def decision_start(*, patient: Patient, by: User, title: str, context: str = "") -> Decision:
    check_care_team(user=by, patient=patient)
    title = clean_text(title, field="title", limit=200, required=_("Please say what the decision is about."))
    context = clean_text(context, field="context", limit=4000)
    return Decision.objects.create(patient=patient, created_by=by, last_activity_by=by, title=title, context=context)


def _option_fields(*, title: str, benefits: str, downsides: str, uncertainties: str) -> dict[str, str]:
    return {
        "title": clean_text(title, field="title", limit=200, required=_("Please name the option.")),
        "benefits": clean_text(benefits, field="benefits", limit=3000),
        "downsides": clean_text(downsides, field="downsides", limit=3000),
        "uncertainties": clean_text(uncertainties, field="uncertainties", limit=3000),
    }


def option_balance_errors(*, benefits: str, downsides: str) -> dict[str, str]:
    """What an option still needs before it can be shared (empty when it is balanced)."""
    errors = {}
    if not Option.points(benefits):
        errors["benefits"] = _("Add at least one benefit. %(rule)s") % {"rule": _(BALANCE_RULE)}
    if not Option.points(downsides):
        errors["downsides"] = _("Add at least one downside or risk. %(rule)s") % {"rule": _(BALANCE_RULE)}
    return errors


def option_add(
    *, decision: Decision, by: User, title: str, benefits: str = "", downsides: str = "", uncertainties: str = ""
) -> Option:
    """Add an option. Drafts may be one-sided while the clinician works; a shared decision's options may not."""
    check_care_team(user=by, patient=decision.patient)
    require_live(decision)
    if decision.status == DecisionStatus.DECIDED:
        raise ValidationError(_("This decision has been made, so its options are settled."))
    fields = _option_fields(title=title, benefits=benefits, downsides=downsides, uncertainties=uncertainties)
    shared = decision.status == DecisionStatus.SHARED
    if shared and (errors := option_balance_errors(benefits=fields["benefits"], downsides=fields["downsides"])):
        raise ValidationError(errors)
    with transaction.atomic():
        last = decision.options.order_by("-position").values_list("position", flat=True).first()
        now = timezone.now()
        option = Option.objects.create(
            decision=decision,
            patient=decision.patient,
            created_by=by,
            last_activity_by=by,
            position=(last + 1) if last is not None else 0,
            shared_at=now if shared else None,
            **fields,
        )
        touch(decision, by, now)
    return option


def decision_share(*, decision: Decision, by: User) -> Decision:
    """Share the options with the patient. Refused, with the reasons, unless every option is balanced."""
    check_care_team(user=by, patient=decision.patient)
    require_live(decision)
    if decision.status != DecisionStatus.DRAFT:
        raise ValidationError(_("These options have already been shared."))
    options = list(decision.options.filter(withdrawn_at__isnull=True))
    if len(options) < 2:
        raise ValidationError(
            _("Add at least two options before sharing. Waiting, or carrying on as now, can be one of them.")
        )
    one_sided = []
    for option in options:
        errors = option_balance_errors(benefits=option.benefits, downsides=option.downsides)
        if errors:
            if "benefits" in errors and "downsides" in errors:
                needs = _("“%(title)s” needs a benefit and a downside.")
            elif "benefits" in errors:
                needs = _("“%(title)s” needs a benefit.")
            else:
                needs = _("“%(title)s” needs a downside.")
            one_sided.append(needs % {"title": option.title})
    if one_sided:
        raise ValidationError([*one_sided, _(BALANCE_RULE)])
    with transaction.atomic():
        now = timezone.now()
        decision.options.filter(withdrawn_at__isnull=True).update(
            shared_at=now, last_activity_at=now, last_activity_by=by
        )
        decision.status, decision.shared_at = DecisionStatus.SHARED, now
        decision.touch(by=by, at=now)
        save_fields(decision, "status", "shared_at", "last_activity_at", "last_activity_by")
    return decision


def decision_preference_record(
    *, decision: Decision, by: User, what_matters: str, kind: str, option: Option | None = None
) -> Decision:
    """The patient records what matters most to them and where they are: unsure, leaning, or chosen."""
    check_is_patient(user=by, patient=decision.patient)
    require_live(decision)
    if decision.status == DecisionStatus.DRAFT:
        raise PermissionDenied
    if decision.status == DecisionStatus.DECIDED:
        raise ValidationError(_("You've already made this decision."))
    what_matters = clean_text(what_matters, field="what_matters", limit=2000)
    if kind not in PreferenceKind.values:
        raise ValidationError({"kind": _("Please choose where you are with this decision.")})
    if kind != PreferenceKind.UNSURE:
        if option is None:
            raise ValidationError({"option": _("Please choose the option.")})
        if option.decision_id != decision.pk or option.withdrawn_at is not None or option.shared_at is None:
            raise ValidationError({"option": _("Please choose one of the options shown.")})
    else:
        option = None
    with transaction.atomic():
        now = timezone.now()
        decision.what_matters, decision.preference_kind, decision.preferred_option = what_matters, kind, option
        decision.preference_at = now
        if kind == PreferenceKind.CHOSEN:
            decision.status, decision.decided_at = DecisionStatus.DECIDED, now
        decision.touch(by=by, at=now)
        save_fields(
            decision,
            "what_matters",
            "preference_kind",
            "preferred_option",
            "preference_at",
            "status",
            "decided_at",
            "last_activity_at",
            "last_activity_by",
        )
        if kind == PreferenceKind.UNSURE:
            agenda_item_add(
                patient=decision.patient,
                text=lambda: agenda_text(_("Talk through the options: %(title)s") % {"title": decision.title}),
                source=AgendaSource.DECISION,
                source_ref=f"decision:{decision.pk}",
                raised_by=by,
            )
    return decision


ADVICE_AFTER_OPTIONS = gettext_lazy(
    "Share the balanced options first. Your own view comes after them, so the patient sees every option "
    "fairly before hearing what you would do."
)


def decision_advice_give(*, decision: Decision, by: User, advice: str, reasons: str, would_change: str) -> Decision:
    """The clinician's honest recommendation, "if you were my family, I would…", with their reasons and
    what would change their mind.

    Only after the balanced options are shared (``ValidationError`` before, and the database refuses it
    too), once per decision, and by a clinician on the care team (``PermissionDenied``). It is shown
    apart from the options and labelled as the clinician's own view; the patient's choice and the
    "did you have a real say" check that follows are unchanged.
    """
    check_care_team(user=by, patient=decision.patient)
    require_live(decision)
    if decision.status == DecisionStatus.DRAFT or decision.shared_at is None:
        raise ValidationError(ADVICE_AFTER_OPTIONS)
    if decision.advice_at is not None:
        raise ValidationError(_("Your view on this decision is already shared."))
    fields = {
        "advice": clean_text(
            advice, field="advice", limit=2000, required=_("Please say what you would do if this were your family.")
        ),
        "advice_reasons": clean_text(
            reasons, field="reasons", limit=2000, required=_("Please give your reasons, so they can weigh them.")
        ),
        "advice_would_change": clean_text(
            would_change,
            field="would_change",
            limit=2000,
            required=_("Please say what would change your mind. It shows this is a view, not the only answer."),
        ),
    }
    with transaction.atomic():
        now = timezone.now()
        for name, value in fields.items():
            setattr(decision, name, value)
        decision.advice_by, decision.advice_at = by, now
        decision.touch(by=by, at=now)
        save_fields(decision, *fields, "advice_by", "advice_at", "last_activity_at", "last_activity_by")
    return decision


def decision_advice_ask(*, decision: Decision, by: User) -> Decision:
    """The patient asks "What would you advise a family member?": it goes on their next appointment's agenda.

    Only once the options are shared (``PermissionDenied`` before: the patient cannot see a draft).
    Asking twice changes nothing. Once the clinician's view is there, there is nothing left to ask.
    """
    check_is_patient(user=by, patient=decision.patient)
    require_live(decision)
    if decision.status == DecisionStatus.DRAFT:
        raise PermissionDenied
    if decision.advice_at is not None:
        raise ValidationError(_("Your clinician's view is already here, below the options."))
    if decision.advice_asked_at is not None:
        return decision
    with transaction.atomic():
        now = timezone.now()
        decision.advice_asked_at = now
        decision.touch(by=by, at=now)
        save_fields(decision, "advice_asked_at", "last_activity_at", "last_activity_by")
        agenda_item_add(
            patient=decision.patient,
            text=lambda: agenda_text(
                _("What would you advise a family member? About: %(title)s") % {"title": decision.title}
            ),
            source=AgendaSource.DECISION,
            source_ref=f"decision:{decision.pk}:advice",
            raised_by=by,
        )
    return decision


def decision_check_submit(
    *, decision: Decision, by: User, had_a_say, understood_options, told_downsides, comment: str = ""
) -> DecisionCheck:
    """The three-question check after a decision. A low answer raises an alert on the caseload."""
    check_is_patient(user=by, patient=decision.patient)
    if decision.status != DecisionStatus.DECIDED:
        raise ValidationError(_("This check comes after you've made your choice."))
    answers, errors = {}, {}
    for key, value in (
        ("had_a_say", had_a_say),
        ("understood_options", understood_options),
        ("told_downsides", told_downsides),
    ):
        try:
            answers[key] = int(value)
        except (TypeError, ValueError):
            answers[key] = None
        if answers[key] is None or not 0 <= answers[key] <= 4:
            errors[key] = _("Please choose an answer from “not at all” to “completely”.")
    if errors:
        raise ValidationError(errors)
    comment = clean_text(comment, field="comment", limit=2000)
    try:
        with transaction.atomic():
            check = DecisionCheck.objects.create(decision=decision, comment=comment, submitted_by=by, **answers)
            touch(decision, by, check.submitted_at)
            if check.is_low:
                labels = dict(CHECK_SCALE)
                detail = "; ".join(
                    f"{question} {labels[answers[key]].lower()} ({answers[key]}/4)"
                    for key, question in CHECK_QUESTIONS.items()
                )
                Alert.objects.create(
                    patient=decision.patient,
                    decision=decision,
                    kind=AlertKind.DECISION_CHECK,
                    detail=(_("After “%(title)s”: %(detail)s") % {"title": decision.title, "detail": detail})[:500],
                )
    except IntegrityError:
        raise ValidationError(_("You've already answered these questions. Thank you.")) from None
    return check

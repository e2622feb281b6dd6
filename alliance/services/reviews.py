"""Step-back reviews: asking for one, writing it, and the patient's answer.

- Either side may ask (``review_ask``): it waits, unwritten, and goes on the next appointment's agenda.
- A clinician on the care team writes it (``review_write``): what has changed, what hasn't, what they
  think is going on and what to try next, with the patient's own figures kept beside it as they were.
- The patient answers once (``review_reflect``): how it looks from where they are, and anything they
  see differently, which goes on the agenda.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.models import REVIEW_PARTS, StepBackReview
from alliance.models.reviews import REVIEW_TEXT_LIMIT
from alliance.selectors.reviews import review_figures
from alliance.services.record.common import agenda_text, clean_text
from patients.models import Patient, Role, User
from sessions.models import AgendaSource
from sessions.services import agenda_item_add
from sessions.services.access import check_care_team, check_is_patient, check_takes_part

REQUIRED = {
    "what_changed": gettext_lazy("Please say what has changed, even if it's small."),
    "what_hasnt": gettext_lazy("Please say what hasn't changed. Honesty about this helps."),
    "going_on": gettext_lazy("Please say what you think is going on."),
    "try_next": gettext_lazy("Please suggest what to try next."),
}


def review_ask(*, patient: Patient, by: User) -> StepBackReview:
    """The patient or a clinician on their care team asks for a step-back review.

    It waits for the clinician to write it, and goes on the agenda of the patient's next appointment.
    Asking while one is already waiting returns that one and changes nothing. ``PermissionDenied`` for
    anyone else.
    """
    check_takes_part(user=by, patient=patient)
    waiting = StepBackReview.objects.filter(patient=patient, written_at__isnull=True).first()
    if waiting is not None:
        return waiting
    try:
        with transaction.atomic():
            review = StepBackReview.objects.create(patient=patient, asked_by=by, asked_at=timezone.now())

            def text() -> str:
                if by.role == Role.PATIENT:
                    return _("I'd like a step-back review: how things are going overall, and what to try next.")
                return _(
                    "%(name)s would like a step-back review: how things are going overall, and what to try next."
                ) % {"name": by.full_name}

            agenda_item_add(
                patient=patient,
                text=text,
                source=AgendaSource.REVIEW,
                source_ref=f"review:{review.pk}",
                raised_by=by,
            )
    except IntegrityError:
        # Both sides asked at the same moment; the first one stands.
        return StepBackReview.objects.get(patient=patient, written_at__isnull=True)
    return review


def review_write(
    *, patient: Patient, by: User, what_changed: str, what_hasnt: str, going_on: str, try_next: str
) -> StepBackReview:
    """A clinician on the care team writes a step-back review for the patient (``PermissionDenied`` otherwise).

    Every part is needed (``ValidationError`` naming the field). It answers the review that was asked
    for, if one is waiting, and keeps the patient's figures as they are now beside it.
    """
    check_care_team(user=by, patient=patient)
    words = {"what_changed": what_changed, "what_hasnt": what_hasnt, "going_on": going_on, "try_next": try_next}
    fields = {
        name: clean_text(words[name], field=name, limit=REVIEW_TEXT_LIMIT, required=REQUIRED[name])
        for name, _, _ in REVIEW_PARTS
    }
    figures = review_figures(patient=patient, you=True)
    with transaction.atomic():
        review = StepBackReview.objects.select_for_update().filter(
            patient=patient, written_at__isnull=True
        ).first() or StepBackReview(patient=patient)
        for name, value in fields.items():
            setattr(review, name, value)
        review.figures = figures
        review.written_by, review.written_at = by, timezone.now()
        review.save()
    return review


def review_reflect(*, review: StepBackReview, by: User, reflection: str, disagree: str = "") -> StepBackReview:
    """The patient's own answer to a review: how it looks from where they are, and what they see differently.

    Once per review (``ValidationError`` after that); only the patient themself (``PermissionDenied``).
    Anything they disagree with goes on the agenda of their next appointment.
    """
    check_is_patient(user=by, patient=review.patient)
    if review.written_at is None:
        raise PermissionDenied
    if review.reflected_at is not None:
        raise ValidationError(_("You've already answered this review. Thank you."))
    reflection = clean_text(
        reflection,
        field="reflection",
        limit=REVIEW_TEXT_LIMIT,
        required=_("Please say how this looks from where you are. A few words is fine."),
    )
    disagree = clean_text(disagree, field="disagree", limit=REVIEW_TEXT_LIMIT)
    with transaction.atomic():
        updated = StepBackReview.objects.filter(pk=review.pk, reflected_at__isnull=True).update(
            reflection=reflection, disagree=disagree, reflected_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("You've already answered this review. Thank you."))
        if disagree:
            agenda_item_add(
                patient=review.patient,
                text=lambda: agenda_text(
                    _("Something I see differently in the step-back review: %(words)s") % {"words": disagree}
                ),
                source=AgendaSource.REVIEW,
                source_ref=f"review:{review.pk}:disagree",
                raised_by=by,
            )
    review.refresh_from_db()
    return review

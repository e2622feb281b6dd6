"""Subject access requests: open one, have the worker build the complete copy, review, decide, release.

Every change of state goes through these functions, each in one transaction, and each writes an
``AccessRequestEvent`` (who, when, what) beside the change. Only an active clinic admin of the
patient's clinic may act on a request (``PermissionDenied`` otherwise; views reach requests through
selectors that already answer 404 to anyone else). Mistakes a person can correct are
``ValidationError``s keyed by form field.

Files live under ``EXPORT_ROOT`` (as the clinic's exports do), in the clinic's folder: the complete
copy, written by ``access_request_build`` in a Celery task, and the patient's released copy,
written by ``access_request_release``. Both are kept as long as the request: the released copy is
the patient's to download again.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from celery import shared_task
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alliance.exports.my_data import HOW_TO_ASK
from alliance.exports.subject_access import about_complete, subject_access_release, subject_access_write
from alliance.models import (
    AccessDecision,
    AccessEventKind,
    AccessRequest,
    AccessRequestEvent,
    AccessRequestState,
    ExportFormat,
    WithheldItem,
)
from alliance.selectors.access_requests import (
    access_request_complete,
    access_request_file,
    is_clinic_admin_of,
)
from alliance.services.exports import export_record_patient_download
from patients.emails import as_seen_by, zone_note
from patients.models import Patient, Role, User
from patients.services import absolute_url

logger = logging.getLogger(__name__)

REASON_LIMIT = 2000
HOW_LIMIT = 500
NOT_IN_REVIEW = gettext_lazy("This request is no longer being reviewed, so it cannot be changed.")
ALREADY_OPEN = gettext_lazy(
    "There is already an open request for this patient. Please carry on with that one: the clock started "
    "when it was received."
)


def _event(request: AccessRequest, kind: str, by: User | None, detail: str = "") -> AccessRequestEvent:
    """Record one step on the request itself (shown on its page).

    MERGE POINT (branch ``audit``): every step is also a change to a patient-linked row, and
    downloads are reads of patient data; the audit trail's own recording writes its rows here too.
    """
    return AccessRequestEvent.objects.create(request=request, kind=kind, by=by, detail=detail[:2000])


def _require_admin(user: User, request_or_patient) -> None:
    clinic_id = request_or_patient.clinic_id
    if not is_clinic_admin_of(user=user, clinic_id=clinic_id):
        raise PermissionDenied


def _locked(access_request: AccessRequest) -> AccessRequest:
    """The request again, locked for this transaction, so two admins' steps happen one after the other."""
    return AccessRequest.objects.select_for_update().get(pk=access_request.pk)


def access_request_due(*, received_on: date) -> date:
    """The day the answer is due: one calendar month after the day of receipt.

    A calendar day, not a moment, so it reads the same in every zone. 31 January gives 28 (or 29)
    February, as the ICO counts it: the corresponding day, else the last day of the month.
    """
    return received_on + relativedelta(months=1)


def access_request_open(*, user: User, patient: Patient, received_on: date, how_received: str = "") -> AccessRequest:
    """Open a request for ``patient``, received on the calendar day ``received_on`` (as the admin entered
    it), and send the complete copy to be built. Raises ``ValidationError`` for a date ahead of today
    or a second open request.
    """
    _require_admin(user, patient)
    how_received = (how_received or "").strip()
    today = timezone.now().astimezone(user.tzinfo).date()
    if received_on > today:
        raise ValidationError(
            {"received_on": _("Please give the date the request reached the clinic: not a day ahead.")}
        )
    if len(how_received) > HOW_LIMIT:
        raise ValidationError(
            {"how_received": _("Please keep this under %(limit)s characters.") % {"limit": HOW_LIMIT}}
        )
    try:
        with transaction.atomic():
            request = AccessRequest.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                opened_by=user,
                how_received=how_received,
                received_on=received_on,
                due_on=access_request_due(received_on=received_on),
            )
    except IntegrityError:
        raise ValidationError(ALREADY_OPEN) from None
    _event(request, AccessEventKind.OPENED, user, how_received)
    transaction.on_commit(lambda: access_request_dispatch(request_id=request.pk))
    return request


def access_request_dispatch(*, request_id: int) -> bool:
    """Send a request's build to the workers; whether the broker took it.

    If the broker is down the request stays "preparing" with no ``dispatched_at``, and
    ``access_requests_dispatch_unsent`` (beat's every-minute ``exports_dispatch_unsent``) sends it as
    soon as the broker is back.
    """
    # Marked sent before the message exists: a worker that picks it up at once must find nothing of
    # ours still writing to the row.
    AccessRequest.objects.filter(pk=request_id, state=AccessRequestState.PREPARING).update(dispatched_at=timezone.now())
    try:
        access_request_build_task.delay(request_id)
    except Exception:  # the broker being down must not undo the request: it stays "preparing"
        logger.exception(
            "Could not queue subject access request %s; it is sent again once the broker answers", request_id
        )
        AccessRequest.objects.filter(pk=request_id).update(dispatched_at=None)
        return False
    return True


def access_requests_dispatch_unsent() -> int:
    """Send the builds and the patients' emails the broker never took (it was down); how many were sent.

    Rows are locked with ``select_for_update(skip_locked=True)``, so two runs at once never send the
    same one twice; a send that fails stops the run (the broker is still down) and leaves the rest
    for the next one. Building twice would be harmless anyway: only one run claims a request.
    """
    sent = 0
    with transaction.atomic():
        unbuilt = (
            AccessRequest.objects.select_for_update(skip_locked=True)
            .filter(state=AccessRequestState.PREPARING, dispatched_at__isnull=True)
            .order_by("opened_at")
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        for request_id in list(unbuilt):
            if not access_request_dispatch(request_id=request_id):
                return sent
            sent += 1
        untold = (
            AccessRequest.objects.select_for_update(skip_locked=True)
            .filter(state=AccessRequestState.RELEASED, patient_told_at__isnull=True)
            .order_by("released_at")
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        for request_id in list(untold):
            if not access_copy_released_dispatch(request_id=request_id):
                return sent
            sent += 1
    return sent


def access_request_retry(*, user: User, access_request: AccessRequest) -> AccessRequest:
    """Prepare the complete copy again after a build failed (an admin's "Try again").

    Raises ``ValidationError`` when the request is no longer one whose build failed (someone else
    pressed the button first, or it was built meanwhile).
    """
    _require_admin(user, access_request)
    with transaction.atomic():
        request = _locked(access_request)
        if request.state != AccessRequestState.FAILED:
            raise ValidationError(
                _("This copy is no longer waiting to be tried again: the page shows where it is now.")
            )
        request.state = AccessRequestState.PREPARING
        request.dispatched_at = None
        request.save(update_fields=["state", "dispatched_at"])
        _event(request, AccessEventKind.RETRIED, user)
        transaction.on_commit(lambda: access_request_dispatch(request_id=request.pk))
    return request


def access_request_build(*, request_id: int) -> AccessRequest | None:
    """Write the complete copy (the task's body). Safe to run twice: only a request still preparing is built.

    The row is locked while the copy is written. A second run waits for the first and then finds nothing
    to build; so does a run that starts while the request is being sent (``access_requests_dispatch_unsent``
    holds its rows until it commits): waiting, not skipping, is what keeps such a build from being lost.
    """
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("patient__user", "patient__clinic")
            .filter(pk=request_id, state=AccessRequestState.PREPARING)
            .first()
        )
        if request is None:
            return None
        relative = Path(str(request.clinic_id)) / f"access-{uuid.uuid4().hex}.json"
        final = access_request_file(relative=str(relative))
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(final.name + ".part")
        try:
            with partial.open("wb") as out:
                items = subject_access_write(request=request, out=out)
            os.replace(partial, final)
        except Exception:
            logger.exception("Subject access request %s: the copy could not be built", request_id)
            partial.unlink(missing_ok=True)
            request.state = AccessRequestState.FAILED
            request.save(update_fields=["state"])
            _event(request, AccessEventKind.BUILD_FAILED, None)
            return request
        request.state = AccessRequestState.REVIEW
        request.built_at = timezone.now()
        request.complete_path = str(relative)
        request.item_count = items
        request.save(update_fields=["state", "built_at", "complete_path", "item_count"])
        _event(request, AccessEventKind.BUILT, None, _("%(count)s items") % {"count": items})
    return request


@shared_task(name="alliance.tasks.access_request_build", ignore_result=True)
def access_request_build_task(request_id: int) -> None:
    """The worker's half of ``access_request_dispatch``. Kept beside the service that sends it."""
    access_request_build(request_id=request_id)


# How many unsent builds (or emails) one run hands to the broker; the rest wait for the next minute.
DISPATCH_BATCH = 100

# A request still preparing this long after it was sent lost its message (a worker crashed mid-build,
# or the broker lost it): housekeeping sends it again. Building twice is safe (only one run claims it).
REQUEUE_AFTER = timedelta(minutes=5)


def access_requests_requeue(*, now: datetime | None = None) -> int:
    """Send every request still preparing ``REQUEUE_AFTER`` after it was sent (or, never sent, opened) to
    the workers again; returns how many."""
    now = now or timezone.now()
    cutoff = now - REQUEUE_AFTER
    stuck = AccessRequest.objects.filter(
        Q(dispatched_at__lt=cutoff) | Q(dispatched_at__isnull=True, opened_at__lt=cutoff),
        state=AccessRequestState.PREPARING,
    ).values_list("pk", flat=True)
    count = 0
    for request_id in stuck:
        access_request_dispatch(request_id=request_id)
        count += 1
    return count


def _reason(reason: str, *, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    if len(reason) > REASON_LIMIT:
        raise ValidationError({"reason": _("Please keep this under %(limit)s characters.") % {"limit": REASON_LIMIT}})
    return reason


def access_request_withhold(
    *, user: User, access_request: AccessRequest, section: str, item_id: str, reason: str
) -> WithheldItem:
    """Leave one item of the complete copy out of the patient's copy, with the reason they will be given."""
    _require_admin(user, access_request)
    reason = _reason(reason, message=_("Please say why this item is withheld. The patient is told this reason."))
    item_id = (item_id or "").strip()
    with transaction.atomic():
        request = _locked(access_request)
        if request.state != AccessRequestState.REVIEW:
            raise ValidationError(NOT_IN_REVIEW)
        sections = {s["key"]: s for s in access_request_complete(access_request=request)["sections"]}
        if section not in sections:
            raise ValidationError({"section": _("Please choose a section from the list.")})
        found = sections[section]
        if item_id not in {str(row.get("id")) for row in found["rows"]}:
            if item_id:
                message = _("There is no item %(item)s in “%(section)s”. Please use a number from the list above.")
            else:
                message = _(
                    "There is no item with that number in “%(section)s”. Please use a number from the list above."
                )
            raise ValidationError({"item_id": message % {"item": item_id, "section": found["title"]}})
        if WithheldItem.objects.filter(request=request, section=section, item_id=item_id).exists():
            raise ValidationError({"item_id": _("That item is already withheld.")})
        item = WithheldItem.objects.create(
            request=request,
            section=section,
            section_title=found["title"],
            item_id=item_id,
            reason=reason,
            withheld_by=user,
        )
        _event(
            request,
            AccessEventKind.WITHHELD,
            user,
            _("%(section)s, item %(item)s: %(reason)s")
            % {"section": found["title"], "item": item_id, "reason": reason},
        )
    return item


def access_request_restore(*, user: User, access_request: AccessRequest, withheld_id: int) -> None:
    """Put a withheld item back into the patient's copy (while the request is in review)."""
    _require_admin(user, access_request)
    with transaction.atomic():
        request = _locked(access_request)
        if request.state != AccessRequestState.REVIEW:
            raise ValidationError(NOT_IN_REVIEW)
        item = WithheldItem.objects.filter(request=request, pk=withheld_id).first()
        if item is None:
            raise ValidationError(_("That item is not withheld."))
        item.delete()
        _event(
            request,
            AccessEventKind.WITHHELD,
            user,
            _("%(section)s, item %(item)s: put back") % {"section": item.section_title, "item": item.item_id},
        )


def access_request_decide(*, user: User, access_request: AccessRequest, decision: str, reason: str) -> AccessRequest:
    """Record the decision. Refusing closes the request; the patient sees the reason on their data page."""
    _require_admin(user, access_request)
    if decision not in AccessDecision.values:
        raise ValidationError({"decision": _("Please choose one of the three.")})
    if decision in (AccessDecision.PARTIAL, AccessDecision.REFUSE):
        message = (
            _("Please give the reason the items are withheld. The patient is told it.")
            if decision == AccessDecision.PARTIAL
            else _("Please give the reason for refusing. The patient is told it.")
        )
        reason = _reason(reason, message=message)
    else:
        reason = (reason or "").strip()
        if len(reason) > REASON_LIMIT:
            raise ValidationError(
                {"reason": _("Please keep this under %(limit)s characters.") % {"limit": REASON_LIMIT}}
            )
    with transaction.atomic():
        request = _locked(access_request)
        if request.state != AccessRequestState.REVIEW:
            raise ValidationError(NOT_IN_REVIEW)
        now = timezone.now()
        request.decision = decision
        request.decision_reason = reason
        request.decided_by = user
        request.decided_at = now
        fields = ["decision", "decision_reason", "decided_by", "decided_at"]
        if decision == AccessDecision.REFUSE:
            request.state = AccessRequestState.REFUSED
            request.closed_at = now
            fields += ["state", "closed_at"]
        request.save(update_fields=fields)
        label = AccessDecision(decision).label
        _event(request, AccessEventKind.DECIDED, user, f"{label}. {reason}".strip())
        if decision == AccessDecision.REFUSE:
            _event(request, AccessEventKind.REFUSED, user, reason)
    return request


def about_released(*, request: AccessRequest, withheld: int) -> dict:
    """The words at the top of the patient's copy, in the patient's own language (the keys stay English)."""
    about = {**about_complete(request=request)}
    with translation.override(request.patient.user.language or settings.LANGUAGE_CODE):
        about["what_this_is"] = _(
            "Your complete copy of everything Alliance holds about you, from your subject access request, "
            "including your clinicians' private notes. Times are in UTC."
        )
        if withheld:
            about["items_left_out"] = ngettext(
                "Your clinic left %(count)s item out of this copy. Each is listed "
                "under “withheld” at the end of this file, with the reason. If you disagree, please talk to your "
                "clinic; you can also complain to the Information Commissioner's Office (ico.org.uk).",
                "Your clinic left %(count)s items out of this copy. Each is listed "
                "under “withheld” at the end of this file, with the reason. If you disagree, please talk to your "
                "clinic; you can also complain to the Information Commissioner's Office (ico.org.uk).",
                withheld,
            ) % {"count": withheld}
        about["asking_again"] = str(HOW_TO_ASK)
    return about


def access_request_release(*, user: User, access_request: AccessRequest) -> AccessRequest:
    """Write the patient's copy (the complete one less withheld items) and put it on their data page."""
    _require_admin(user, access_request)
    with transaction.atomic():
        request = _locked(access_request)
        if request.state != AccessRequestState.REVIEW:
            raise ValidationError(NOT_IN_REVIEW)
        withheld = list(WithheldItem.objects.filter(request=request).order_by("section", "item_id"))
        if request.decision not in (AccessDecision.FULL, AccessDecision.PARTIAL):
            raise ValidationError(_("Please record your decision before releasing the copy."))
        if request.decision == AccessDecision.FULL and withheld:
            raise ValidationError(
                _(
                    "You decided to release in full, but some items are marked as withheld. Please put them back, "
                    "or record the decision to release with items withheld."
                )
            )
        if request.decision == AccessDecision.PARTIAL and not withheld:
            raise ValidationError(
                _(
                    "You decided to withhold some items, but none are marked. Please mark them, or record the "
                    "decision to release in full."
                )
            )
        complete = access_request_complete(access_request=request)
        relative = Path(str(request.clinic_id)) / f"access-{uuid.uuid4().hex}-released.json"
        final = access_request_file(relative=str(relative))
        partial = final.with_name(final.name + ".part")
        items = [
            {"section": w.section, "section_title": w.section_title, "item_id": w.item_id, "reason": w.reason}
            for w in withheld
        ]
        with partial.open("wb") as out:
            subject_access_release(
                complete=complete,
                withheld=items,
                about=about_released(request=request, withheld=len(items)),
                out=out,
            )
        os.replace(partial, final)
        now = timezone.now()
        request.state = AccessRequestState.RELEASED
        request.released_by = user
        request.released_at = now
        request.released_path = str(relative)
        request.closed_at = now
        request.save(update_fields=["state", "released_by", "released_at", "released_path", "closed_at"])
        _event(
            request,
            AccessEventKind.RELEASED,
            user,
            ngettext("%(count)s item withheld", "%(count)s items withheld", len(items)) % {"count": len(items)}
            if items
            else _("Released in full"),
        )
        transaction.on_commit(lambda: access_copy_released_dispatch(request_id=request.pk))
    return request


def access_copy_released_dispatch(*, request_id: int) -> bool:
    """Send the email telling the patient their copy is waiting to the workers; whether the broker took it.

    If the broker is down the email is not lost: ``patient_told_at`` stays empty and
    ``access_requests_dispatch_unsent`` (every minute) sends it once the broker is back.
    """
    try:
        access_copy_released_notify.delay(request_id)
    except Exception:
        logger.exception("Could not queue the released-copy email for subject access request %s", request_id)
        return False
    AccessRequest.objects.filter(pk=request_id).update(patient_told_at=timezone.now())
    return True


@shared_task(name="alliance.tasks.access_copy_released_notify", acks_late=True, ignore_result=True)
def access_copy_released_notify(request_id: int) -> bool:
    """The worker's half of ``access_copy_released_dispatch``. Kept beside the service that sends it."""
    return access_copy_released_email(request_id=request_id)


def access_copy_released_email(*, request_id: int) -> bool:
    """Tell the patient a copy of their data is waiting in their account: when (in their own time zone)
    and the link to their data page. Nothing about what it contains. False if there is nobody to tell."""
    request = (
        AccessRequest.objects.select_related("patient__user", "clinic")
        .filter(pk=request_id, state=AccessRequestState.RELEASED, patient__user__is_active=True)
        .first()
    )
    if request is None:
        return False
    person = request.patient.user
    with as_seen_by(person):
        context = {
            "person": person,
            "clinic": request.clinic,
            "released_at": timezone.localtime(request.released_at),
            "zone": zone_note(person),
            "link": absolute_url(reverse("alliance:my-data")),
        }
        message = render_to_string("alliance/email/access_copy_released.txt", context)
        subject = _("A copy of your data is waiting in your Alliance account")
    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[person.email],
    )
    return True


def access_copy_open(*, user: User, access_request: AccessRequest) -> BinaryIO:
    """The released copy, for the patient or an admin of their clinic; each download is recorded."""
    own = user.role == Role.PATIENT and access_request.patient.user_id == user.pk
    if not (own or is_clinic_admin_of(user=user, clinic_id=access_request.clinic_id)):
        raise PermissionDenied
    if access_request.state != AccessRequestState.RELEASED:
        raise FileNotFoundError("not released")
    handle = access_request_file(relative=access_request.released_path).open("rb")
    _event(access_request, AccessEventKind.DOWNLOADED, user, _("By the patient") if own else _("By a clinic admin"))
    if own:
        export_record_patient_download(user=user, fmt=ExportFormat.JSON, rows=access_request.item_count or 0)
    return handle

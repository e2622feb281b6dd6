"""Subject access requests, for clinic admins: open, review, decide, release. And the copy's download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.forms.access_requests import AccessRequestOpenForm, ConfirmForm, DecisionForm, WithholdForm
from alliance.models import AccessRequest, AccessRequestState
from alliance.selectors.access_requests import (
    access_copy_get,
    access_request_contents,
    access_request_events,
    access_request_get,
    access_request_withheld,
    access_requests_for_admin,
)
from alliance.services.access_requests import (
    access_copy_open,
    access_request_decide,
    access_request_open,
    access_request_release,
    access_request_restore,
    access_request_retry,
    access_request_withhold,
)
from alliance.services.exports import CONTENT_TYPES
from patients.decorators import clinic_admin_required, role_required
from patients.forms import form_save, form_status
from patients.models import Role
from patients.selectors import patient_get


@clinic_admin_required
@require_GET
def access_requests(request):
    page = Paginator(access_requests_for_admin(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request, "alliance/access_requests/list.html", {"page": page, "tab": "access", "today": timezone.localdate()}
    )


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def access_request_new(request, pk):
    patient = patient_get(user=request.user, pk=pk)
    form = AccessRequestOpenForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: access_request_open(
                user=request.user,
                patient=patient,
                received_on=data["received_on"],
                how_received=data["how_received"],
            ),
        )
    ):
        messages.success(
            request, _("Request opened. The complete copy is being prepared; this page shows when it is ready.")
        )
        return redirect("alliance:access-request", pk=saved.value.pk)
    return render(
        request,
        "alliance/access_requests/new.html",
        {"form": form, "patient": patient, "tab": "access"},
        status=form_status(form),
    )


def _detail(
    request, access_request: AccessRequest, *, withhold=None, decision=None, release=None, restore=None, retry=None
):
    sections = access_request_contents(access_request=access_request)
    withhold = withhold or WithholdForm(sections=sections)
    decision = decision or DecisionForm(
        initial={"decision": access_request.decision or None, "reason": access_request.decision_reason}
    )
    return render(
        request,
        "alliance/access_requests/detail.html",
        {
            "access_request": access_request,
            "sections": sections,
            "withheld": access_request_withheld(access_request=access_request),
            "events": access_request_events(access_request=access_request),
            "withhold_form": withhold,
            "decision_form": decision,
            "release_form": release or ConfirmForm(),
            "restore_form": restore or ConfirmForm(),
            "retry_form": retry or ConfirmForm(),
            "in_review": access_request.state == AccessRequestState.REVIEW,
            "tab": "access",
        },
        status=form_status(withhold, decision, release, restore, retry),
    )


@clinic_admin_required
@require_GET
def access_request_detail(request, pk):
    return _detail(request, access_request_get(user=request.user, pk=pk))


@clinic_admin_required
@require_POST
def access_request_withhold_view(request, pk):
    access_request = access_request_get(user=request.user, pk=pk)
    form = WithholdForm(request.POST, sections=access_request_contents(access_request=access_request))
    if form_save(
        form,
        lambda data: access_request_withhold(
            user=request.user,
            access_request=access_request,
            section=data["section"],
            item_id=data["item_id"],
            reason=data["reason"],
        ),
    ):
        messages.success(request, _("Item withheld. It will not be in the patient's copy, and they will be told why."))
        return redirect("alliance:access-request", pk=pk)
    return _detail(request, access_request, withhold=form)


def _back_with_errors(request, form, pk):
    """A one-button step that could not be taken: back to the request's page, saying why (nothing was
    typed to keep, and a refresh there must not send the step again)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("alliance:access-request", pk=pk)


@clinic_admin_required
@require_POST
def access_request_restore_view(request, pk, item):
    access_request = access_request_get(user=request.user, pk=pk)
    form = ConfirmForm(request.POST)
    if form_save(
        form, lambda data: access_request_restore(user=request.user, access_request=access_request, withheld_id=item)
    ):
        messages.success(request, _("Item put back into the patient's copy."))
        return redirect("alliance:access-request", pk=pk)
    return _back_with_errors(request, form, pk)


@clinic_admin_required
@require_POST
def access_request_decide_view(request, pk):
    access_request = access_request_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if form_save(
        form,
        lambda data: access_request_decide(
            user=request.user, access_request=access_request, decision=data["decision"], reason=data["reason"]
        ),
    ):
        messages.success(request, _("Decision recorded."))
        return redirect("alliance:access-request", pk=pk)
    return _detail(request, access_request, decision=form)


@clinic_admin_required
@require_POST
def access_request_release_view(request, pk):
    access_request = access_request_get(user=request.user, pk=pk)
    form = ConfirmForm(request.POST)
    if form_save(form, lambda data: access_request_release(user=request.user, access_request=access_request)):
        messages.success(request, _("Released. The patient can now download their copy from their data page."))
        return redirect("alliance:access-request", pk=pk)
    return _back_with_errors(request, form, pk)


@clinic_admin_required
@require_POST
def access_request_retry_view(request, pk):
    """ "Try again" after the complete copy could not be prepared."""
    access_request = access_request_get(user=request.user, pk=pk)
    form = ConfirmForm(request.POST)
    if form_save(form, lambda data: access_request_retry(user=request.user, access_request=access_request)):
        messages.success(request, _("We're preparing the copy again. This page shows when it is ready."))
        return redirect("alliance:access-request", pk=pk)
    return _detail(request, access_request, retry=form)


@role_required(Role.PATIENT, Role.CLINIC_ADMIN)
@require_GET
@never_cache  # patient data: no copy in any cache on the way
def access_copy_download(request, pk):
    """The released copy: for the patient it is for, and the admins of their clinic. Anyone else: 404."""
    access_request = access_copy_get(user=request.user, pk=pk)
    try:
        handle = access_copy_open(user=request.user, access_request=access_request)
    except (PermissionDenied, FileNotFoundError):
        raise Http404("No such copy.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"alliance-complete-copy-{access_request.released_at:%Y%m%d}.json",
        content_type=CONTENT_TYPES["json"],
    )

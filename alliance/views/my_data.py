"""A patient's download of everything Alliance holds about them."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from alliance.exports.my_data import HOW_TO_ASK, LEFT_OUT, patient_data_fhir, patient_data_json
from alliance.forms.my_data import AccessQuestionForm
from alliance.models import ExportFormat
from alliance.selectors.access_requests import access_requests_for_patient
from alliance.services.exports import (
    CONTENT_TYPES,
    export_record_patient_download,
)
from alliance.services.record import question_about_access
from patients.decorators import patient_required
from patients.forms import form_save, form_status
from patients.models import ActorRole
from patients.resume import resume_form
from patients.selectors.audit import audit_event_for_patient_get, who_looked_group_size, who_looked_groups


@patient_required
@require_GET
def my_data(request):
    return render(
        request,
        "alliance/my_data/my_data.html",
        {
            "left_out": LEFT_OUT,
            "how_to_ask": HOW_TO_ASK,
            "access_requests": access_requests_for_patient(user=request.user),
        },
    )


def _my_data_download(request, fmt: str, write, suffix: str):
    patient = request.user.patient
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when the download ends
    rows = write(patient=patient, out=out)
    out.seek(0)
    export_record_patient_download(user=request.user, fmt=fmt, rows=rows)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"alliance-my-record-{timezone.localdate():%Y%m%d}{suffix}",
        content_type=CONTENT_TYPES[fmt],
    )


@patient_required
@require_GET
@never_cache
def my_data_json(request):
    return _my_data_download(request, ExportFormat.JSON, patient_data_json, ".json")


@patient_required
@require_GET
@never_cache
def my_data_fhir(request):
    return _my_data_download(request, ExportFormat.FHIR, patient_data_fhir, ".fhir.json")


@patient_required
@require_GET
def who_looked(request):
    """Who has looked at my record: each staff member, their role and the day (how many times that
    day), newest first."""
    groups = who_looked_groups(patient=request.user.patient, tz=request.user.tzinfo)
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    rows = [{**group, "role_label": ActorRole(group["actor_role"]).label} for group in page.object_list]
    return render(request, "alliance/my_data/who_looked.html", {"page": page, "groups": rows})


@resume_form(lambda request, **kwargs: AccessQuestionForm())
@patient_required
@require_http_methods(["GET", "POST"])
def who_looked_ask(request, pk):
    """Ask about one entry: the question goes on the agenda of the patient's next appointment."""
    patient = request.user.patient
    entry = audit_event_for_patient_get(patient=patient, pk=pk)
    times = who_looked_group_size(patient=patient, entry=entry, tz=request.user.tzinfo)
    form = AccessQuestionForm(request.POST or None)
    if request.method == "POST" and form_save(
        form,
        lambda data: question_about_access(
            patient=patient, by=request.user, entry=entry, text=data["text"], times=times
        ),
    ):
        messages.success(
            request,
            _(
                "Thank you for asking. Your question is on the agenda for your next appointment, "
                "and it's in your questions too."
            ),
        )
        return redirect("alliance:who-looked")
    return render(
        request,
        "alliance/my_data/who_looked_ask.html",
        {"entry": entry, "times": times, "form": form},
        status=form_status(form),
    )

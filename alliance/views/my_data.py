"""A patient's download of everything Alliance holds about them."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from alliance.exports.my_data import HOW_TO_ASK, LEFT_OUT, patient_data_fhir, patient_data_json
from alliance.models import ExportFormat
from alliance.selectors.access_requests import access_requests_for_patient
from alliance.services.exports import (
    CONTENT_TYPES,
    export_record_patient_download,
)
from patients.decorators import patient_required


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

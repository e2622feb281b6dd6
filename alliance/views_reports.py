"""Clinic reports and exports (clinic admins), and a patient's download of their own data."""

from __future__ import annotations

import tempfile
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from alliance import charts
from alliance.forms_reports import ExportForm, ReportFilterForm, default_filters
from alliance.models import ExportDelivery, ExportFormat, ExportStatus
from alliance.patient_data import patient_data_fhir, patient_data_json
from alliance.selectors.exports import export_get, exports_for_admin
from alliance.selectors.reports import report_by_clinician, report_overview, report_trends
from alliance.services.exports import (
    CONTENT_TYPES,
    export_create,
    export_file_open,
    export_record_patient_download,
    export_stream,
)
from patients.decorators import clinic_admin_required, patient_required
from patients.forms import apply_errors

# --- reports -------------------------------------------------------------------------------------------


def _report_filters(request, *, with_clinician: bool = True):
    """The filter form and the filters it gives (None while the form has errors)."""
    clinic = request.user.clinic
    form = ReportFilterForm(request.GET or None, clinic=clinic, with_clinician=with_clinician)
    if not form.is_bound:
        return form, default_filters(clinic=clinic)
    if not form.is_valid():
        return form, None
    return form, form.filters()


def _report_page(request, template: str, tab: str, build, *, with_clinician: bool = True):
    form, filters = _report_filters(request, with_clinician=with_clinician)
    context = {"form": form, "tab": tab, "filters": filters}
    if filters is not None:
        context.update(build(filters))
        context["export_query"] = urlencode(filters.as_query())
    return render(request, template, context, status=200 if filters is not None else 400)


@clinic_admin_required
@require_GET
def reports(request):
    return _report_page(
        request,
        "alliance/reports/overview.html",
        "overview",
        lambda filters: {"report": report_overview(user=request.user, filters=filters)},
    )


@clinic_admin_required
@require_GET
def report_clinicians(request):
    return _report_page(
        request,
        "alliance/reports/clinicians.html",
        "clinicians",
        lambda filters: {"report": report_by_clinician(user=request.user, filters=filters)},
        with_clinician=False,
    )


def _month_start(month, tz) -> datetime:
    return datetime.combine(month, time.min, tzinfo=tz)


def _trend_charts(trends) -> dict:
    scope = trends.scope
    tz = scope.filters.tz
    months = trends.months
    mean = [
        (_month_start(m.key, tz), Decimal(str(round(m.mean_total, 1))))
        for m in months
        if m.alliance_enough and m.mean_total is not None
    ]
    median = [
        (_month_start(m.key, tz), Decimal(str(round(m.median_total, 1))))
        for m in months
        if m.alliance_enough and m.median_total is not None
    ]
    alliance_series = [charts.Series("Average (mean)", mean), charts.Series("Middle value (median)", median)]
    rate_series = [
        charts.Series(
            "Sessions with a check-in",
            [(_month_start(m.key, tz), Decimal(m.rate.percent)) for m in months if m.rate_enough and m.sessions],
        )
    ]
    alert_series = [
        charts.Series("Raised", [(_month_start(m.key, tz), Decimal(m.alerts_raised)) for m in months]),
        charts.Series("Acknowledged", [(_month_start(m.key, tz), Decimal(m.alerts_acknowledged)) for m in months]),
        charts.Series("Talked through", [(_month_start(m.key, tz), Decimal(m.alerts_resolved)) for m in months]),
    ]
    most_alerts = max([m.alerts_raised for m in months] + [1])
    low, high = scope.alliance_range
    return {
        "alliance_chart": charts.line_chart(
            chart_id="alliance-trend",
            title="Alliance check-in totals by month",
            description=(
                f"Average and middle {scope.alliance_instrument.name} totals each month, on a scale of "
                f"{low:g} to {high:g}; higher means patients feel the working relationship is stronger. "
                "Months with too few patients to compare are left out. The table below has every figure."
            ),
            series=alliance_series,
            y_min=low,
            y_max=high,
            threshold=scope.threshold,
            threshold_label="threshold for a conversation" if scope.threshold is not None else "",
        ),
        "alliance_legend": charts.legend(alliance_series),
        "rate_chart": charts.line_chart(
            chart_id="rate-trend",
            title="Check-in rate by month",
            description="The percentage of sessions each month that the patient checked in for, from 0 to 100. "
            "The table below has every figure.",
            series=rate_series,
            y_min=Decimal(0),
            y_max=Decimal(100),
        ),
        "rate_legend": charts.legend(rate_series),
        "alerts_chart": charts.line_chart(
            chart_id="alerts-trend",
            title="Alerts by month",
            description="How many alerts were raised each month, and how many of those have been acknowledged "
            "and talked through since. The table below has every figure.",
            series=alert_series,
            y_min=Decimal(0),
            y_max=Decimal(most_alerts),
        ),
        "alerts_legend": charts.legend(alert_series),
    }


@clinic_admin_required
@require_GET
def report_trends_view(request):
    def build(filters):
        trends = report_trends(user=request.user, filters=filters)
        return {"report": trends, **_trend_charts(trends)}

    return _report_page(request, "alliance/reports/trends.html", "trends", build)


# --- exports -------------------------------------------------------------------------------------------


@clinic_admin_required
@require_GET
def exports(request):
    page = Paginator(exports_for_admin(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request, "alliance/reports/exports.html", {"page": page, "tab": "exports", "hours": settings.EXPORT_FILE_HOURS}
    )


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def export_new(request):
    clinic = request.user.clinic
    if request.method == "POST":
        form = ExportForm(request.POST, clinic=clinic)
    else:
        # Links from a report carry its filters; anything unusable is simply not filled in.
        initial = {key: value for key, value in request.GET.items() if key in ExportForm.base_fields}
        form = ExportForm(initial=initial, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        try:
            export = export_create(
                user=request.user,
                dataset=form.cleaned_data["dataset"],
                fmt=form.cleaned_data["format"],
                identified=form.identified_value,
                purpose=form.cleaned_data["purpose"],
                filters=form.filters(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if export.delivery == ExportDelivery.STREAMED:
                response = FileResponse(
                    export_stream(export=export),
                    as_attachment=True,
                    filename=export.file_name,
                    content_type=CONTENT_TYPES[export.format],
                )
                add_never_cache_headers(response)
                return response
            messages.info(
                request,
                f"That is {export.rows_expected:,} rows, so we're preparing the file in the background. "
                "You can leave this page and come back to it from Exports.",
            )
            return redirect("alliance:export", pk=export.pk)
    return render(
        request,
        "alliance/reports/export_new.html",
        {"form": form, "tab": "exports"},
        status=400 if form.errors else 200,
    )


@clinic_admin_required
@require_GET
def export_detail(request, pk):
    export = export_get(user=request.user, pk=pk)
    return render(
        request,
        "alliance/reports/export_detail.html",
        {
            "export": export,
            "tab": "exports",
            "mine": export.requested_by_id == request.user.pk,
            "hours": settings.EXPORT_FILE_HOURS,
        },
    )


@clinic_admin_required
@require_GET
@never_cache
def export_progress(request, pk):
    """The export's progress as JSON, for the progress bar's script (static/js/export-progress.js)."""
    export = export_get(user=request.user, pk=pk)
    mine = export.requested_by_id == request.user.pk
    return JsonResponse(
        {
            "status": export.status,
            "status_label": export.get_status_display(),
            "finished": export.is_finished,
            "rows_written": export.rows_written,
            "rows_expected": export.rows_expected,
            "percent": export.percent,
            "download_url": reverse("alliance:export-download", args=[export.pk])
            if mine and export.status == ExportStatus.READY
            else None,
            "error": export.error,
        }
    )


@clinic_admin_required
@require_GET
@never_cache  # patient data: no copy in any cache on the way
def export_download(request, pk):
    export = export_get(user=request.user, pk=pk)
    try:
        handle = export_file_open(export=export, user=request.user)
    except PermissionDenied:
        # Only the person who asked for a file may take it: the record names who has the data.
        raise Http404("No such export.") from None
    except FileNotFoundError:
        context = {"export": export, "tab": "exports", "hours": settings.EXPORT_FILE_HOURS}
        return render(request, "alliance/reports/export_gone.html", context, status=410)
    return FileResponse(
        handle, as_attachment=True, filename=export.file_name, content_type=CONTENT_TYPES[export.format]
    )


# --- a patient's own data ----------------------------------------------------------------------------


@patient_required
@require_GET
def my_data(request):
    return render(request, "alliance/reports/my_data.html")


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

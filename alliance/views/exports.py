"""Exports, for clinic admins: asking for one, following its progress, downloading the file."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from alliance.forms.exports import ExportForm
from alliance.models import ExportDelivery, ExportStatus
from alliance.selectors.exports import export_get, exports_for_admin
from alliance.services.exports import (
    CONTENT_TYPES,
    export_create,
    export_file_open,
    export_stream,
)
from patients.decorators import clinic_admin_required
from patients.forms import form_save


@clinic_admin_required
@require_GET
def exports(request):
    page = Paginator(exports_for_admin(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request, "alliance/exports/list.html", {"page": page, "tab": "exports", "hours": settings.EXPORT_FILE_HOURS}
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
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: export_create(
                user=request.user,
                dataset=data["dataset"],
                fmt=data["format"],
                identified=form.identified_value,
                purpose=data["purpose"],
                filters=form.filters(),
            ),
        )
    ):
        export = saved.value
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
            _(
                "That is %(rows)s rows, so we're preparing the file in the background. "
                "You can leave this page and come back to it from Exports."
            )
            % {"rows": f"{export.rows_expected:,}"},
        )
        return redirect("alliance:export", pk=export.pk)
    return render(
        request,
        "alliance/exports/new.html",
        {"form": form, "tab": "exports"},
        status=400 if form.errors else 200,
    )


@clinic_admin_required
@require_GET
def export_detail(request, pk):
    export = export_get(user=request.user, pk=pk)
    return render(
        request,
        "alliance/exports/detail.html",
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
        return render(request, "alliance/exports/gone.html", context, status=410)
    return FileResponse(
        handle, as_attachment=True, filename=export.file_name, content_type=CONTENT_TYPES[export.format]
    )

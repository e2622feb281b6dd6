"""The prep sheet for one appointment: a page that prints on one or two A4 pages, and the same as a PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.exports.pdf import PdfUnavailable, html_to_pdf
from alliance.selectors.prep import prep_sheet_for
from alliance.views import charts
from sessions.selectors import care_session_get
from sessions.services.plans import patient_today
from sessions.views.access import PARTNERS, allow

STYLESHEETS = ["css/prep-sheet.css"]


def _context(request, pk) -> dict:
    care_session = care_session_get(user=request.user, pk=pk)
    allow(request, *PARTNERS)
    sheet = prep_sheet_for(
        user=request.user, care_session=care_session, today=patient_today(patient=care_session.patient)
    )
    low, high = sheet.alliance_range
    chart = charts.line_chart(
        chart_id="prep-alliance-chart",
        title=_("Alliance check-ins since the last session"),
        description=_(
            "Totals from %(low)s to %(high)s; higher means the working relationship feels stronger. "
            "The same numbers are in the table beside it."
        )
        % {"low": f"{low:g}", "high": f"{high:g}"},
        series=[charts.Series(_("Alliance total"), [(p.at, p.value) for p in sheet.alliance_points])],
        y_min=low,
        y_max=high,
    )
    return {"sheet": sheet, "care_session": care_session, "chart": chart, "printed_at": timezone.now()}


def prep_sheet(request, pk):
    return render(request, "alliance/prep/sheet.html", _context(request, pk))


def prep_sheet_pdf(request, pk):
    """The sheet as a PDF download. If this server cannot make PDFs, a page says so (503), with the way to
    print the sheet from the browser instead."""
    context = _context(request, pk)
    html = render_to_string("alliance/prep/sheet_pdf.html", context, request)
    try:
        pdf = html_to_pdf(html, stylesheets=STYLESHEETS)
    except PdfUnavailable:
        return render(request, "alliance/prep/pdf_unavailable.html", context, status=503)
    day = timezone.localtime(context["care_session"].starts_at).date()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="prep-sheet-{day:%Y-%m-%d}.pdf"'
    return response

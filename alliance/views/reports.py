"""Clinic reports, for clinic admins: the overview, clinicians side by side, and month by month."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alliance.forms.reports import ReportFilterForm, default_filters
from alliance.models import AlertStatus
from alliance.selectors.reports import report_by_clinician, report_overview, report_trends
from alliance.views import charts
from patients.decorators import clinic_admin_required


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
    alliance_series = [charts.Series(_("Average (mean)"), mean), charts.Series(_("Middle value (median)"), median)]
    rate_series = [
        charts.Series(
            _("Sessions with a check-in"),
            [(_month_start(m.key, tz), Decimal(m.rate.percent)) for m in months if m.rate_enough and m.sessions],
        )
    ]
    # Every state an alert can be in (AlertStatus), each on its own line, with the month's total.
    alert_series = [
        charts.Series(_("Raised (all)"), [(_month_start(m.key, tz), Decimal(m.alerts_raised)) for m in months]),
        charts.Series(
            _("%(status)s (not acknowledged yet)") % {"status": AlertStatus.OPEN.label},
            [(_month_start(m.key, tz), Decimal(m.alerts_still_new)) for m in months],
        ),
        charts.Series(
            _("%(status)s, not talked through yet") % {"status": AlertStatus.ACKNOWLEDGED.label},
            [(_month_start(m.key, tz), Decimal(m.alerts_acknowledged_only)) for m in months],
        ),
        charts.Series(
            AlertStatus.RESOLVED.label, [(_month_start(m.key, tz), Decimal(m.alerts_resolved)) for m in months]
        ),
    ]
    most_alerts = max([m.alerts_raised for m in months] + [1])
    low, high = scope.alliance_range
    return {
        "alliance_chart": charts.line_chart(
            chart_id="alliance-trend",
            title=_("Alliance check-in totals by month"),
            description=_(
                "Average and middle %(instrument)s totals each month, on a scale of "
                "%(low)s to %(high)s; higher means patients feel the working relationship is stronger. "
                "Months with too few patients to compare are left out. The table below has every figure."
            )
            % {"instrument": scope.alliance_instrument.name, "low": f"{low:g}", "high": f"{high:g}"},
            series=alliance_series,
            y_min=low,
            y_max=high,
            threshold=scope.threshold,
            threshold_label=_("threshold for a conversation") if scope.threshold is not None else "",
        ),
        "alliance_legend": charts.legend(alliance_series),
        "rate_chart": charts.line_chart(
            chart_id="rate-trend",
            title=_("Check-in rate by month"),
            description=_(
                "The percentage of sessions each month that the patient checked in for, from 0 to 100. "
                "The table below has every figure."
            ),
            series=rate_series,
            y_min=Decimal(0),
            y_max=Decimal(100),
        ),
        "rate_legend": charts.legend(rate_series),
        "alerts_chart": charts.line_chart(
            chart_id="alerts-trend",
            title=_("Alerts by month"),
            description=_(
                "How many alerts were raised each month, and where those alerts are now: still new, "
                "acknowledged but not talked through yet, or talked through. The table below has every figure."
            ),
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

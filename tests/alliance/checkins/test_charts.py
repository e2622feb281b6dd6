"""The SVG charts: a label never sits under a line, one day's check-ins get one date, and the alerts
chart shows every state an alert can be in."""

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.models import Alert, AlertStatus
from alliance.services.alerts import alert_acknowledge
from alliance.services.checkins import checkin_submit
from alliance.views import charts
from tests.helpers import visible_text

LABEL = "worth a conversation below this line"


def _series(*values):
    now = timezone.now()
    return charts.Series(
        "Yours", [(now - timedelta(days=7 * (len(values) - i)), Decimal(v)) for i, v in enumerate(values)]
    )


def _segments(chart):
    segments = []
    for line in chart.lines:
        coords = [tuple(float(n) for n in pair.split(",")) for pair in line.path.split()]
        segments += list(itertools.pairwise(coords))
    return segments


def _chart(*values):
    return charts.line_chart(
        chart_id="c",
        title="t",
        description="d",
        series=[_series(*values)],
        y_min=Decimal(0),
        y_max=Decimal(40),
        threshold=Decimal(28),
        threshold_label=LABEL,
    )


@pytest.mark.parametrize(
    ("values", "anchor", "below"),
    [
        # A line just above the threshold all the way: the label goes under the dotted line.
        ((30, 30, 30, 30, 30), "end", True),
        # A line just below it all the way: the label goes over it.
        ((26, 26, 26, 26, 26), "end", False),
        # A line that rises near the right end: the label moves to the left end.
        ((26, 26, 26, 26, 35), "start", False),
    ],
)
def test_the_threshold_label_is_placed_clear_of_every_line(values, anchor, below):
    chart = _chart(*values)
    assert chart.threshold["drawn"]
    assert chart.threshold["anchor"] == anchor
    assert (float(chart.threshold["label_y"]) > float(chart.threshold["y"])) is below
    assert not any(charts._crosses(chart.threshold["box"], segment) for segment in _segments(chart))
    assert LABEL in str(chart)


def test_a_line_that_zigzags_across_the_threshold_leaves_the_label_to_the_legend():
    chart = _chart(20, 36, 20, 36, 20)
    assert not chart.threshold["drawn"]
    svg = str(chart)
    assert LABEL not in svg and 'stroke-dasharray="3 3"' in svg, "the dotted line itself is still drawn"


def test_a_label_the_old_way_would_have_sat_on_the_line():
    """The old place, just above the threshold at the right end, is under a line flat at 30 out of 40."""
    chart = charts.line_chart(
        chart_id="c",
        title="t",
        description="d",
        series=[_series(30, 30, 30)],
        y_min=Decimal(0),
        y_max=Decimal(40),
        threshold=Decimal(28),
        threshold_label=LABEL,
    )
    y = float(chart.threshold["y"])
    old = charts.label_box(LABEL, x=charts.WIDTH - charts.RIGHT, y=y - 6, anchor="end")
    assert any(charts._crosses(old, segment) for segment in _segments(chart))
    assert (chart.threshold["label_y"], chart.threshold["anchor"]) != (f"{y - 6:.1f}", "end")


def test_the_label_is_drawn_after_the_lines_with_a_halo():
    chart = charts.line_chart(
        chart_id="c",
        title="t",
        description="d",
        series=[_series(30, 20, 30)],
        y_min=Decimal(0),
        y_max=Decimal(40),
        threshold=Decimal(28),
        threshold_label=LABEL,
    )
    svg = str(chart)
    assert svg.rindex("<polyline") < svg.index(LABEL)
    assert 'paint-order="stroke"' in svg


def test_one_days_check_ins_get_one_date_under_them():
    now = timezone.now()
    chart = charts.line_chart(
        chart_id="c",
        title="t",
        description="d",
        series=[charts.Series("Yours", [(now, Decimal(20))])],
        y_min=Decimal(0),
        y_max=Decimal(40),
    )
    assert [d["anchor"] for d in chart.dates] == ["middle"]
    assert len(re.findall(r"<text[^>]*text-anchor=\"middle\"", str(chart))) == 1


@pytest.mark.django_db
def test_the_alerts_chart_shows_every_state(client, cast):
    low = {"relationship": 2, "goals": 2, "approach": 2, "overall": 2}
    checkin_submit(patient=cast.alice, care_session=None, alliance_answers=low, pain_answers={})
    alerts = list(Alert.objects.filter(patient=cast.alice))
    assert len(alerts) >= 2
    alert_acknowledge(alert=alerts[0], by=cast.bob.user, note="")
    client.force_login(cast.dave.user)
    text = visible_text(client.get(reverse("alliance:report-trends")))
    legend = text.split("Alerts", 1)[1]
    for state in AlertStatus:
        assert str(state.label) in legend
    assert "New (not acknowledged yet)" in legend and "Acknowledged, not talked through yet" in legend
    assert "Still new" in legend

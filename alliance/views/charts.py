"""Line charts drawn as SVG on the server: no JavaScript, nothing to download, readable under CSP.

This module works out the geometry; ``alliance/charts/line.html`` draws it. Each chart is an
``<svg role="img">`` with a title and description, and the page always shows the same numbers in a
table beside it. Series are told apart by line style and marker shape as well as colour, so the
chart never relies on colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from alliance.numbers import number

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 24, 48
STYLES = [
    {"stroke": "#0b5c6b", "dash": "", "marker": "circle"},
    {"stroke": "#8a3b12", "dash": "6 4", "marker": "square"},
    {"stroke": "#4b3f99", "dash": "2 3", "marker": "triangle"},
    {"stroke": "#2f6b1f", "dash": "10 3 2 3", "marker": "diamond"},
]
# The markers' shapes as the legend names them: "Dashed line, square markers: …".
MARKER_NAMES = {
    "circle": pgettext_lazy("marker shape", "circle"),
    "square": pgettext_lazy("marker shape", "square"),
    "triangle": pgettext_lazy("marker shape", "triangle"),
    "diamond": pgettext_lazy("marker shape", "diamond"),
}


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[datetime, Decimal]]


@dataclass(frozen=True)
class Line:
    """One series as the template draws it: a polyline (when there are two points or more) and markers."""

    stroke: str
    dash: str
    marker: str
    path: str
    markers: list[dict]


@dataclass
class LineChart:
    """A chart ready to draw. Falsy when it has no points, so ``{{ chart|default:"…" }}`` works."""

    chart_id: str
    title: str
    description: str
    gridlines: list[dict] = field(default_factory=list)
    threshold: dict | None = None
    dates: list[dict] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT

    template_name = "alliance/charts/line.html"

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __html__(self) -> SafeString:
        return SafeString(render_to_string(self.template_name, {"chart": self})) if self else SafeString("")

    def __str__(self) -> str:
        return self.__html__()


def _marker(kind: str, x: float, y: float) -> dict:
    """The marker's shape as SVG attributes: a circle, or a polygon's points."""
    if kind == "square":
        return {"kind": "rect", "x": f"{x - 5.5:.1f}", "y": f"{y - 5.5:.1f}"}
    if kind == "triangle":
        return {"kind": "polygon", "points": f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"}
    if kind == "diamond":
        return {
            "kind": "polygon",
            "points": f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}",
        }
    return {"kind": "circle", "cx": f"{x:.1f}", "cy": f"{y:.1f}"}


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: list[Series],
    y_min: Decimal,
    y_max: Decimal,
    threshold: Decimal | None = None,
    threshold_label: str = "",
) -> LineChart:
    """Place each series' points on a ``WIDTH`` × ``HEIGHT`` canvas, times across and values up."""
    chart = LineChart(chart_id=chart_id, title=title, description=description)
    points = [p for s in series for p in s.points]
    if not points:
        return chart
    times = [p[0].timestamp() for p in points]
    t0, t1 = min(times), max(times)
    if t1 == t0:
        t0, t1 = t0 - 86400, t1 + 86400
    lo, hi = float(y_min), float(y_max)
    span = (hi - lo) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(moment: datetime) -> float:
        return LEFT + (moment.timestamp() - t0) / (t1 - t0) * plot_w

    def y_of(value) -> float:
        return TOP + plot_h - (float(value) - lo) / span * plot_h

    for i in range(5):
        value = lo + span * i / 4
        chart.gridlines.append(
            {"y": f"{y_of(value):.1f}", "label_y": f"{y_of(value) + 4:.1f}", "label": number(value, 2)}
        )
    first, last = min(p[0] for p in points), max(p[0] for p in points)
    if timezone.localdate(first) == timezone.localdate(last):
        # One day's check-ins: one date, under them, rather than the same date twice on top of itself.
        chart.dates.append({"x": f"{x_of(first):.1f}", "anchor": "middle", "moment": timezone.localtime(first)})
    else:
        for moment, anchor in ((first, "start"), (last, "end")):
            chart.dates.append({"x": f"{x_of(moment):.1f}", "anchor": anchor, "moment": timezone.localtime(moment)})
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for index, item in enumerate(series):
        style = STYLES[index % len(STYLES)]
        coords = [(x_of(moment), y_of(value)) for moment, value in sorted(item.points)]
        if not coords:
            continue
        chart.lines.append(
            Line(
                stroke=style["stroke"],
                dash=style["dash"],
                marker=style["marker"],
                path=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords) if len(coords) > 1 else "",
                markers=[_marker(style["marker"], x, y) for x, y in coords],
            )
        )
        # A lone point is a segment of no length: its marker still must not sit over a label.
        segments += list(pairwise(coords)) or [(coords[0], coords[0])]
    if threshold is not None:
        y = y_of(threshold)
        chart.threshold = {"y": f"{y:.1f}", "label": threshold_label}
        if threshold_label:
            chart.threshold.update(_label_place(threshold_label, y, segments, top=TOP, bottom=TOP + plot_h))
        else:
            chart.threshold["drawn"] = False
    return chart


LABEL_SIZE = 16  # the font size of a label inside the plot
MARKER_REACH = 7  # how far a marker reaches from its point, with a little room


def label_box(
    text: str, *, x: float, y: float, anchor: str, size: int = LABEL_SIZE
) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) a label of ``text`` takes when drawn at baseline ``y``.

    A generous guess (0.6 of the font size per character), so a label placed clear of the lines
    by this box is clear of them on screen.
    """
    width = len(text) * size * 0.6
    left = x - width if anchor == "end" else x
    return left, y - size, left + width, y + size * 0.3


def _crosses(box, segment) -> bool:
    """Whether a line segment (with its markers' reach) passes through a box."""
    left, top, right, bottom = box
    left, top, right, bottom = left - MARKER_REACH, top - MARKER_REACH, right + MARKER_REACH, bottom + MARKER_REACH
    (x1, y1), (x2, y2) = segment
    steps = max(1, int(max(abs(x2 - x1), abs(y2 - y1)) / 2))
    return any(
        left <= x1 + (x2 - x1) * i / steps <= right and top <= y1 + (y2 - y1) * i / steps <= bottom
        for i in range(steps + 1)
    )


def _label_place(text: str, y: float, segments, *, top: float, bottom: float) -> dict:
    """Where the threshold's label goes: just above or just below its line, at the right end, the
    left end or the middle, whichever is first clear of every line and marker.

    When the lines leave no clear place beside the threshold, the label is not drawn in the chart
    at all (``drawn`` is False): the legend under every chart names the dotted line in words, so
    nothing is lost, and no label ever sits under a line.
    """
    width = len(text) * LABEL_SIZE * 0.6
    middle = LEFT + (WIDTH - RIGHT - LEFT - width) / 2
    for anchor, x in (("end", WIDTH - RIGHT), ("start", LEFT + 4), ("start", middle)):
        for baseline in (y - 6, y + LABEL_SIZE + 4):
            if baseline - LABEL_SIZE < top - 20 or baseline > bottom + 20:
                continue
            box = label_box(text, x=x, y=baseline, anchor=anchor)
            if not any(_crosses(box, segment) for segment in segments):
                return {
                    "label_x": f"{x:.1f}",
                    "label_y": f"{baseline:.1f}",
                    "anchor": anchor,
                    "box": box,
                    "drawn": True,
                }
    return {"drawn": False}


def legend(series: list[Series]) -> list[dict]:
    """What the template needs to draw a legend that matches each line's style."""
    return [
        {
            "name": s.name,
            "marker": MARKER_NAMES[STYLES[i % len(STYLES)]["marker"]],
            "dashed": bool(STYLES[i % len(STYLES)]["dash"]),
        }
        for i, s in enumerate(series)
    ]

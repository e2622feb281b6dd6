"""Line charts drawn as SVG on the server: no JavaScript, nothing to download, readable by CSP.

Each chart is an ``<svg role="img">`` with a title and description; the page always shows the same
numbers in a table beside it. Series are told apart by line style and marker shape as well as
colour, so the chart does not rely on colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 24, 48
STYLES = [
    {"stroke": "#0b5c6b", "dash": "", "marker": "circle"},
    {"stroke": "#8a3b12", "dash": "6 4", "marker": "square"},
    {"stroke": "#4b3f99", "dash": "2 3", "marker": "triangle"},
    {"stroke": "#2f6b1f", "dash": "10 3 2 3", "marker": "diamond"},
]


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[datetime, Decimal]]


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11" fill="{colour}"/>'
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>'
        )
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" '
            f'fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>'


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
) -> SafeString:
    points = [p for s in series for p in s.points]
    if not points:
        return SafeString("")
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

    parts: list[str] = []
    for i in range(5):
        value = lo + span * i / 4
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d4d9"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="18" fill="#333">{value:g}</text>'
        )
    if threshold is not None:
        y = y_of(threshold)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#6b6b6b" stroke-dasharray="3 3"/>'
        )
        if threshold_label:
            parts.append(
                f'<text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" text-anchor="end" font-size="16" fill="#444">'
                f"{escape(threshold_label)}</text>"
            )
    first, last = min(p[0] for p in points), max(p[0] for p in points)
    for moment, anchor in ((first, "start"), (last, "end")):
        local = timezone.localtime(moment)
        parts.append(
            f'<text x="{x_of(moment):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" font-size="18" fill="#333">'
            f"{local:%d %b %Y}</text>"
        )
    for index, item in enumerate(series):
        style = STYLES[index % len(STYLES)]
        coords = [(x_of(moment), y_of(value)) for moment, value in sorted(item.points)]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{style["stroke"]}" stroke-width="3"{dash}/>')
        parts.extend(_marker(style["marker"], x, y, style["stroke"]) for x, y in coords)

    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe("".join(parts)),  # noqa: S308 - built above from numbers and escaped text only
    )
    return svg


def legend(series: list[Series]) -> list[dict]:
    """What the template needs to draw a legend that matches each line's style."""
    return [
        {"name": s.name, "marker": STYLES[i % len(STYLES)]["marker"], "dashed": bool(STYLES[i % len(STYLES)]["dash"])}
        for i, s in enumerate(series)
    ]

"""Plain-language sentences about change over time, for the progress pages.

They describe; they never judge. A rise in pain is stated as plainly as a fall, with an invitation
to talk about it rather than a verdict.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.dateformat import format as date_format

from alliance.selectors.checkins import Point


def _num(value: Decimal) -> str:
    value = Decimal(value).quantize(Decimal("0.1"))
    return f"{value:.0f}" if value == value.to_integral() else f"{value:.1f}"


def _when(point: Point) -> tuple[str, str]:
    local = timezone.localtime(point.at)
    now = timezone.localtime()
    if (now - local).days < 28:
        return "on", date_format(local, "j F")
    if local.year == now.year:
        return "in", date_format(local, "F")
    return "in", date_format(local, "F Y")


def change_sentence(
    label: str, points: list[Point], *, lower_is_better: bool, out_of: Decimal | None = None, invite: bool = False
) -> str:
    """e.g. "Interference with general activity has come down from 7 to 5 since March."."""
    if not points:
        return ""
    first, latest = points[0], points[-1]
    suffix = f" out of {_num(out_of)}" if out_of is not None else ""
    preposition, when = _when(first)
    if len(points) == 1:
        return f"{label} was {_num(first.value)}{suffix} {preposition} {when}."
    before, after = _num(first.value), _num(latest.value)
    if before == after:
        return f"{label} is {after}{suffix}, the same as {preposition} {when}."
    direction = "come down" if latest.value < first.value else "gone up"
    sentence = f"{label} has {direction} from {before} to {after}{suffix} since {when}."
    if invite and (latest.value > first.value) == lower_is_better:
        sentence += " It may help to talk this through with your care team."
    return sentence

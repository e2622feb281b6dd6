"""A patient's scores over time, for both sides' progress pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateformat import format as date_format

from alliance.models import Answer, Purpose, Respondent, Response
from alliance.numbers import number
from patients.models import Patient


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal
    care_session_id: int | None = None


@dataclass(frozen=True)
class ItemSeries:
    key: str
    text: str
    points: list[Point]


@dataclass(frozen=True)
class Progress:
    patient_alliance: list[Point]
    clinician_alliance: list[Point]
    pain_total: list[Point]
    pain_items: list[ItemSeries]
    alliance_range: tuple[Decimal, Decimal]
    pain_range: tuple[Decimal, Decimal]
    alliance_threshold: Decimal | None


def progress_for_patient(*, patient: Patient, include_clinician: bool) -> Progress:
    """All of a patient's alliance and pain-check scores, oldest first, in a fixed number of queries."""
    from alliance.instruments.scoring import total_range

    responses = list(
        Response.objects.filter(patient=patient, superseded_by__isnull=True)
        .filter(instrument__purpose__in=(Purpose.ALLIANCE, Purpose.PAIN))
        .select_related("version", "instrument")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("pk")))
        .order_by("submitted_at", "pk")
    )
    patient_alliance, clinician_alliance, pain_total = [], [], []
    pain_item_points: dict[str, list[Point]] = {}
    pain_item_text: dict[str, str] = {}
    alliance_range = (Decimal(0), Decimal(40))
    pain_range = (Decimal(0), Decimal(10))
    threshold = None
    for response in responses:
        if response.total is None:
            continue
        point = Point(response.submitted_at, response.total, response.care_session_id)
        definition = response.version.definition
        if response.instrument.purpose == Purpose.ALLIANCE:
            if response.respondent_role == Respondent.PATIENT:
                patient_alliance.append(point)
                alliance_range = total_range(definition)
                threshold = definition.get("thresholds", {}).get("total_below", threshold)
            elif include_clinician:
                clinician_alliance.append(point)
        elif response.respondent_role == Respondent.PATIENT:
            pain_total.append(point)
            pain_range = total_range(definition)
            for item in definition["items"]:
                pain_item_text[item["key"]] = item.get("label") or item["text"]
            for answer in response.answers.all():
                if answer.value is not None:
                    pain_item_points.setdefault(answer.item_key, []).append(
                        Point(response.submitted_at, Decimal(answer.value), response.care_session_id)
                    )
    return Progress(
        patient_alliance=patient_alliance,
        clinician_alliance=clinician_alliance,
        pain_total=pain_total,
        pain_items=[ItemSeries(key, pain_item_text.get(key, key), pts) for key, pts in pain_item_points.items()],
        alliance_range=alliance_range,
        pain_range=pain_range,
        alliance_threshold=Decimal(str(threshold)) if threshold is not None else None,
    )


# --- Plain-language sentences about change over time: they describe, they never judge. ---


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
    suffix = f" out of {number(out_of)}" if out_of is not None else ""
    preposition, when = _when(first)
    if len(points) == 1:
        return f"{label} was {number(first.value)}{suffix} {preposition} {when}."
    before, after = number(first.value), number(latest.value)
    if before == after:
        return f"{label} is {after}{suffix}, the same as {preposition} {when}."
    direction = "come down" if latest.value < first.value else "gone up"
    sentence = f"{label} has {direction} from {before} to {after}{suffix} since {when}."
    if invite and (latest.value > first.value) == lower_is_better:
        sentence += " It may help to talk this through with your care team."
    return sentence

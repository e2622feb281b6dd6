"""A patient's scores over time, for both sides' progress pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateformat import format as date_format

from alliance.instruments.scoring import minimal_important_difference
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


# --- Plain-language sentences about change over time: they describe honestly, they never judge. ---
#
# A change smaller than the measure's minimal important difference (its "MID", a tenth of its
# range: 1 point on the pain check's 0–10 average) is within the everyday ups and downs and is
# never called an improvement or a decline; a change of the MID or more is said to be better or
# worse. A fall or a rise is always named as such, whatever its size.


class Change:
    SAME = "same"  # the figure is the same, as shown
    WITHIN = "within"  # it moved, by less than the MID
    BETTER = "better"
    WORSE = "worse"


def change_kind(before: Decimal, after: Decimal, *, lower_is_better: bool, mid: Decimal) -> str:
    """What a move from ``before`` to ``after`` is, for a measure with minimal important difference ``mid``.

    Returns one of ``Change.SAME`` (the same as shown, to one decimal place), ``Change.WITHIN``
    (a move smaller than ``mid``), ``Change.BETTER`` or ``Change.WORSE`` (a move of ``mid`` or more).
    """
    if number(before) == number(after):
        return Change.SAME
    delta = Decimal(after) - Decimal(before)
    if abs(delta) < Decimal(mid):
        return Change.WITHIN
    return Change.BETTER if (delta < 0) == lower_is_better else Change.WORSE


def _when(point: Point) -> tuple[str, str]:
    local = timezone.localtime(point.at)
    now = timezone.localtime()
    if (now - local).days < 28:
        return "on", date_format(local, "j F")
    if local.year == now.year:
        return "in", date_format(local, "F")
    return "in", date_format(local, "F Y")


def _points_word(value: Decimal) -> str:
    return f"{number(value)} point{'' if Decimal(value) == 1 else 's'}"


def _verdict(kind: str, mid: Decimal) -> str:
    if kind == Change.WITHIN:
        return f"a change smaller than {_points_word(mid)}, so within the usual ups and downs: about the same"
    if kind == Change.BETTER:
        return "better, by more than the usual ups and downs"
    return "worse, by more than the usual ups and downs"


def change_sentence(
    label: str,
    points: list[Point],
    *,
    lower_is_better: bool,
    mid: Decimal,
    out_of: Decimal | None = None,
    invite: bool = False,
) -> str:
    """The latest figure against the check-in before it and against the first, in plain words.

    ``points`` are oldest first; ``mid`` is the measure's minimal important difference (see
    ``change_kind``). With one point it says there is nothing to compare yet. With two or more it
    names the direction of the latest move ("has come down from 7 to 5") and whether it is better,
    worse, or within the usual ups and downs; with three or more it also compares with the first
    check-in, so a drop is never hidden by a figure that happens to match an older one. When
    ``invite`` is set and anything is worse by the MID or more, it offers a conversation.
    Returns "" for no points.
    """
    if not points:
        return ""
    first, latest = points[0], points[-1]
    suffix = f" out of {number(out_of)}" if out_of is not None else ""
    preposition, when = _when(first)
    if len(points) == 1:
        return (
            f"{label} was {number(first.value)}{suffix} {preposition} {when}. "
            "That is the only check-in so far, so there is nothing to compare it with yet."
        )
    previous = points[-2]
    after, before = number(latest.value), number(previous.value)
    since = (
        f"since the check-in on {date_format(timezone.localtime(previous.at), 'j F')}"
        if len(points) > 2
        else f"since {when}"
    )
    recent = change_kind(previous.value, latest.value, lower_is_better=lower_is_better, mid=mid)
    if recent == Change.SAME:
        same = "the same as at the check-in before" if len(points) > 2 else f"the same as {preposition} {when}"
        sentence = f"{label} is {after}{suffix}, {same}."
    else:
        direction = "come down" if latest.value < previous.value else "gone up"
        sentence = f"{label} has {direction} from {before} to {after}{suffix} {since}: {_verdict(recent, mid)}."
    kinds = [recent]
    if len(points) > 2:
        overall = change_kind(first.value, latest.value, lower_is_better=lower_is_better, mid=mid)
        kinds.append(overall)
        at_first = f"At the first check-in, {preposition} {when}, it was"
        if overall == Change.SAME:
            sentence += f" {at_first} also {number(first.value)}."
        elif overall == Change.WITHIN:
            sentence += f" {at_first} {number(first.value)}: about the same, within the usual ups and downs."
        else:
            word = "better" if overall == Change.BETTER else "worse"
            sentence += f" {at_first} {number(first.value)}, so it is {word} now than at the start."
    if invite and Change.WORSE in kinds:
        sentence += " It may help to talk this through with your care team."
    return sentence


def progress_sentences(progress, *, invite: bool) -> list[str]:
    """The plain sentences for a patient's progress: the alliance total, the pain check's average,
    then each pain-check question, each against its own minimal important difference."""
    pain_mid = minimal_important_difference(*progress.pain_range)
    summaries = [
        change_sentence(
            "Your alliance check-in total" if invite else "The patient's alliance total",
            progress.patient_alliance,
            lower_is_better=False,
            mid=minimal_important_difference(*progress.alliance_range),
            out_of=progress.alliance_range[1],
            invite=invite,
        ),
        change_sentence(
            "Your pain check average" if invite else "The pain check average",
            progress.pain_total,
            lower_is_better=True,
            mid=pain_mid,
            out_of=progress.pain_range[1],
            invite=invite,
        ),
    ]
    summaries += [
        change_sentence(series.text, series.points, lower_is_better=True, mid=pain_mid, invite=invite)
        for series in progress.pain_items
    ]
    return [s for s in summaries if s]

"""A patient's scores over time, for both sides' progress pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

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
        definition = response.version.localised
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
    """When ``point`` was, as ("day", "3 March") within four weeks, else ("month", "March" or "March 2025")."""
    local = timezone.localtime(point.at)
    now = timezone.localtime()
    if (now - local).days < 28:
        return "day", _day_month(local)
    if local.year == now.year:
        return "month", date_format(local, "F")
    # Translators: a date format (Django's), the month and year: "March 2025".
    return "month", date_format(local, pgettext("date format", "F Y"))


def _day_month(moment: datetime) -> str:
    # Translators: a date format (Django's), the day and month: "3 March".
    return date_format(moment, pgettext("date format", "j F"))


def _at(kind: str, date: str) -> str:
    """When, with its preposition: "on 3 March" or "in March"."""
    if kind == "day":
        return _("on %(date)s") % {"date": date}
    return _("in %(date)s") % {"date": date}


def _since(kind: str, date: str) -> str:
    """Since when: "since 3 March" or "since March"."""
    if kind == "day":
        return pgettext("since a day", "since %(date)s") % {"date": date}
    return pgettext("since a month", "since %(date)s") % {"date": date}


def _figure(value: Decimal, out_of: Decimal | None) -> str:
    """A figure with its maximum, "5 out of 10", or "5" when there is no maximum to name."""
    if out_of is None:
        return number(value)
    return _("%(value)s out of %(out_of)s") % {"value": number(value), "out_of": number(out_of)}


def _points_word(value: Decimal) -> str:
    count = 1 if Decimal(value) == 1 else 2
    return ngettext("%(points)s point", "%(points)s points", count) % {"points": number(value)}


def _verdict(kind: str, mid: Decimal) -> str:
    if kind == Change.WITHIN:
        return _("a change smaller than %(points)s, so within the usual ups and downs: about the same") % {
            "points": _points_word(mid)
        }
    if kind == Change.BETTER:
        return _("better, by more than the usual ups and downs")
    return _("worse, by more than the usual ups and downs")


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
    Returns "" for no points. ``label`` is already translated; the sentences are marked whole.
    """
    if not points:
        return ""
    first, latest = points[0], points[-1]
    kind, date = _when(first)
    when = _at(kind, date)
    if len(points) == 1:
        return _(
            "%(label)s was %(value)s %(when)s. "
            "That is the only check-in so far, so there is nothing to compare it with yet."
        ) % {"label": label, "value": _figure(first.value, out_of), "when": when}
    previous = points[-2]
    after, before = _figure(latest.value, out_of), number(previous.value)
    since = (
        _("since the check-in on %(date)s") % {"date": _day_month(timezone.localtime(previous.at))}
        if len(points) > 2
        else _since(kind, date)
    )
    recent = change_kind(previous.value, latest.value, lower_is_better=lower_is_better, mid=mid)
    if recent == Change.SAME:
        if len(points) > 2:
            sentence = _("%(label)s is %(value)s, the same as at the check-in before.") % {
                "label": label,
                "value": after,
            }
        else:
            sentence = _("%(label)s is %(value)s, the same as %(when)s.") % {
                "label": label,
                "value": after,
                "when": when,
            }
    else:
        values = {"label": label, "before": before, "after": after, "since": since, "verdict": _verdict(recent, mid)}
        if latest.value < previous.value:
            sentence = _("%(label)s has come down from %(before)s to %(after)s %(since)s: %(verdict)s.") % values
        else:
            sentence = _("%(label)s has gone up from %(before)s to %(after)s %(since)s: %(verdict)s.") % values
    kinds = [recent]
    if len(points) > 2:
        overall = change_kind(first.value, latest.value, lower_is_better=lower_is_better, mid=mid)
        kinds.append(overall)
        values = {"when": when, "value": number(first.value)}
        if overall == Change.SAME:
            sentence += " " + _("At the first check-in, %(when)s, it was also %(value)s.") % values
        elif overall == Change.WITHIN:
            sentence += (
                " "
                + _(
                    "At the first check-in, %(when)s, it was %(value)s: about the same, within the usual ups and downs."
                )
                % values
            )
        elif overall == Change.BETTER:
            sentence += (
                " "
                + _("At the first check-in, %(when)s, it was %(value)s, so it is better now than at the start.")
                % values
            )
        else:
            sentence += (
                " "
                + _("At the first check-in, %(when)s, it was %(value)s, so it is worse now than at the start.") % values
            )
    if invite and Change.WORSE in kinds:
        sentence += " " + _("It may help to talk this through with your care team.")
    return sentence


def progress_sentences(progress, *, invite: bool) -> list[str]:
    """The plain sentences for a patient's progress: the alliance total, the pain check's average,
    then each pain-check question, each against its own minimal important difference."""
    pain_mid = minimal_important_difference(*progress.pain_range)
    summaries = [
        change_sentence(
            _("Your alliance check-in total") if invite else _("The patient's alliance total"),
            progress.patient_alliance,
            lower_is_better=False,
            mid=minimal_important_difference(*progress.alliance_range),
            out_of=progress.alliance_range[1],
            invite=invite,
        ),
        change_sentence(
            _("Your pain check average") if invite else _("The pain check average"),
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

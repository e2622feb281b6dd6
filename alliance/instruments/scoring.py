"""Instrument definitions and the one scoring function.

An instrument is data: a JSON definition with items, a response scale, subscales, a scoring rule
and alert thresholds. ``definition_validate`` turns an untrusted definition (for example one a
clinic admin pastes in for a licensed questionnaire) into a clean one or a list of plain-language
problems. ``score`` turns answers into a total and subscale scores, the same way everywhere.

Scoring rules
-------------
- ``method`` is ``"sum"`` or ``"mean"``.
- An item may be ``"reverse": true``; its value is mirrored on the scale before scoring.
- Missing answers: a total needs at least ``min_answered`` answers (default: every item). With
  fewer, the total is ``None``. With some missing, a sum is prorated (the mean of the answered
  items times the number of items), so a skipped item neither lowers nor raises the total.
- A subscale needs at least half of its items answered (and at least one), and follows the same
  method and proration.
- Scores are rounded to two decimal places, half away from zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from patients.validators import validate_no_direction_controls

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
RESPONDENTS = ("patient", "clinician")
PURPOSES = ("alliance", "pain", "other")
DIRECTIONS = ("higher_is_better", "lower_is_better")
METHODS = ("sum", "mean")
THRESHOLD_KEYS = ("total_below", "item_at_or_below", "drop_by", "mismatch_by")
MAX_ITEMS = 100
MAX_TEXT = 500


class DefinitionError(ValueError):
    """A definition that cannot be used; ``problems`` lists every reason in plain language."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _text(value, where: str, problems: list[str], *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None or value == "":
        if required:
            problems.append(_("%(where)s is missing.") % {"where": where})
        return ""
    if not isinstance(value, str):
        problems.append(_("%(where)s must be text.") % {"where": where})
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.append(_("%(where)s is longer than %(limit)s characters.") % {"where": where, "limit": limit})
    return value


def _number(value, where: str, problems: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(_("%(where)s must be a number.") % {"where": where})
        return None
    return value


def definition_validate(raw) -> dict:
    """Check a definition and return it normalised, or raise ``DefinitionError``."""
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise DefinitionError([_("The definition must be a JSON object, starting with {.")])

    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        problems.append(_('"key" must be a short identifier of lower-case letters, digits, "-" or "_".'))
    name = _text(raw.get("name"), '"name"', problems, limit=200)
    try:
        validate_no_direction_controls(name)
    except ValidationError as error:
        problems.append('"name": %s' % error.messages[0])
    respondent = raw.get("respondent", "patient")
    if respondent not in RESPONDENTS:
        problems.append(_('"respondent" must be "patient" or "clinician".'))
    purpose = raw.get("purpose", "other")
    if purpose not in PURPOSES:
        problems.append(_('"purpose" must be "alliance", "pain" or "other".'))
    direction = raw.get("direction", "higher_is_better")
    if direction not in DIRECTIONS:
        problems.append(_('"direction" must be "higher_is_better" or "lower_is_better".'))
    licence = _text(raw.get("licence"), '"licence"', problems, required=False, limit=1000)
    instructions = _text(raw.get("instructions"), '"instructions"', problems, required=False, limit=1000)

    scale_raw = raw.get("scale")
    if not isinstance(scale_raw, Mapping):
        problems.append(_('"scale" must be an object with "min" and "max".'))
        scale_raw = {}
    smin = _number(scale_raw.get("min"), '"scale.min"', problems)
    smax = _number(scale_raw.get("max"), '"scale.max"', problems)
    if smin is not None and smax is not None:
        if not (isinstance(smin, int) and isinstance(smax, int)):
            problems.append(_('"scale.min" and "scale.max" must be whole numbers.'))
        elif smax <= smin:
            problems.append(_('"scale.max" must be greater than "scale.min".'))
        elif smax - smin > 100:
            problems.append(_("The scale may have at most 101 points."))
    scale = {
        "min": smin,
        "max": smax,
        "low_label": _text(scale_raw.get("low_label"), '"scale.low_label"', problems, required=False, limit=100),
        "high_label": _text(scale_raw.get("high_label"), '"scale.high_label"', problems, required=False, limit=100),
    }

    items_raw = raw.get("items")
    items: list[dict] = []
    if not isinstance(items_raw, list) or not items_raw:
        problems.append(_('"items" must be a list with at least one item.'))
        items_raw = []
    if len(items_raw) > MAX_ITEMS:
        problems.append(_("An instrument may have at most %(count)s items.") % {"count": MAX_ITEMS})
        items_raw = items_raw[:MAX_ITEMS]
    seen: set[str] = set()
    for index, item in enumerate(items_raw, start=1):
        where = _("Item %(number)s") % {"number": index}
        if not isinstance(item, Mapping):
            problems.append(_("%(where)s must be an object.") % {"where": where})
            continue
        item_key = item.get("key")
        if not isinstance(item_key, str) or not KEY_RE.match(item_key):
            problems.append(
                _('%(where)s: "key" must be a short identifier of lower-case letters, digits, "-" or "_".')
                % {"where": where}
            )
        elif item_key in seen:
            problems.append(_('%(where)s: the key "%(key)s" is used twice.') % {"where": where, "key": item_key})
        else:
            seen.add(item_key)
        items.append(
            {
                "key": item_key,
                "text": _text(item.get("text"), f'{where}: "text"', problems),
                "label": _text(item.get("label"), f'{where}: "label"', problems, required=False, limit=100)
                or (item.get("text") if isinstance(item.get("text"), str) else ""),
                "low_label": _text(item.get("low_label"), f'{where}: "low_label"', problems, required=False, limit=100)
                or scale["low_label"],
                "high_label": _text(
                    item.get("high_label"), f'{where}: "high_label"', problems, required=False, limit=100
                )
                or scale["high_label"],
                "reverse": bool(item.get("reverse", False)),
            }
        )

    subscales_raw = raw.get("subscales", {})
    subscales: dict[str, list[str]] = {}
    if not isinstance(subscales_raw, Mapping):
        problems.append(_('"subscales" must be an object of name → list of item keys.'))
        subscales_raw = {}
    for sub_key, members in subscales_raw.items():
        if not isinstance(sub_key, str) or not KEY_RE.match(sub_key):
            problems.append(_('Subscale "%(name)s": its name must be a short identifier.') % {"name": sub_key})
            continue
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            problems.append(_('Subscale "%(name)s" must list at least one item key.') % {"name": sub_key})
            continue
        unknown = [m for m in members if m not in seen]
        if unknown:
            problems.append(
                _('Subscale "%(name)s" names items that do not exist: %(keys)s.')
                % {"name": sub_key, "keys": ", ".join(unknown)}
            )
        subscales[sub_key] = list(dict.fromkeys(members))

    scoring_raw = raw.get("scoring", {})
    if not isinstance(scoring_raw, Mapping):
        problems.append(_('"scoring" must be an object.'))
        scoring_raw = {}
    method = scoring_raw.get("method", "sum")
    if method not in METHODS:
        problems.append(_('"scoring.method" must be "sum" or "mean".'))
    min_answered = scoring_raw.get("min_answered", len(items))
    if (
        isinstance(min_answered, bool)
        or not isinstance(min_answered, int)
        or not 1 <= min_answered <= max(len(items), 1)
    ):
        problems.append(
            _('"scoring.min_answered" must be a whole number from 1 to %(most)s.') % {"most": max(len(items), 1)}
        )

    thresholds_raw = raw.get("thresholds", {})
    thresholds: dict[str, float] = {}
    if not isinstance(thresholds_raw, Mapping):
        problems.append(_('"thresholds" must be an object.'))
        thresholds_raw = {}
    for name_, value in thresholds_raw.items():
        if name_ not in THRESHOLD_KEYS:
            problems.append(
                _('Unknown threshold "%(name)s"; use %(known)s.') % {"name": name_, "known": ", ".join(THRESHOLD_KEYS)}
            )
            continue
        number = _number(value, _('Threshold "%(name)s"') % {"name": name_}, problems)
        if number is not None:
            if name_ in ("drop_by", "mismatch_by") and number <= 0:
                problems.append(_('Threshold "%(name)s" must be greater than 0.') % {"name": name_})
            thresholds[name_] = number

    counterpart = raw.get("counterpart")
    if counterpart is not None and (not isinstance(counterpart, str) or not KEY_RE.match(counterpart)):
        problems.append(_('"counterpart" must be the key of another instrument.'))

    language = raw.get("language", "en")
    if not isinstance(language, str) or not LANGUAGE_RE.match(language):
        problems.append(_('"language" must be the code of the language it is written in, such as "en" or "es".'))
    translations = _translations_validate(raw.get("translations"), name, instructions, licence, items, problems)

    if problems:
        raise DefinitionError(problems)
    definition = {
        "key": key,
        "name": name,
        "respondent": respondent,
        "purpose": purpose,
        "direction": direction,
        "licence": licence,
        "instructions": instructions,
        "counterpart": counterpart,
        "scale": scale,
        "items": items,
        "subscales": subscales,
        "scoring": {"method": method, "min_answered": min_answered},
        "thresholds": thresholds,
    }
    if language != "en":
        definition["language"] = language
    if translations:
        definition["translations"] = translations
    return definition


def _translations_validate(raw, name: str, instructions: str, licence: str, items: list[dict], problems: list[str]):
    """Check ``"translations"``: language code → the same texts in that language, every item included.

    Shape: ``{"es": {"name": str, "instructions": str, "licence": str, "items": {item key: {"text": str,
    "label": str, "low_label": str, "high_label": str}}}}``. ``instructions``, ``licence`` and an item's
    labels are needed where the original has them; a missing ``label`` falls back to the translated text.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(_('"translations" must be an object of language code → texts, such as {"es": {…}}.'))
        return {}
    translations: dict[str, dict] = {}
    for language, texts in raw.items():
        given, language = language, language.lower() if isinstance(language, str) else language
        if not isinstance(language, str) or not LANGUAGE_RE.match(language):
            problems.append(
                _('"translations": "%(code)s" is not a language code such as "es" or "pt-br".') % {"code": given}
            )
            continue
        where = f'"translations.{language}"'
        if not isinstance(texts, Mapping):
            problems.append(_("%(where)s must be an object.") % {"where": where})
            continue
        translated_name = _text(texts.get("name"), f'{where}: "name"', problems, limit=200)
        try:
            validate_no_direction_controls(translated_name)
        except ValidationError as error:
            problems.append(f'{where}: "name": {error.messages[0]}')
        translated = {
            "name": translated_name,
            "instructions": _text(
                texts.get("instructions"), f'{where}: "instructions"', problems, required=bool(instructions), limit=1000
            ),
            "licence": _text(texts.get("licence"), f'{where}: "licence"', problems, required=False, limit=1000)
            or licence,
            "items": {},
        }
        item_texts = texts.get("items")
        if not isinstance(item_texts, Mapping):
            problems.append(_('%(where)s: "items" must be an object of item key → texts.') % {"where": where})
            continue
        unknown = sorted(set(map(str, item_texts)) - {item["key"] for item in items})
        if unknown:
            problems.append(
                _("%(where)s names items that do not exist: %(keys)s.") % {"where": where, "keys": ", ".join(unknown)}
            )
        for item in items:
            at = f'{where}: "items.{item["key"]}"'
            given = item_texts.get(item["key"])
            if not isinstance(given, Mapping):
                problems.append(_("%(where)s is missing: every item needs its text in each language.") % {"where": at})
                continue
            text = _text(given.get("text"), f'{at}: "text"', problems)
            translated["items"][item["key"]] = {
                "text": text,
                "label": _text(given.get("label"), f'{at}: "label"', problems, required=False, limit=100) or text,
                "low_label": _text(
                    given.get("low_label"), f'{at}: "low_label"', problems, required=bool(item["low_label"]), limit=100
                ),
                "high_label": _text(
                    given.get("high_label"),
                    f'{at}: "high_label"',
                    problems,
                    required=bool(item["high_label"]),
                    limit=100,
                ),
            }
        translations[language] = translated
    return translations


def localised(definition: dict, language: str | None = None) -> dict:
    """Return ``definition`` with its texts in ``language`` (default: the active language).

    A definition is written in its ``"language"`` (default ``"en"``). For another language this uses
    the translation for the exact code ("pt-br"), then its base language ("pt"); with neither, the
    definition is returned as written. Keys, scale, scoring and thresholds never change, so a
    response given in one language scores the same as in any other.
    """
    translations = definition.get("translations") or {}
    if not translations:
        return definition
    code = (language or get_language() or "").lower()
    if code.split("-")[0] == definition.get("language", "en").split("-")[0] and code not in translations:
        return definition
    base = code.split("-")[0]
    texts = (
        translations.get(code)
        or translations.get(base)
        or next((text for key, text in translations.items() if key.split("-")[0] == base), None)
    )
    if not texts:
        return definition
    items = [{**item, **texts["items"].get(item["key"], {})} for item in definition["items"]]
    return {
        **definition,
        "name": texts["name"],
        "instructions": texts.get("instructions") or definition.get("instructions", ""),
        "licence": texts.get("licence") or definition.get("licence", ""),
        "items": items,
    }


@dataclass(frozen=True)
class Score:
    total: Decimal | None
    subscales: dict[str, Decimal | None] = field(default_factory=dict)
    answered: int = 0
    missing: tuple[str, ...] = ()


def _round(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _combine(values: list[int], n_items: int, method: str) -> Decimal:
    mean = Decimal(sum(values)) / Decimal(len(values))
    return _round(mean if method == "mean" else mean * n_items)


def answers_validate(definition: dict, answers: Mapping[str, int | None]) -> dict[str, int | None]:
    """Keep only the instrument's items; refuse values off the scale. Raises ``ValueError``."""
    low, high = definition["scale"]["min"], definition["scale"]["max"]
    clean: dict[str, int | None] = {}
    known = {item["key"] for item in definition["items"]}
    unknown = set(answers) - known
    if unknown:
        raise ValueError(
            _("Answers for items this instrument does not have: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}
        )
    for index, item in enumerate(definition["items"]):
        value = answers.get(item["key"])
        if value is None:
            clean[item["key"]] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                _("The answer to “%(item)s” must be a whole number from %(low)s to %(high)s.")
                % {"item": localised(definition)["items"][index]["text"], "low": low, "high": high}
            )
        clean[item["key"]] = value
    return clean


def score(definition: dict, answers: Mapping[str, int | None]) -> Score:
    """Score answers against a (validated) definition. See the module docstring for the rules."""
    answers = answers_validate(definition, answers)
    low, high = definition["scale"]["min"], definition["scale"]["max"]
    method = definition["scoring"]["method"]
    scored: dict[str, int] = {}
    for item in definition["items"]:
        value = answers[item["key"]]
        if value is not None:
            scored[item["key"]] = (low + high - value) if item["reverse"] else value
    missing = tuple(item["key"] for item in definition["items"] if answers[item["key"]] is None)
    n_items = len(definition["items"])
    total = (
        _combine(list(scored.values()), n_items, method)
        if len(scored) >= definition["scoring"]["min_answered"] and scored
        else None
    )
    subscales: dict[str, Decimal | None] = {}
    for sub_key, members in definition["subscales"].items():
        values = [scored[m] for m in members if m in scored]
        needed = max(1, math.ceil(len(members) / 2))
        subscales[sub_key] = _combine(values, len(members), method) if len(values) >= needed else None
    return Score(total=total, subscales=subscales, answered=len(scored), missing=missing)


def minimal_important_difference(low: Decimal, high: Decimal) -> Decimal:
    """The smallest change in a total worth calling a change: a tenth of its range.

    On the pain check's 0–10 average that is 1 point, the figure usually taken as its minimal
    important difference; on the alliance check-in's 0–40 total, 4 points; on a goal's 0–10
    rating, 1 point, and on the −2 to +2 goal-attainment scale any step. A change smaller than
    this is within the everyday ups and downs of the measure, never an improvement or a decline.
    """
    return (Decimal(high) - Decimal(low)) / 10


def total_range(definition: dict) -> tuple[Decimal, Decimal]:
    """The lowest and highest total this instrument can give."""
    low, high = definition["scale"]["min"], definition["scale"]["max"]
    if definition["scoring"]["method"] == "mean":
        return Decimal(low), Decimal(high)
    n = len(definition["items"])
    return Decimal(low * n), Decimal(high * n)

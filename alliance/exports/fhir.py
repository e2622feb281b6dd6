"""FHIR R4 JSON: questionnaires, answers and scores as a Bundle an EHR can take in.

- each questionnaire version answered is a ``Questionnaire`` (canonical URL + version);
- each response is a ``QuestionnaireResponse`` (``amended`` when it corrects an earlier one);
- each score (the total and every subscale) is an ``Observation`` derived from that response;
- people are ``Patient`` and ``Practitioner`` resources: named when identified, and carrying only
  their pseudonym when de-identified.

The Bundle is written entry by entry, so a large one never sits in memory. Every resource has a
stable ``urn:uuid`` full URL (a UUID-5 of what it is), so exporting the same data twice gives the
same ids. Only elements that are the same in FHIR R4 (4.0.1) and R4B are used; the tests validate
every resource with ``fhir.resources``' R4B models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby
from typing import BinaryIO

from django.conf import settings
from django.db.models import QuerySet

from alliance.exports.base import Who, pseudonym
from alliance.models import Answer, InstrumentVersion, Respondent, Response

MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir"


def score_system() -> str:
    return f"{base_url()}/CodeSystem/alliance-scores"


def pseudonym_system() -> str:
    return f"{base_url()}/NamingSystem/pseudonymous-id"


def full_url(kind: str, key) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/{kind}/{key}')}"


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: Decimal | str | int) -> float | int:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def questionnaire_url(key: str) -> str:
    return f"{base_url()}/Questionnaire/{key}"


def _computable_name(key: str) -> str:
    name = "".join(part.capitalize() for part in key.replace("_", "-").split("-") if part)
    return name if name[:1].isalpha() else f"Q{name}"


def questionnaire(version: InstrumentVersion) -> dict:
    definition = version.definition
    scale = definition.get("scale", {})
    resource = {
        "resourceType": "Questionnaire",
        "id": f"{version.instrument.key}-v{version.number}",
        "url": questionnaire_url(version.instrument.key),
        "version": str(version.number),
        "name": _computable_name(version.instrument.key),
        "title": version.instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": item["key"],
                "text": item["text"],
                "type": "integer",
                "required": False,
                "extension": [
                    {"url": MIN_VALUE, "valueInteger": int(scale["min"])},
                    {"url": MAX_VALUE, "valueInteger": int(scale["max"])},
                ],
            }
            for item in definition["items"]
        ],
    }
    if definition.get("instructions"):
        resource["description"] = definition["instructions"]
    if definition.get("licence"):
        resource["copyright"] = definition["licence"]
    return resource


class People:
    """Patient and Practitioner resources, each emitted once, the first time someone refers to them."""

    def __init__(self, *, identified: bool, key: str | None = None):
        self.identified = identified
        self.key = key
        self.seen: set[tuple[str, int]] = set()

    def _pseudonym(self, user_id: int, who: Who) -> str:
        return pseudonym(user_id, who, key=self.key)

    def reference(self, kind: str, user_id: int) -> dict:
        if self.identified:
            return {"reference": full_url(kind, user_id)}
        return {"reference": full_url(kind, self._pseudonym(user_id, Who.PATIENT if kind == "Patient" else Who.STAFF))}

    def entries(self, kind: str, user_id: int, name: str, email: str) -> list[dict]:
        """The resource for this person, if it has not been written yet."""
        if (kind, user_id) in self.seen:
            return []
        self.seen.add((kind, user_id))
        if self.identified:
            resource = {
                "resourceType": kind,
                "id": str(user_id),
                "name": [{"text": name}],
                "telecom": [{"system": "email", "value": email}],
            }
        else:
            value = self._pseudonym(user_id, Who.PATIENT if kind == "Patient" else Who.STAFF)
            resource = {
                "resourceType": kind,
                "id": value,
                "identifier": [{"system": pseudonym_system(), "value": value}],
            }
        return [{"fullUrl": self.reference(kind, user_id)["reference"], "resource": resource}]


RESPONSE_FIELDS = (
    "response_id",
    "response__patient__user_id",
    "response__patient__user__full_name",
    "response__patient__user__email",
    "response__respondent_id",
    "response__respondent__full_name",
    "response__respondent__email",
    "response__respondent_role",
    "response__submitted_at",
    "response__supersedes_id",
    "response__total",
    "response__subscales",
    "response__care_session_id",
    "response__instrument__key",
    "response__instrument__name",
    "response__version__number",
    "item_key",
    "value",
)


def response_entries(
    answers: QuerySet[Answer], *, people: People, progress: Callable[[int], None] | None = None
) -> Iterator[dict]:
    """A QuestionnaireResponse and its score Observations for each response the answers belong to.

    ``answers`` must be scoped already; they are read once, in response order, through a
    server-side cursor.
    """
    rows = answers.order_by("response_id", "pk").values_list(*RESPONSE_FIELDS).iterator(chunk_size=2000)
    count = 0
    for _, group in groupby(rows, key=lambda row: row[0]):
        items = list(group)
        (
            response_id,
            patient_user_id,
            patient_name,
            patient_email,
            respondent_id,
            respondent_name,
            respondent_email,
            role,
            submitted_at,
            supersedes_id,
            total,
            subscales,
            session_id,
            key,
            name,
            number,
            _,
            _,
        ) = items[0]
        yield from people.entries("Patient", patient_user_id, patient_name, patient_email)
        subject = people.reference("Patient", patient_user_id)
        if role == Respondent.PATIENT:
            author = subject
        else:
            yield from people.entries("Practitioner", respondent_id, respondent_name, respondent_email)
            author = people.reference("Practitioner", respondent_id)
        qr_url = full_url("QuestionnaireResponse", response_id)
        resource = {
            "resourceType": "QuestionnaireResponse",
            "id": str(response_id),
            "identifier": {"system": f"{base_url()}/response", "value": str(response_id)},
            "questionnaire": f"{questionnaire_url(key)}|{number}",
            "status": "amended" if supersedes_id else "completed",
            "subject": subject,
            "authored": instant(submitted_at),
            "author": author,
            "item": [
                {"linkId": item_key, "answer": [{"valueInteger": value}]}
                for *_, item_key, value in items
                if value is not None
            ],
        }
        if session_id is not None:
            resource["encounter"] = {"identifier": {"system": f"{base_url()}/appointment", "value": str(session_id)}}
        yield {"fullUrl": qr_url, "resource": resource}
        scores = [("total", f"{name} total", total)]
        scores.extend(
            (sub, f"{name}: {sub.replace('_', ' ')}", value) for sub, value in sorted((subscales or {}).items())
        )
        for code, display, value in scores:
            if value is None:
                continue
            yield {
                "fullUrl": full_url("Observation", f"{response_id}/{code}"),
                "resource": {
                    "resourceType": "Observation",
                    "id": f"{response_id}-{code}".replace("_", "-"),
                    "status": "corrected" if supersedes_id else "final",
                    "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
                    "code": {
                        "coding": [{"system": score_system(), "code": f"{key}.{code}", "display": display}],
                        "text": display,
                    },
                    "subject": subject,
                    "effectiveDateTime": instant(submitted_at),
                    "performer": [author],
                    "valueQuantity": {
                        "value": _number(value),
                        "unit": "score",
                        "system": "http://unitsofmeasure.org",
                        "code": "{score}",
                    },
                    "derivedFrom": [{"reference": qr_url}],
                },
            }
        count += 1
        if progress is not None:
            progress(count)


def questionnaire_entries(versions: Iterable[InstrumentVersion]) -> Iterator[dict]:
    for version in versions:
        yield {
            "fullUrl": full_url("Questionnaire", f"{version.instrument.key}/{version.number}"),
            "resource": questionnaire(version),
        }


def checkin_entries(
    responses: QuerySet[Response], *, people: People, progress: Callable[[int], None] | None = None
) -> Iterator[dict]:
    """Questionnaires, then responses and scores, for the current (not superseded) ``responses``."""
    current = responses.filter(superseded_by__isnull=True)
    versions = (
        InstrumentVersion.objects.filter(pk__in=current.values("version").distinct())
        .select_related("instrument")
        .order_by("instrument__key", "number")
    )
    yield from questionnaire_entries(versions)
    yield from response_entries(
        Answer.objects.filter(response__in=current.values("pk")), people=people, progress=progress
    )


def write_bundle(out: BinaryIO, entries: Iterable[dict], *, bundle_id: str, timestamp: datetime) -> int:
    """Write a collection Bundle one entry at a time; returns how many entries it holds."""
    head = {"resourceType": "Bundle", "id": bundle_id, "type": "collection", "timestamp": instant(timestamp)}
    out.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "entry": [')
    count = 0
    for entry in entries:
        out.write((b"\n" if count == 0 else b",\n") + json.dumps(entry, ensure_ascii=False).encode())
        count += 1
    out.write(b"\n]}\n")
    return count


GOAL_LIFECYCLE = {
    "proposed": "proposed",
    "active": "active",
    "achieved": "completed",
    "paused": "on-hold",
    "let_go": "cancelled",
}
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
WITHHELD = "A goal (its wording is left out of de-identified exports)"


def goal_entries(
    goals: QuerySet, ratings: QuerySet, *, people: People, progress: Callable[[int], None] | None = None
) -> Iterator[dict]:
    """A ``Goal`` for each goal, and an ``Observation`` (focused on it) for each of its ``ratings``.

    Free text (the goal's words, why it matters, notes) is left out when ``people`` is de-identified.
    """
    from django.db.models import Prefetch

    identified = people.identified
    rows = (
        goals.select_related("patient__user", "created_by")
        .prefetch_related(Prefetch("ratings", queryset=ratings.select_related("rated_by").order_by("rated_at", "pk")))
        .order_by("pk")
    )

    def by(user, patient_user, subject):
        """The entries to add (if any) and the reference for the person who wrote or rated."""
        if user.pk == patient_user.pk:
            return [], subject
        entries = people.entries("Practitioner", user.pk, user.full_name, user.email)
        return entries, people.reference("Practitioner", user.pk)

    for count, goal in enumerate(rows.iterator(chunk_size=500), start=1):
        patient_user = goal.patient.user
        yield from people.entries("Patient", patient_user.pk, patient_user.full_name, patient_user.email)
        subject = people.reference("Patient", patient_user.pk)
        goal_url = full_url("Goal", goal.pk)
        observations = []
        for rating in goal.ratings.all():
            new, performer = by(rating.rated_by, patient_user, subject)
            yield from new
            label = "Goal progress (0 to 10)" if rating.scale == "zero_ten" else "Goal attainment (-2 to +2)"
            observation = {
                "resourceType": "Observation",
                "id": f"goal-rating-{rating.pk}",
                "status": "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
                "code": {
                    "coding": [{"system": score_system(), "code": f"goal-progress.{rating.scale}", "display": label}],
                    "text": label,
                },
                "subject": subject,
                "focus": [{"reference": goal_url}],
                "effectiveDateTime": instant(rating.rated_at),
                "performer": [performer],
                "valueInteger": rating.value,
            }
            if identified and rating.note:
                observation["note"] = [{"text": rating.note}]
            url = full_url("Observation", f"goal-rating/{rating.pk}")
            observations.append({"fullUrl": url, "resource": observation})
        new, expressed_by = by(goal.created_by, patient_user, subject)
        yield from new
        resource = {
            "resourceType": "Goal",
            "id": str(goal.pk),
            "lifecycleStatus": GOAL_LIFECYCLE.get(goal.status, "active"),
            "description": {"text": goal.text if identified else WITHHELD},
            "subject": subject,
            "startDate": goal.created_at.date().isoformat(),
            "expressedBy": expressed_by,
        }
        if goal.status == "achieved":
            resource["achievementStatus"] = {"coding": [{"system": GOAL_ACHIEVEMENT, "code": "achieved"}]}
        if goal.status_changed_at:
            resource["statusDate"] = goal.status_changed_at.date().isoformat()
        if identified and goal.why:
            resource["note"] = [{"text": goal.why}]
        if observations:
            resource["outcomeReference"] = [{"reference": o["fullUrl"]} for o in observations]
        yield {"fullUrl": goal_url, "resource": resource}
        yield from observations
        if progress is not None:
            progress(count)
